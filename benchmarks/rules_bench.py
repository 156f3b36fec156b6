"""What the business rules cost: XSD-only versus full validation on a large generated flow.

    python benchmarks/rules_bench.py [--mb 100] [--schemas embedded|PATH] [--runs 3]

Prints the median wall time of reading + XSD validation alone, of the full validation
(XSD + every rule of the default profile), and the overhead of the rules in percent, from
runs taken in turns (target: at most 30 %).  A third case runs the full validation with
the records parsed by the reader's own event parser (``PES_V2_FRAGMENTS=0``), to show what
parsing them in a thread of their own saves.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_bench import flow_of

from pes_v2.bundles import resolve_bundle
from pes_v2.engine import Options, Validation


def wall(path: Path, options: Options, *, apart: bool = True) -> float:
    os.environ["PES_V2_FRAGMENTS"] = "1" if apart else "0"
    started = time.perf_counter()
    validation = Validation(str(path), options)
    for _finding in validation:
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--schemas", default="embedded")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = flow_of(args.mb)
    bundle = resolve_bundle(args.schemas)
    wall(path, Options(bundle=bundle, rules=False))  # compile the schema, warm the cache
    # The two cases take turns, so that a drift of the machine's speed hits both alike; the
    # overhead is the median of the per-turn ratios.
    xsd_walls: list[float] = []
    full_walls: list[float] = []
    together_walls: list[float] = []
    for _ in range(args.runs):
        xsd_walls.append(wall(path, Options(bundle=bundle, rules=False)))
        full_walls.append(wall(path, Options(bundle=bundle)))
        together_walls.append(wall(path, Options(bundle=bundle), apart=False))
    xsd, full = statistics.median(xsd_walls), statistics.median(full_walls)
    together = statistics.median(together_walls)
    paired = statistics.median(f / x for f, x in zip(full_walls, xsd_walls, strict=True))
    saved = statistics.median(f / t for f, t in zip(full_walls, together_walls, strict=True))
    size = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size:.1f} MB, schemas {bundle.info.kind} {bundle.info.version}")
    print(f"XSD only:         {xsd:.2f} s ({size / xsd:.1f} MB/s)")
    print(f"XSD + all rules:  {full:.2f} s ({size / full:.1f} MB/s)")
    print(
        f"  records parsed by the reader itself (PES_V2_FRAGMENTS=0): {together:.2f} s; "
        f"parsed apart takes {saved:.2f}x that (paired)"
    )
    overhead = (paired - 1) * 100
    verdict = "met" if overhead <= 30 else "MISSED"
    print(f"rules overhead:   {overhead:.0f} % paired (target <= 30 %: {verdict})")


if __name__ == "__main__":
    main()
