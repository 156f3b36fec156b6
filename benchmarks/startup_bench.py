"""One small flow from the command line: what a treasurer waits for, against xmllint.

    python benchmarks/startup_bench.py [--runs 15] [--schemas PATH|embedded] [--kb 50]

Generates (and caches under benchmarks/.cache/) one correct flow of about ``--kb`` KB, then
times, each run in a fresh process, the cases taking turns:

- ``python -c pass``: the interpreter alone, the floor of any Python command;
- ``pes-v2 validate --schemas S FLOW`` (the installed command line's code, text report);
- ``pes_v2.validate(FLOW, schemas=S)`` from a script (what finance software pays per process);
- ``xmllint --noout --schema PES_Aller.xsd FLOW`` (XSD only, schema compiled each time).

Prints each one's median and fastest wall, the command line's ratio to xmllint (paired per
turn), then where one process's time goes: the imports, resolving the bundle, compiling the
schema, the validation itself (one more process, each step timed inside it).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
sys.path.insert(0, str(HERE))

from run import DEFAULT_BUNDLE, MEASURED_ENV, compile_bytecode, paired_ratio, timed  # noqa: E402

API = """
import sys
import pes_v2
pes_v2.validate(sys.argv[1], schemas=sys.argv[2])
"""

CLI = """
import sys
from pes_v2.cli.main import main
sys.argv = ["pes-v2", *sys.argv[1:]]
main()
"""

STEPS = """
import sys, time
started = time.perf_counter()
import pes_v2.cli.main
from pes_v2.bundles import resolve_bundle
from pes_v2.engine import Options, Validation
imported = time.perf_counter()
bundle = resolve_bundle(sys.argv[2])
resolved = time.perf_counter()
bundle.native_schema_for(next(r for r in bundle.roots if r.endswith("PES_Aller")))
compiled = time.perf_counter()
for _ in Validation(sys.argv[1], Options(bundle=bundle)):
    pass
done = time.perf_counter()
for name, (a, b) in {
    "imports (command line included)": (started, imported),
    "resolving the bundle": (imported, resolved),
    "compiling the schema": (resolved, compiled),
    "the validation": (compiled, done),
}.items():
    print(f"{name:34s} {(b - a) * 1000:6.1f} ms")
"""


def flow(kb: int) -> Path:
    """A cached correct flow of about ``kb`` KB."""
    from pes_v2.testing import FlowSpec, write_flow

    path = CACHE / f"startup-{kb}kb.xml"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        write_flow(FlowSpec(seed=7, depense=1, recette=1, target_bytes=kb * 1000), path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--kb", type=int, default=50)
    default = str(DEFAULT_BUNDLE) if DEFAULT_BUNDLE.is_dir() else "embedded"
    parser.add_argument("--schemas", default=default, help="embedded or a bundle folder")
    args = parser.parse_args()

    from pes_v2.bundles import resolve_bundle

    path = flow(args.kb)
    bundle = resolve_bundle(args.schemas)
    schema = bundle.base / bundle.roots[next(r for r in bundle.roots if r.endswith("PES_Aller"))]
    print(f"flow {path.name} ({path.stat().st_size / 1000:.0f} KB); schemas {bundle.info}")
    compile_bytecode()
    py = sys.executable
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "pes-v2 validate (command line)": [
            py,
            "-c",
            CLI,
            "validate",
            "--schemas",
            args.schemas,
            str(path),
        ],
        "pes_v2.validate (API)": [py, "-c", API, str(path), args.schemas],
    }
    xmllint = shutil.which("xmllint")
    if xmllint:
        commands["xmllint --schema"] = [xmllint, "--noout", "--schema", str(schema), str(path)]
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            walls[name].append(timed(command, name))
    print(f"\nruns: {args.runs} (each a fresh process; the cases take turns)")
    for name, values in walls.items():
        print(
            f"{name:34s} median {statistics.median(values) * 1000:6.1f} ms"
            f"   fastest {min(values) * 1000:6.1f} ms"
        )
    if xmllint:
        ratio = paired_ratio(walls, "pes-v2 validate (command line)", "xmllint --schema")
        print(f"command line / xmllint (paired)    {ratio:6.1f}x")
    print("\none process, step by step:")
    sys.stdout.flush()
    subprocess.run([py, "-c", STEPS, str(path), args.schemas], check=True, env=MEASURED_ENV)


if __name__ == "__main__":
    main()
