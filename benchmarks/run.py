"""The benchmark suite: pes-v2 side by side with the peer tools, in one run.

    python benchmarks/run.py [--sizes 10,100] [--runs 3] [--schemas PATH] [--skip-dom]
    python benchmarks/run.py --sizes 10,100,1000     # add the 1 GB case (slow)

Cases (inputs generated with pes_v2.testing and cached in benchmarks/.cache/):
  1. XSD only, official bundle: pes-v2 (reading + XSD) vs ``xmllint --stream --schema`` vs
     ``xmllint --schema`` (DOM) vs xmlschema (10 MB only);
  2. full validation (XSD + every rule, signatures off) vs ``xmllint --stream`` (XSD only);
  5. embedded schema vs the official bundle, full validation.
Cases 3 (signatures) and 4 (batch) have their own scripts: signature_bench.py, batch_bench.py.

Each figure is the median wall time of ``--runs`` runs, each in a fresh process, with that
process's own peak RSS (wait4), throughput, and the ratio to xmllint --stream.  The cases
take turns run after run, so that a slow spell of a shared machine weighs on all of them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from read_bench import flow_of  # noqa: E402

MEASURED_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The environment of every timed process: Python's compiled bytecode is written and reused,
as after ``pip install`` (which compiles it).  Without it, an environment that sets
PYTHONDONTWRITEBYTECODE makes each run of pes-v2 compile its modules again (about 40 ms),
while the peer Python tools installed by pip load theirs compiled."""


def compile_bytecode() -> None:
    """Import pes-v2 once, untimed, so that its compiled bytecode is written."""
    subprocess.run(
        [sys.executable, "-c", "import pes_v2.cli, pes_v2.engine"], env=MEASURED_ENV, check=True
    )


DEFAULT_BUNDLE = HERE.parent.parent / "shared" / "reference" / "xsd" / "schemas_pes_v5.30"
ROOT_SCHEMA = Path("PES_V2") / "Rev0" / "PES_Aller.xsd"

PES_V2 = """
import sys
from pes_v2.bundles import resolve_bundle
from pes_v2.engine import Options, Validation
validation = Validation(sys.argv[1], Options(bundle=resolve_bundle(sys.argv[2]),
                                             rules=sys.argv[3] == "full"))
for _ in validation:
    pass
"""
XMLSCHEMA = """
import sys, xmlschema
schema = xmlschema.XMLSchema(sys.argv[2])
errors = sum(1 for _ in schema.iter_errors(sys.argv[1]))
"""


def run_once(command: list[str], memory_cap: int | None = None) -> tuple[float, int, bool]:
    """Wall time (s), peak RSS (KiB) and whether ``command`` completed, in a fresh process."""

    def cap() -> None:
        if memory_cap:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))

    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=cap,
        cwd=HERE,
        env=MEASURED_ENV,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    return wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status) in (0, 1, 3)


def timed(command: list[str], what: str) -> float:
    """Wall time (s) of ``command`` in a fresh process; exits when it fails (a validation
    finding errors, exit code 1, is no failure)."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, check=False, env=MEASURED_ENV)
    wall = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"{what} failed ({result.returncode}): {result.stderr.decode()[:500]}")
    return wall


def measure_round_robin(
    commands: dict[str, list[str]], runs: int
) -> tuple[dict[str, tuple[float, int, bool]], dict[str, list[float]]]:
    """Median wall, peak RSS and completion of each command, the commands taking turns run
    after run: a slow spell of the machine then weighs on every case alike, which keeps the
    ratios of one run meaningful on a shared machine."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    peaks = dict.fromkeys(commands, 0)
    done = dict.fromkeys(commands, True)
    for _ in range(runs):
        for name, command in commands.items():
            wall, peak, ok = run_once(command)
            walls[name].append(wall)
            peaks[name] = max(peaks[name], peak)
            done[name] = done[name] and ok
    medians = {name: (statistics.median(walls[name]), peaks[name], done[name]) for name in commands}
    return medians, walls


