"""Validations running in threads of one process do not see each other's records."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pes_v2

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invalid"


def _findings(path: Path) -> list[dict[str, object]]:
    return [f.as_dict() for f in pes_v2.validate(path, schemas="embedded").findings]


def test_concurrent_validations_give_the_sequential_findings() -> None:
    paths = sorted(FIXTURES.glob("*/*.xml"))[:24]
    assert len(paths) >= 12
    expected = {path: _findings(path) for path in paths}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            got = dict(zip(paths, pool.map(_findings, paths), strict=True))
            assert got == expected
