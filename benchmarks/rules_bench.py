"""What the business rules cost: XSD-only versus full validation on a large generated flow.

    python benchmarks/rules_bench.py [--mb 100] [--schemas embedded|PATH] [--runs 5]

Prints the median wall time of reading + XSD validation alone, of the full validation
(XSD + every rule of the default profile), and the overhead of the rules in percent
(target: at most 30 %).  A third case runs the full validation with the records parsed by
the reader's own event parser (``PES_V2_FRAGMENTS=0``), to show what parsing them in a
thread of their own saves, and a fourth with the rules' probes answered by lxml's XPath
(``PES_V2_NATIVE_PROBES=0``), to show what the compiled probes save.  Every run is a fresh
process (as from the command line: no cache of an earlier run helps), the cases taking
turns; ratios are paired per turn.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_bench import flow_arguments
from run import PES_V2, compile_bytecode, measure_round_robin, paired_ratio, turn_ratios


def main() -> None:
    args, path, bundle = flow_arguments(__doc__.splitlines()[0], runs=5)
    py = sys.executable
    validate = [py, "-c", PES_V2, str(path), args.schemas]
    commands = {
        "xsd": [*validate, "xsd"],
        "full": [*validate, "full"],
        "together": ["env", "PES_V2_FRAGMENTS=0", *validate, "full"],
        "xpath": ["env", "PES_V2_NATIVE_PROBES=0", *validate, "full"],
    }
    compile_bytecode()
    medians, walls = measure_round_robin(commands, args.runs)
    xsd, full, together, xpath = (medians[name][0] for name in ("xsd", "full", "together", "xpath"))
    paired = paired_ratio(walls, "full", "xsd")
    saved = paired_ratio(walls, "full", "together")
    compiled = paired_ratio(walls, "full", "xpath")
    size = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size:.1f} MB, schemas {bundle.info.kind} {bundle.info.version}")
    print(f"XSD only:         {xsd:.2f} s ({size / xsd:.1f} MB/s)")
    print(f"XSD + all rules:  {full:.2f} s ({size / full:.1f} MB/s)")
    print(
        f"  records parsed by the reader itself (PES_V2_FRAGMENTS=0): {together:.2f} s; "
        f"parsed apart takes {saved:.2f}x that (paired)"
    )
    print(
        f"  probes answered by lxml's XPath (PES_V2_NATIVE_PROBES=0): {xpath:.2f} s; "
        f"compiled probes take {compiled:.2f}x that (paired), rules overhead then "
        f"{(paired_ratio(walls, 'xpath', 'xsd') - 1) * 100:.0f} %"
    )
    overhead = (paired - 1) * 100
    verdict = "met" if overhead <= 30 else "MISSED"
    turns = sorted((ratio - 1) * 100 for ratio in turn_ratios(walls, "full", "xsd"))
    spread = f"{turns[0]:.0f} to {turns[-1]:.0f} %" if len(turns) > 1 else "one turn"
    print(f"rules overhead:   {overhead:.0f} % paired (target <= 30 %: {verdict}; turns: {spread})")


if __name__ == "__main__":
    main()
