"""What an invalid flow costs: a large generated flow, valid and with one XSD error near its
end (a bad date in its last bordereau), validated in full.

    python benchmarks/invalid_bench.py [--mb 100] [--schemas embedded|PATH] [--runs 3]

The error is located (element, XPath) by a second read of the flow up to it; this prints
the median wall time of both cases and their paired ratio.  Every run is a fresh process,
the cases taking turns.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_bench import flow_arguments
from run import PES_V2, compile_bytecode, measure_round_robin, paired_ratio

NEEDLE = b'<DteBordEm V="'


def invalid_copy(path: Path) -> Path:
    """``path`` with its last bordereau's date made invalid (cached beside it)."""
    target = path.with_name(path.stem + "-invalid.xml")
    if not target.exists() or target.stat().st_mtime < path.stat().st_mtime:
        data = path.read_bytes()
        at = data.rindex(NEEDLE) + len(NEEDLE)
        target.write_bytes(data[:at] + b"x" + data[at:])
    return target


def main() -> None:
    args, path, bundle = flow_arguments(__doc__.splitlines()[0], runs=3)
    broken = invalid_copy(path)
    py = sys.executable
    commands = {
        "valid": [py, "-c", PES_V2, str(path), args.schemas, "full"],
        "invalid": [py, "-c", PES_V2, str(broken), args.schemas, "full"],
    }
    compile_bytecode()
    medians, walls = measure_round_robin(commands, args.runs)
    size = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size:.1f} MB, schemas {bundle.info.kind} {bundle.info.version}")
    print(f"valid:                          {medians['valid'][0]:.2f} s")
    print(f"one XSD error near the end:     {medians['invalid'][0]:.2f} s")
    print(f"invalid / valid:                {paired_ratio(walls, 'invalid', 'valid'):.2f}x paired")


if __name__ == "__main__":
    main()
