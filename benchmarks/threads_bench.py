"""Where a validation's CPU goes, thread by thread, on a large generated flow (Linux).

    python benchmarks/threads_bench.py [--mb 100] [--schemas embedded|PATH] [--runs 3]

For XSD only and for the full validation, in turns, each run a fresh process: the wall, the
process's CPU seconds, and for each thread of pes-v2 the CPU seconds it ran and the seconds
it was ready to run but waited for a core (``/proc/<pid>/task/<tid>/schedstat``):

- ``main``: the read, the records' splitter, the event parser, the engine and the rules
  (and Python's start-up and imports, ≈ 0.1 s, which the wall leaves out);
- ``pes-v2-xsd``: libxml2's stream validator (XSD);
- ``pes-v2-parse``: the records parsed apart (flows of 4 MiB and more), and their freeing.

With two cores, a validation lasts at least the slowest thread and at least the CPU of all
of them divided by two; the figures say which of the two bounds it is.  Medians per column.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_bench import flow_arguments
from run import HERE, MEASURED_ENV, compile_bytecode

MEASURE = """
import json, os, sys, threading, time
from pes_v2.bundles import resolve_bundle
from pes_v2.engine import Options, Validation

def schedstat(tid):
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as stat:
            ran, waited = stat.read().split()[:2]
    except OSError:  # the thread has ended
        return None
    return int(ran) / 1e9, int(waited) / 1e9

last = {}
done = threading.Event()

def sample():
    me = threading.get_native_id()
    while not done.wait(0.02):
        for thread in threading.enumerate():
            if thread.native_id not in (None, me) and thread.name != "MainThread":
                figures = schedstat(thread.native_id)
                if figures is not None:
                    last[thread.name] = figures

threading.Thread(target=sample, daemon=True).start()
started = time.perf_counter()
options = Options(bundle=resolve_bundle(sys.argv[2]), rules=sys.argv[3] == "full")
for _ in Validation(sys.argv[1], options):
    pass
wall = time.perf_counter() - started
last["main"] = schedstat(threading.get_native_id())
done.set()
times = os.times()
print(json.dumps({"wall": wall, "cpu": times.user + times.system, "threads": last}))
"""
THREADS = ("main", "pes-v2-xsd", "pes-v2-parse")


@dataclass(frozen=True)
class Run:
    """One validation: wall and process CPU (s), and (ran, waited) seconds per thread."""

    wall: float
    cpu: float
    threads: dict[str, tuple[float, float]]


def run_once(path: Path, schemas: str, mode: str) -> Run:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), schemas, mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
        env=MEASURED_ENV,
    )
    figures = json.loads(done.stdout)
    threads = {name: (ran, waited) for name, (ran, waited) in figures["threads"].items()}
    return Run(figures["wall"], figures["cpu"], threads)


def _thread_cell(results: list[Run], name: str) -> str:
    figures = [r.threads.get(name) for r in results]
    if any(f is None for f in figures):
        return "—"  # not in every run (no records parsed apart below 4 MiB)
    ran = statistics.median(f[0] for f in figures if f is not None)
    waited = statistics.median(f[1] for f in figures if f is not None)
    return f"{ran:.2f} / {waited:.2f} s"


def main() -> None:
    args, path, bundle = flow_arguments(__doc__.splitlines()[0], runs=3)
    compile_bytecode()
    runs: dict[str, list[Run]] = {"XSD only": [], "XSD + all rules": []}
    for _ in range(args.runs):
        for label, results in runs.items():
            results.append(run_once(path, args.schemas, "xsd" if label == "XSD only" else "full"))
    size = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size:.1f} MB, schemas {bundle.info.kind} {bundle.info.version}")
    print(f"runs: {args.runs} (medians; CPU seconds ran / waited for a core)\n")
    print("| case | wall | process CPU | " + " | ".join(THREADS) + " |")
    print("|---|---|---|" + "---|" * len(THREADS))
    for label, results in runs.items():
        wall = statistics.median(r.wall for r in results)
        cpu = statistics.median(r.cpu for r in results)
        cells = [f"{wall:.2f} s", f"{cpu:.2f} s", *(_thread_cell(results, n) for n in THREADS)]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
