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
process's own peak RSS (wait4), throughput, and the ratio to xmllint --stream.
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


def measure(
    command: list[str], runs: int, memory_cap: int | None = None
) -> tuple[float, int, bool]:
    """Median wall time (s), peak RSS (KiB) of the slowest run, and whether it completed."""
    walls, peak, ok = [], 0, True
    for _ in range(runs):

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
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - started)
        peak = max(peak, usage.ru_maxrss)
        ok = ok and os.waitstatus_to_exitcode(status) in (0, 1, 3)
    return statistics.median(walls), peak, ok


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
    for size in (int(s) for s in args.sizes.split(",")):
        path = flow_of(size)
        mb = path.stat().st_size / 1e6
        print(f"\n### {path.name} ({mb:.0f} MB)\n")
        print("| case | wall (median) | peak RSS | throughput | ratio to xmllint --stream |")
        print("|---|---|---|---|---|")
        stream = None
        if xmllint:
            stream = measure(
                [xmllint, "--noout", "--huge", "--stream", "--schema", str(schema), str(path)],
                args.runs,
            )
            print(row("xmllint --stream --schema (XSD only)", mb, stream, stream[0]))
            if not args.skip_dom:
                dom = measure(
                    [xmllint, "--noout", "--huge", "--schema", str(schema), str(path)],
                    1,
                    memory_cap=16 << 30,
                )
                print(row("xmllint --schema, DOM (XSD only)", mb, dom, stream[0]))
        base = stream[0] if stream else None
        xsd = measure([py, "-c", PES_V2, str(path), str(bundle), "xsd"], args.runs)
        print(row("1. pes-v2, reading + XSD only (official)", mb, xsd, base))
        full = measure([py, "-c", PES_V2, str(path), str(bundle), "full"], args.runs)
        print(row("2. pes-v2, XSD + all rules (official)", mb, full, base))
        embedded = measure([py, "-c", PES_V2, str(path), "embedded", "full"], args.runs)
        print(row("5. pes-v2, XSD + all rules (embedded)", mb, embedded, base))
        if size <= 10:
            pure = measure([py, "-c", XMLSCHEMA, str(path), str(schema)], 1)
            print(row("xmlschema (pure Python, XSD only)", mb, pure, base))
            print(f"\npes-v2 XSD-only is {pure[0] / xsd[0]:.1f}x faster than xmlschema.")
        print(f"\nrules overhead over XSD only: {(full[0] / xsd[0] - 1) * 100:.0f} %")


if __name__ == "__main__":
    main()
