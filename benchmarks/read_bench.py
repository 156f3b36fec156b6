"""Streaming read: wall time and peak memory of ``pes-v2 validate`` on a large generated flow.

    python benchmarks/read_bench.py [--mb 200] [--schemas embedded|PATH]

Generates (and caches under benchmarks/.cache/) a correct flow of about ``--mb`` megabytes
with ``pes_v2.testing``, then validates it in a fresh process and prints wall time, peak RSS
and throughput. When ``xmllint`` is installed it runs ``xmllint --noout --stream --schema``
on the same file with the same schema for comparison (the peer doing XSD only).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"

MEASURE = """
import resource, sys, time
import pes_v2
started = time.perf_counter()
report = pes_v2.validate(sys.argv[1], schemas=sys.argv[2])
wall = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(wall, rss, report.valid, len(report.findings), report.flow.bordereaux)
"""


def flow_arguments(description: str, runs: int) -> tuple[argparse.Namespace, Path, Any]:
    """``--mb``, ``--schemas`` and ``--runs`` read from the command line, with the cached flow
    of that size and the bundle resolved (failing early when it is unusable)."""
    from pes_v2.bundles import resolve_bundle

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--schemas", default="embedded")
    parser.add_argument("--runs", type=int, default=runs)
    args = parser.parse_args()
    return args, flow_of(args.mb), resolve_bundle(args.schemas)


def flow_of(megabytes: int) -> Path:
    """A cached generated flow of about ``megabytes`` MB."""
    from pes_v2.testing import FlowSpec, write_flow

    path = CACHE / f"flow-{megabytes}mb.xml"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        spec = FlowSpec(
            seed=megabytes,
            depense=1,
            recette=1,
            pieces=20,
            lines=3,
            pj=4,
            pj_size=200_000,
            target_bytes=megabytes * 1_000_000,
        )
        partial = path.with_suffix(".part")
        write_flow(spec, partial)
        partial.rename(path)
    return path


def run_pes_v2(path: Path, schemas: str) -> tuple[float, int, str]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), schemas],
        capture_output=True,
        text=True,
        check=True,
    )
    wall, rss, valid, findings, bordereaux = done.stdout.split()
    return float(wall), int(rss), f"valid={valid} findings={findings} bordereaux={bordereaux}"


def run_xmllint(path: Path, schema: Path) -> tuple[float, int] | None:
    if shutil.which("xmllint") is None:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        ["xmllint", "--noout", "--huge", "--stream", "--schema", str(schema), str(path)],
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(after, before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--schemas", default="embedded")
    args = parser.parse_args()

    path = flow_of(args.mb)
    size = path.stat().st_size
    wall, rss_kb, summary = run_pes_v2(path, args.schemas)
    print(f"file: {path.name}, {size / 1e6:.1f} MB")
    print(
        f"pes-v2 validate ({args.schemas}): {wall:.2f} s, peak RSS {rss_kb / 1024:.0f} MB, "
        f"{size / 1e6 / wall:.1f} MB/s, {summary}"
    )
    if args.schemas == "embedded":
        schema = HERE.parent / "schemas" / "PES_Aller.xsd"
    else:
        schema = Path(args.schemas) / "PES_V2" / "Rev0" / "PES_Aller.xsd"
    peer = run_xmllint(path, schema)
    if peer is None:
        print("xmllint: not installed (apt-get install libxml2-utils) — no comparison")
    else:
        print(
            f"xmllint --stream --schema: {peer[0]:.2f} s, peak RSS {peer[1] / 1024:.0f} MB; "
            f"ratio pes-v2/xmllint wall {wall / peer[0]:.2f}"
        )
    print(f"peak RSS target < 150 MB: {'met' if rss_kb / 1024 < 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
