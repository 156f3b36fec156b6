"""write_flow streams: memory stays bounded whatever the size of the flow."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent("""
    import json, resource, sys
    from pes_v2.testing import FlowSpec, write_flow

    def peak_kib():
        # ru_maxrss survives execve on Linux (the child starts with pytest's peak), so
        # prefer this process's own high-water mark when /proc has it.
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    spec = FlowSpec(**json.loads(sys.argv[2]))
    before = peak_kib()
    with open(sys.argv[1], "wb") as f:
        size = write_flow(spec, f)
    after = peak_kib()
    print(json.dumps({"size": size, "before_kb": before, "after_kb": after}))
""")

CASES = {
    "bordereaux": {"seed": 3, "depense": 3000, "pieces": 3, "lines": 2},
    "target": {
        "seed": 4,
        "depense": 1,
        "recette": 1,
        "pj": 2,
        "pj_size": 100_000,
        "target_bytes": 20_000_000,
    },
    "big-pj": {"seed": 5, "depense": 1, "pj": 1, "pj_size": 15_000_000},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_twenty_megabytes_in_bounded_memory(case: str, tmp_path: Path) -> None:
    out = tmp_path / "big.xml"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out), json.dumps(CASES[case])],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=tmp_path,
    )
    figures = json.loads(proc.stdout)
    assert figures["size"] == out.stat().st_size
    assert 18_000_000 <= out.stat().st_size <= 22_000_000
    # Figures are KiB. Streaming grows by ~1 MiB here; an unflushed xmlfile
    # buffer grows by ~10 MiB on the big PJ, a tree of the flow by several hundred.
    grown_mib = (figures["after_kb"] - figures["before_kb"]) / 1024
    assert grown_mib < 6, figures
    with out.open("rb") as f:
        f.seek(-100, 2)
        assert f.read().rstrip().endswith(b"</n:PES_Aller>")
