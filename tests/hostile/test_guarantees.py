"""What pes-v2 never does to its input or its environment: write, create files, connect."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import pes_v2
from pes_v2.testing import DgfipSigner, FlowSpec, build_flow

FORMATS = ("text", "json", "junit", "sarif", "html", "acquit")


def _cli(args: list[str], cwd: Path, data_dir: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pes_v2.cli", *args],
        capture_output=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PES_V2_DATA_DIR": str(data_dir)},
    )


def _listing(*folders: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path): (path.stat().st_size, path.stat().st_mtime_ns)
        for folder in folders
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "valid.xml").write_bytes(build_flow(FlowSpec(seed=3, pj=1)))
    signed = build_flow(FlowSpec(seed=4, signed=True, signer=DgfipSigner.for_pki()))
    (folder / "signed.xml").write_bytes(signed)
    (folder / "broken.xml").write_bytes(signed[: len(signed) // 2])
    (folder / "doctype.xml").write_bytes(b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>')
    old = 1_000_000_000  # an mtime in 2001: a rewrite would show
    for path in folder.iterdir():
        os.utime(path, ns=(old * 10**9, old * 10**9))
    return folder


COMMANDS: list[tuple[str, list[str]]] = [
    *[
        (f"validate-{fmt}", ["validate", "--schemas", "embedded", "--format", fmt])
        for fmt in FORMATS
    ],
    (
        "validate-output",
        ["validate", "--schemas", "embedded", "--format", "json", "--output", "{out}/report.json"],
    ),
    ("info", ["info"]),
    ("ack", ["ack"]),
]


@pytest.mark.parametrize("name", [name for name, _args in COMMANDS])
def test_commands_leave_the_input_untouched_and_create_nothing(
    name: str, inputs: Path, tmp_path: Path
) -> None:
    args = dict(COMMANDS)[name]
    cwd, out, data = tmp_path / "cwd", tmp_path / "out", tmp_path / "data"
    for folder in (cwd, out, data):
        folder.mkdir()
    before = _listing(inputs, cwd)
    data_before = _listing(data)
    for path in sorted(inputs.iterdir()):
        content = path.read_bytes()
        done = _cli([a.format(out=out) for a in args] + [str(path)], cwd, data)
        assert done.returncode in (0, 1, 2), done.stderr
        assert b"Traceback" not in done.stderr + done.stdout
        assert path.read_bytes() == content
    assert _listing(inputs, cwd) == before  # same files, sizes and mtimes
    assert _listing(data) == data_before
    created = {p.name for p in out.iterdir()}
    assert created <= {"report.json"}
    if name == "validate-output":
        assert created == {"report.json"}


@pytest.mark.parametrize("args", [["rules"], ["schemas", "list"]])
def test_catalogue_commands_create_nothing(args: list[str], tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = _cli(args, cwd, tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert list(cwd.iterdir()) == []


class _Guard:
    """Replaces every way to open a connection; records any attempt."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hits: list[str] = []

        def refuse(*args: Any, **kwargs: Any) -> Any:
            self.hits.append(repr(args[:2]))
            raise OSError("network access refused by the test")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_no_socket_is_opened_in_process(
    monkeypatch: pytest.MonkeyPatch, inputs: Path, tmp_path: Path
) -> None:
    from test_hostile_inputs import CASES  # the same hostile inputs, small ones only

    guard = _Guard(monkeypatch)
    names = [
        n
        for n in CASES
        if not any(
            k in n for k in ("200mb", "million", "10gb", "50mb", "deep", "long", "100k", "10mb")
        )
    ]
    assert len(names) > 20
    for name in names:
        path = tmp_path / f"{name}.xml"
        CASES[name][0](path, 9)  # port 9 (discard): nothing may try it
        pes_v2.validate(path, schemas="embedded")
    for path in inputs.iterdir():
        pes_v2.validate(path, schemas="embedded")
        pes_v2.validate(path.read_bytes(), schemas="embedded", trust=[_root_pem()])
    assert guard.hits == []


def _root_pem() -> bytes:
    from pes_v2.testing.signing import test_pki

    return test_pki().root.cert_pem()


def test_a_file_changing_while_it_is_read(tmp_path: Path) -> None:
    """Decided behaviour: the report reflects the bytes read; no crash, no hang."""
    path = tmp_path / "moving.xml"
    data = build_flow(FlowSpec(seed=5, depense=40, pieces=20, lines=3))
    assert len(data) > 2_000_000
    path.write_bytes(data)
    stop = threading.Event()

    def churn() -> None:
        cuts = [len(data) // 3, len(data) // 2, len(data)]
        index = 0
        while not stop.is_set():
            with path.open("r+b") as handle:  # truncate and regrow in place
                handle.truncate(cuts[index % 3])
                if index % 3 == 2:
                    handle.seek(0)
                    handle.write(data)
            index += 1
            time.sleep(0.001)

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        reports = [pes_v2.validate(path, schemas="embedded") for _ in range(5)]
    finally:
        stop.set()
        thread.join(5)
    for report in reports:
        assert report.flow.root == "PES_Aller" or report.findings
    path.write_bytes(data)
    assert pes_v2.validate(path, schemas="embedded").flow.bordereaux == 40


def test_special_paths_exit_2_with_one_line(tmp_path: Path) -> None:
    cases = {"directory": tmp_path / "folder", "symlink-loop": tmp_path / "loop-a"}
    cases["directory"].mkdir()
    os.symlink(tmp_path / "loop-b", tmp_path / "loop-a")
    os.symlink(tmp_path / "loop-a", tmp_path / "loop-b")
    locked = tmp_path / "locked.xml"
    locked.write_bytes(b"<a/>")
    locked.chmod(0)
    if os.geteuid() != 0:
        cases["unreadable"] = locked
    for name, path in cases.items():
        with pytest.raises(pes_v2.PesError):
            pes_v2.validate(path, schemas="embedded")
        if name == "directory":
            continue  # the command line reads a directory's *.xml (none here: exit 0)
        started = time.perf_counter()
        done = _cli(["validate", "--schemas", "embedded", str(path)], tmp_path, tmp_path)
        assert time.perf_counter() - started < 5
        lines = done.stderr.decode().strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, (name, done.stderr)


def _without_dac_override() -> list[str]:
    """As root, a command prefix that drops the capabilities letting root read any file."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root without util-linux's setpriv: cannot test permissions")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    """A file the user may not read: one line, exit 2 (root reads everything, so as root the
    child runs without the capabilities that let it)."""
    locked = tmp_path / "locked.xml"
    locked.write_bytes(b"<a/>")
    locked.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(pes_v2.InputError, match="permission denied"):
            pes_v2.validate(locked)
    done = subprocess.run(
        [*_without_dac_override(), sys.executable, "-m", "pes_v2.cli", "validate", str(locked)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"pes-v2 : erreur : {locked} : lecture non autorisée"
    ]


def test_a_fifo_without_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "flow.xml"
    os.mkfifo(fifo)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import pes_v2; print(pes_v2.validate({str(fifo)!r}, schemas='embedded').rule_ids())",
        ],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "PES-XML-002" in done.stdout  # nothing written: an empty file


def test_a_fifo_with_a_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "flow.xml"
    os.mkfifo(fifo)
    data = build_flow(FlowSpec(seed=6))
    writer = threading.Thread(target=lambda: fifo.write_bytes(data), daemon=True)
    writer.start()
    time.sleep(0.2)
    report = pes_v2.validate(fifo, schemas="embedded")
    writer.join(5)
    assert report.flow.bordereaux == 1
    assert not {"PES-XML-001", "PES-XML-002"} & set(report.rule_ids())
