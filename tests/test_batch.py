"""Batches: input order whatever --jobs, errors contained, checks across files, the API."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pes_v2
from pes_v2.batch import FileOutcome, validate_paths
from pes_v2.bundles import SchemaBundle, resolve_bundle
from pes_v2.cli.main import cli
from pes_v2.testing import FlowSpec, build_flow, mutate


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    for i in range(9):
        data = build_flow(FlowSpec(seed=i % 4, depense=1, recette=i % 2, pieces=2, pj=i % 3))
        if i % 3 == 2:
            data = mutate(data, "xsd.bad_date").data
        (folder / f"sub{i % 2}" / f"flow-{i}.xml").parent.mkdir(exist_ok=True)
        (folder / f"sub{i % 2}" / f"flow-{i}.xml").write_bytes(data)
    (folder / "sub0" / "broken.xml").write_bytes(b"<n:PES_Aller")
    return folder


def _jsonl(folder: Path, jobs: int) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        [
            "validate",
            "--schemas",
            "embedded",
            "--format",
            "jsonl",
            "--jobs",
            str(jobs),
            str(folder),
        ],
    )
    return result.exit_code, result.stdout


def _fail_on(monkeypatch: pytest.MonkeyPatch, name: str, fail: Callable[[], None]) -> None:
    """Make the validation of the file called ``name`` call ``fail`` (worker processes are
    forked, so they inherit it)."""
    import pes_v2.batch

    real = pes_v2.batch.validate

    def failing(source: object, **options: object) -> pes_v2.Report:
        if str(source).endswith(name):
            fail()
        return real(source, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(pes_v2.batch, "validate", failing)


def test_jsonl_output_is_identical_whatever_jobs(batch: Path) -> None:
    code1, one = _jsonl(batch, 1)
    code2, two = _jsonl(batch, 2)
    code3, three = _jsonl(batch, 3)
    assert one == two == three
    assert code1 == code2 == code3 == 1
    assert one.count("\n") == 11 and '"PES-BAT-001"' in one


def test_files_go_to_workers_in_small_groups_in_input_order(tmp_path: Path) -> None:
    from pes_v2.batch import STDIN, TASK_BYTES, TASK_FILES, _tasks

    small = [tmp_path / f"s{i}.xml" for i in range(TASK_FILES + 3)]
    for path in small:
        path.write_bytes(b"x" * 100)
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * TASK_BYTES)
    names = [str(p) for p in small[:3]] + [str(big), STDIN, "/nonexistent.xml"]
    names += [str(p) for p in small[3:]]
    tasks = list(_tasks(names))
    assert [path for task in tasks for path in task] == names
    assert tasks[:3] == [names[:3], [str(big)], [STDIN]]
    assert [len(task) for task in tasks[3:]] == [TASK_FILES, 1]
    assert list(_tasks([])) == []


def test_workers_are_no_more_than_tasks_nor_four_per_cpu(
    batch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pes_v2.batch as B

    asked: list[tuple[int, int]] = []

    def spy(tasks: list[list[str]], jobs: int, *_: Any) -> Any:
        asked.append((len(tasks), jobs))
        return iter(())

    monkeypatch.setattr(B, "_parallel", spy)
    bundle = resolve_bundle("embedded")
    files = sorted(str(p) for p in batch.rglob("*.xml"))
    tasks = len(list(B._tasks(files)))
    assert 1 < tasks < len(files) <= B.max_jobs() * B.TASK_FILES
    list(B.validate_paths(files, schemas=bundle, jobs=1000))
    assert asked == [(tasks, tasks)]  # a worker per task, not per file nor per job asked
    monkeypatch.setattr(B, "TASK_FILES", 1)
    monkeypatch.setattr(B, "default_jobs", lambda: 1)
    asked.clear()
    list(B.validate_paths(files, schemas=bundle, jobs=1000))
    assert asked == [(len(files), B.JOBS_PER_CPU)]
    asked.clear()
    list(B.validate_paths(files, schemas=bundle, jobs=2))
    assert asked == [(len(files), 2)]


def test_standard_input_among_files_keeps_its_place_with_workers(batch: Path) -> None:
    files = sorted(str(p) for p in batch.rglob("*.xml"))[:4]
    stdin_flow = build_flow(FlowSpec(seed=7, depense=1, recette=0, pieces=1))
    args = ["validate", "--schemas", "embedded", "--format", "jsonl"]
    order = [files[0], files[1], "-", files[2], files[3]]
    outputs = []
    for jobs in ("1", "2"):
        result = CliRunner().invoke(cli, [*args, "--jobs", jobs, *order], input=stdin_flow)
        assert result.exit_code in (0, 1), result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    paths = [json.loads(line)["path"] for line in outputs[1].splitlines() if '"path"' in line]
    assert paths == order


def test_a_worker_process_that_dies_marks_its_file_only(
    batch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    files = sorted(str(p) for p in batch.rglob("*.xml"))
    sequential = list(validate_paths(files, schemas=SchemaBundle.embedded(), jobs=1))
    # as if killed (out of memory): no exception, no outcome
    _fail_on(monkeypatch, "flow-5.xml", lambda: os._exit(9))
    outcomes = list(pes_v2.validate_many([batch], jobs=2, schemas="embedded"))
    assert [o.path for o in outcomes] == files
    died = [o for o in outcomes if o.internal]
    assert [Path(o.path).name for o in died] == ["flow-5.xml"]
    assert "worker process died" in (died[0].error or "")
    others = [(o, s) for o, s in zip(outcomes, sequential, strict=True) if not o.internal]
    assert len(others) == len(files) - 1
    for outcome, alone in others:
        assert outcome.error == alone.error
        assert (outcome.report is None) == (alone.report is None)
        if outcome.report is not None and alone.report is not None:
            assert [f.as_dict() for f in outcome.report.findings] == [
                f.as_dict() for f in alone.report.findings
            ]


def test_validate_many_keeps_input_order_and_matches_sequential(batch: Path) -> None:
    files = sorted(str(p) for p in batch.rglob("*.xml"))
    parallel = list(pes_v2.validate_many([batch], jobs=2, schemas="embedded"))
    assert [o.path for o in parallel] == files
    sequential = list(validate_paths(files, schemas=SchemaBundle.embedded(), jobs=1))
    assert [o.report.findings if o.report else o.error for o in parallel] == [
        o.report.findings if o.report else o.error for o in sequential
    ]
    assert all(isinstance(o, FileOutcome) for o in parallel)


def test_batch_checks_can_be_turned_off(batch: Path) -> None:
    outcomes = pes_v2.validate_many([batch], jobs=1, schemas="embedded", batch_checks=False)
    for outcome in outcomes:
        assert outcome.report is not None
        assert not any(f.rule.startswith("PES-BAT") for f in outcome.report.findings)


def test_missing_path_is_a_setup_error() -> None:
    with pytest.raises(pes_v2.InputError):
        list(pes_v2.validate_many(["/nonexistent/dir"], jobs=2))


def test_internal_error_in_a_worker_is_contained(
    batch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug() -> None:
        raise RuntimeError("simulated bug")

    _fail_on(monkeypatch, "flow-4.xml", bug)
    outcomes = list(pes_v2.validate_many([batch], jobs=2, schemas="embedded"))
    marked = [o for o in outcomes if o.internal]
    assert [Path(o.path).name for o in marked] == ["flow-4.xml"]
    assert "simulated bug" in (marked[0].error or "")
    assert sum(1 for o in outcomes if o.report is not None) == len(outcomes) - 1
    result = CliRunner().invoke(
        cli, ["validate", "--schemas", "embedded", "--jobs", "2", "--format", "json", str(batch)]
    )
    assert result.exit_code == 3 and "Traceback" not in result.output


def test_text_batch_ends_with_a_summary_by_rule(batch: Path) -> None:
    result = CliRunner().invoke(
        cli, ["validate", "--schemas", "embedded", "--jobs", "2", "--lang", "en", str(batch)]
    )
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("10 file(s):")
    assert "Findings by rule:" in lines
    assert "PES-XSD-001" in result.stdout.split("Findings by rule:")[1]


def test_every_format_from_the_command_line(batch: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for fmt in ("junit", "sarif", "html"):
        result = runner.invoke(
            cli,
            ["validate", "--schemas", "embedded", "-f" if False else "--format", fmt, str(batch)],
        )
        assert result.exit_code == 1 and result.stdout.strip(), fmt
    one = next(batch.rglob("flow-0.xml"))
    result = runner.invoke(
        cli, ["validate", "--schemas", "embedded", "--format", "acquit", str(one)]
    )
    assert result.exit_code == 0 and b"PES_ACQUIT" in result.stdout_bytes
    result = runner.invoke(
        cli, ["validate", "--schemas", "embedded", "--format", "acquit", str(batch)]
    )
    assert result.exit_code == 2 and "--output" in result.stderr
    target = tmp_path / "acks"
    result = runner.invoke(
        cli,
        ["validate", "--schemas", "embedded", "--format", "acquit", "-o", str(target), str(batch)],
    )
    assert result.exit_code == 1
    assert len(list(target.glob("*.acquit.xml"))) == 9


@pytest.mark.parametrize(
    ("paths", "options", "message"),
    [
        (["EMPTY"], {}, "no *.xml file to validate"),
        ([], {}, "no *.xml file to validate"),
        (["-", "-"], {}, "standard input"),
        (["FLOW"], {"lang": "de"}, "unknown language"),
        (["FLOW"], {"profile": "nope"}, "unknown profile"),
    ],
)
def test_a_batch_with_nothing_to_validate_or_bad_options_is_a_config_error(
    tmp_path: Path, paths: list[str], options: dict[str, str], message: str
) -> None:
    """As the command line refuses them: the API returned no outcome for empty folders, and
    one error outcome per file for an unknown language or profile."""
    (tmp_path / "empty").mkdir()
    flow = tmp_path / "flow.xml"
    flow.write_bytes(build_flow(FlowSpec(seed=1, depense=1, pieces=1, lines=1)))
    named = [{"EMPTY": str(tmp_path / "empty"), "FLOW": str(flow)}.get(p, p) for p in paths]
    with pytest.raises(pes_v2.ConfigError, match=re.escape(message)):
        list(pes_v2.validate_many(named, jobs=1, schemas="embedded", **options))


def _pes_v2(args: list[str], cwd: Path, **options: Any) -> Any:
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "pes_v2.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=cwd,  # not the checkout, whose pes_v2 folder holds no cli package
        start_new_session=True,  # a group of its own, as a terminal's foreground job
        **options,
    )


def _many_flows(folder: Path, count: int) -> None:
    folder.mkdir()
    data = build_flow(FlowSpec(seed=3, depense=2, recette=1, pieces=3, lines=2))
    for n in range(count):
        (folder / f"flow-{n:04d}.xml").write_bytes(data)


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_a_parallel_batch_and_its_workers(tmp_path: Path, presses: int) -> None:
    """Ctrl-C reaches the whole group: every worker said "interrupted" too, and a second
    press while the pool shut down left the workers waiting for work forever."""
    import signal
    import subprocess
    import time

    _many_flows(tmp_path / "flows", 600)
    process = _pes_v2(["validate", "--lang", "en", "--jobs", "4", "flows"], tmp_path)
    deadline = time.monotonic() + 60
    while not subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True).stdout:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)  # until the workers are there
    for _ in range(presses):
        os.killpg(process.pid, signal.SIGINT)
        time.sleep(0.01)
    _, err = process.communicate(timeout=60)  # also waits for whoever holds stderr
    # 130, or killed by the second SIGINT once Python is finishing: a shell says 130 too.
    assert process.returncode in (130, -signal.SIGINT)
    assert err == b"pes-v2: error: interrupted\n"
    deadline = time.monotonic() + 20  # killed workers take a moment to be reaped
    while subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True).stdout:
        assert time.monotonic() < deadline, "workers left running"
        time.sleep(0.05)


def test_an_ignored_sigint_stays_ignored(tmp_path: Path) -> None:
    """A background job of a non-interactive shell ignores SIGINT: pes-v2 must not take it
    back (it stopped, exit 130, where it used to run to its end)."""
    import signal
    import time

    _many_flows(tmp_path / "flows", 50)
    process = _pes_v2(
        ["validate", "--jobs", "1", "flows"],
        tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode in (0, 1) and b"interrupted" not in err