def turn_ratios(walls: dict[str, list[float]], top: str, bottom: str) -> list[float]:
    """``top``'s wall divided by ``bottom``'s, turn by turn."""
    return [a / b for a, b in zip(walls[top], walls[bottom], strict=True)]


def paired_ratio(walls: dict[str, list[float]], top: str, bottom: str) -> float:
    """Median over the runs of ``top``'s wall divided by ``bottom``'s in the same turn."""
    return statistics.median(turn_ratios(walls, top, bottom))


def row(label: str, size_mb: float, result: tuple[float, int, bool], base: float | None) -> str:
    wall, peak, ok = result
    if not ok:
        return f"| {label} | failed (peak {peak / 1024:.0f} MB) | | | |"
    ratio = f"{wall / base:.2f}" if base else "1.00"
    return (
        f"| {label} | {wall:.2f} s | {peak / 1024:.0f} MB | {size_mb / wall:.1f} MB/s | {ratio} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--schemas", default=str(DEFAULT_BUNDLE))
    parser.add_argument("--skip-dom", action="store_true", help="skip xmllint DOM (memory)")
    args = parser.parse_args()
    bundle = Path(args.schemas)
    schema = bundle / ROOT_SCHEMA
    xmllint = shutil.which("xmllint")
    py = sys.executable
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; runs {args.runs}")
    compile_bytecode()
    for size in (int(s) for s in args.sizes.split(",")):
        path = flow_of(size)
        mb = path.stat().st_size / 1e6
        print(f"\n### {path.name} ({mb:.0f} MB)\n")
        print("| case | wall (median) | peak RSS | throughput | ratio to xmllint --stream |")
        print("|---|---|---|---|---|")
        commands: dict[str, list[str]] = {}
        if xmllint:
            commands["stream"] = [
                xmllint,
                "--noout",
                "--huge",
                "--stream",
                "--schema",
                str(schema),
                str(path),
            ]
        commands["xsd"] = [py, "-c", PES_V2, str(path), str(bundle), "xsd"]
        commands["full"] = [py, "-c", PES_V2, str(path), str(bundle), "full"]
        commands["embedded"] = [py, "-c", PES_V2, str(path), "embedded", "full"]
        results, walls = measure_round_robin(commands, args.runs)
        stream = results.get("stream")
        base = stream[0] if stream else None
        if stream:
            print(row("xmllint --stream --schema (XSD only)", mb, stream, base))
        if xmllint and not args.skip_dom:
            dom = run_once(
                [xmllint, "--noout", "--huge", "--schema", str(schema), str(path)],
                memory_cap=16 << 30,
            )
            print(row("xmllint --schema, DOM (XSD only, 1 run)", mb, dom, base))
        xsd, full = results["xsd"], results["full"]
        print(row("1. pes-v2, reading + XSD only (official)", mb, xsd, base))
        print(row("2. pes-v2, XSD + all rules (official)", mb, full, base))
        print(row("5. pes-v2, XSD + all rules (embedded)", mb, results["embedded"], base))
        if size <= 10:
            pure = run_once([py, "-c", XMLSCHEMA, str(path), str(schema)])
            print(row("xmlschema (pure Python, XSD only, 1 run)", mb, pure, base))
            print(f"\npes-v2 XSD-only is {pure[0] / xsd[0]:.1f}x faster than xmlschema.")
        print(f"\nrules overhead over XSD only: {(full[0] / xsd[0] - 1) * 100:.0f} %")
        if stream:
            print(
                "paired ratios (median over turns): "
                f"XSD only / xmllint {paired_ratio(walls, 'xsd', 'stream'):.2f}, "
                f"full / xmllint {paired_ratio(walls, 'full', 'stream'):.2f}, "
                f"full / XSD only {paired_ratio(walls, 'full', 'xsd'):.2f}"
            )


if __name__ == "__main__":
    main()
