"""Benchmark of the flow generator: ``pes-v2 generate --target-mb 100`` through the API.

Runs the generation in a fresh subprocess and prints its wall time and peak RSS, then
(with ``--validate``) checks the result against the official XSD bundle with lxml.
Targets: a ~100 MB valid flow in < 60 s with a peak RSS < 150 MB.

    python benchmarks/generate_bench.py [--mb 100] [--validate]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pes_v2.testing import FlowSpec, write_flow
spec = FlowSpec(seed=2024, depense=1, recette=1, pieces=5, lines=3, pj=20, pj_size=200_000,
                target_bytes=int(float(sys.argv[2]) * 1_000_000))
start = time.perf_counter()
with open(sys.argv[1], "wb") as f:
    size = write_flow(spec, f)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"bytes": size, "wall_s": wall, "peak_rss_kib": peak}))
"""
XSD = (
    Path(__file__).resolve().parents[2]
    / "shared/reference/xsd/schemas_pes_v5.30/PES_V2/Rev0/PES_Aller.xsd"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0)
    parser.add_argument("--validate", action="store_true", help="validate with the official XSD")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "flow.xml"
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(out), str(args.mb)],
            capture_output=True,
            text=True,
            check=True,
        )
        total = time.perf_counter() - t0
        fig = json.loads(proc.stdout)
        print(f"size          {fig['bytes'] / 1e6:8.1f} MB")
        print(f"write_flow    {fig['wall_s']:8.1f} s   (process incl. start-up: {total:.1f} s)")
        print(f"peak RSS      {fig['peak_rss_kib'] / 1024:8.1f} MiB")
        print(f"throughput    {fig['bytes'] / 1e6 / fig['wall_s']:8.1f} MB/s")
        if args.validate:
            from lxml import etree

            t1 = time.perf_counter()
            schema = etree.XMLSchema(etree.parse(str(XSD)))
            ok = schema.validate(etree.parse(str(out), etree.XMLParser(huge_tree=True)))
            verdict = "valid" if ok else "INVALID"
            print(f"official XSD  {verdict} ({time.perf_counter() - t1:.1f} s)")
            if not ok:
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
