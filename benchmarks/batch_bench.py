"""Batch throughput: ``pes-v2 validate --jobs 1`` vs ``--jobs 2`` vs one xmllint per file.

    python benchmarks/batch_bench.py [--count 1000] [--kb 50] [--schemas S ...] [--runs 3]

Generates (and caches under benchmarks/.cache/) ``--count`` correct flows of about ``--kb``
KB with ``pes_v2.testing``, then times, on the same directory and the same schema:

- ``pes-v2 validate --format jsonl --jobs 1 DIR`` (XSD + every rule + batch checks);
- the same with ``--jobs 2``;
- ``xmllint --noout --schema PES_Aller.xsd FILE``, one process per file (XSD only), the way
  shell scripts and TdT platforms call it.

The three take turns, ``--runs`` times; prints each one's median wall time and files per
second, and the ratios paired per turn (the median over the turns of one wall divided by
the other's in the same turn), which a slow spell of a shared machine moves far less.

Each ``--schemas`` (``embedded`` or a bundle path) is measured in turn. By default: the
embedded schema, and the official v5.30 bundle when ``../shared/reference`` is beside the
checkout, the one a user of xmllint has. An xmllint process compiles its schema for each
file: ≈ 16–23 ms a file with the official bundle, ≈ 6–8 ms with the embedded schema.
Targets: jobs 2 at least 1.7 times jobs 1 (on a machine with 2 free CPUs), and at least 5
times faster than one xmllint per file.
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
CACHE = HERE / ".cache"
sys.path.insert(0, str(HERE))

from run import DEFAULT_BUNDLE, compile_bytecode, paired_ratio, timed  # noqa: E402


def flows(count: int, kb: int) -> Path:
    """A cached directory of ``count`` generated flows of about ``kb`` KB each."""
    from pes_v2.testing import FlowSpec, write_flow

    folder = CACHE / f"batch-{count}x{kb}kb"
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        spec = FlowSpec(seed=10_000 + i, depense=1, recette=i % 2, target_bytes=kb * 1000)
        write_flow(spec, folder / f"flow-{i:05d}.xml")
    done.write_text("ok\n")
    return folder


def run_pes(folder: Path, jobs: int, schemas: str) -> float:
    command = [
        sys.executable,
        "-m",
        "pes_v2.cli",
        "validate",
        "--format",
        "jsonl",
        "--schemas",
        schemas,
        "--jobs",
        str(jobs),
        str(folder),
    ]
    return timed(command, "pes-v2")


def run_xmllint(folder: Path, schema: Path) -> float | None:
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        return None
    files = sorted(folder.glob("*.xml"))
    started = time.perf_counter()
    for path in files:
        subprocess.run(
            [xmllint, "--noout", "--schema", str(schema), str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--kb", type=int, default=50)
    parser.add_argument("--schemas", action="append", help="embedded or a bundle (repeatable)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    choices = args.schemas or ["embedded"] + (
        [str(DEFAULT_BUNDLE)] if DEFAULT_BUNDLE.is_dir() else []
    )
    folder = flows(args.count, args.kb)
    size = sum(p.stat().st_size for p in folder.glob("*.xml")) / args.count / 1000
    print(f"{args.count} flows of {size:.0f} KB in {folder}")
    print(f"CPUs available: {len(os.sched_getaffinity(0))}")
    compile_bytecode()
    for schemas in choices:
        measure(folder, schemas, args.count, args.runs)


def measure(folder: Path, schemas: str, count: int, runs: int) -> None:
    """Time the three cases on ``folder`` with ``schemas`` and print the figures."""
    from pes_v2.bundles import resolve_bundle

    bundle = resolve_bundle(schemas)
    schema = bundle.base / bundle.roots[next(r for r in bundle.roots if r.endswith("PES_Aller"))]
    print(f"\nschemas {bundle.kind} {bundle.version}")
    walls: dict[str, list[float]] = {"one": [], "two": [], "lint": []}
    for _ in range(runs):
        walls["one"].append(run_pes(folder, 1, schemas))
        walls["two"].append(run_pes(folder, 2, schemas))
        lint = run_xmllint(folder, schema)
        if lint is not None:
            walls["lint"].append(lint)
    one, two = statistics.median(walls["one"]), statistics.median(walls["two"])
    print(f"runs: {runs} (medians; ratios paired per turn)")
    print(f"pes-v2 --jobs 1        {one:8.2f} s  {count / one:8.1f} files/s")
    print(f"pes-v2 --jobs 2        {two:8.2f} s  {count / two:8.1f} files/s")
    if not walls["lint"]:
        print("xmllint per file        (xmllint not installed)")
    else:
        lint = statistics.median(walls["lint"])
        print(f"xmllint per file       {lint:8.2f} s  {count / lint:8.1f} files/s")
    print(f"ratio jobs 2 / jobs 1  {paired_ratio(walls, 'one', 'two'):8.2f}x  (target >= 1.7x)")
    if walls["lint"]:
        print(f"ratio xmllint / jobs 1 {paired_ratio(walls, 'lint', 'one'):8.2f}x  (> 1: faster)")
        print(f"ratio xmllint / jobs 2 {paired_ratio(walls, 'lint', 'two'):8.2f}x  (target >= 5x)")


if __name__ == "__main__":
    main()
