"""The Python examples of docs/testing.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text("utf-8"), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    code = BLOCKS[index].replace("/tmp/flow.xml", str(tmp_path / "flow.xml"))
    exec(compile(code, f"{DOC.name}[{index}]", "exec"), namespace)
    test = namespace.get("test_my_checker_rejects")
    if callable(test):
        for name in namespace["MUTATIONS"]:  # type: ignore[attr-defined]
            test(name)
