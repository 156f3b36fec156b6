"""Hostile-input helpers: a child process that validates one input and reports its cost."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TIME_LIMIT = 5.0
"""Seconds one validation may take (measured inside the child, without interpreter start)."""
RSS_LIMIT_MB = 300
AS_LIMIT = 2 << 30
"""Address-space cap of each child (a runaway allocation fails instead of eating the box)."""

CHILD = textwrap.dedent("""
    import json, sys, time, traceback
    import pes_v2

    def peak_kib():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    args = json.loads(sys.argv[1])
    limits = pes_v2.Limits(**args.get("limits", {}))
    outcomes = []
    for path in args["paths"]:
        started = time.perf_counter()
        try:
            report = pes_v2.validate(path, schemas="embedded", limits=limits)
            outcome = {"rules": sorted(set(report.rule_ids())), "valid": report.valid,
                       "error": None, "values": [str(f.value) for f in report.findings]}
        except pes_v2.PesError as exc:  # "could not validate": exit 2 with one line
            outcome = {"rules": [], "valid": False, "error": str(exc), "values": []}
        outcome["seconds"] = round(time.perf_counter() - started, 3)
        outcomes.append(outcome)
    print(json.dumps({"outcomes": outcomes, "peak_mb": round(peak_kib() / 1024, 1)}))
""")


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


RESULTS: dict[str, dict[str, Any]] = {}
"""Outcome of every case run this session (written to PES_V2_HOSTILE_REPORT if set)."""


def run_child(
    paths: list[Path], cwd: Path, limits: dict[str, int] | None = None, timeout: float = 60
) -> dict[str, Any]:
    """Validate ``paths`` in a fresh interpreter (cwd ``cwd``: the installed package)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            json.dumps({"paths": [str(p) for p in paths], "limits": limits or {}}),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        preexec_fn=_cap_memory,
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


@pytest.fixture(scope="session")
def child() -> Callable[..., dict[str, Any]]:
    return run_child


@pytest.fixture(scope="session", autouse=True)
def results() -> Iterator[dict[str, dict[str, Any]]]:
    yield RESULTS
    target = os.environ.get("PES_V2_HOSTILE_REPORT")
    if target and RESULTS:
        Path(target).write_text(json.dumps(RESULTS, indent=1, sort_keys=True))


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the big generated inputs live (once per session)."""
    return tmp_path_factory.mktemp("hostile")
