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


def test_concurrent_validations_of_small_flows_as_trees_give_the_sequential_findings() -> None:
    """Small flows validated as trees share the bundle's compiled lxml schema across
    threads: each verdict stays its own flow's."""
    embedded = pes_v2.SchemaBundle.embedded()
    embedded.schema_for("{http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller}PES_Aller")
    valid = sorted((FIXTURES.parent / "valid").glob("*.xml"))
    paths = valid + sorted(FIXTURES.glob("*/*.xml"))[:20]
    expected = {path: _findings(path) for path in paths}
    # Some valid (validated as trees only), some not (then read by the stream validator).
    assert any(all(f["severity"] != "error" for f in found) for found in expected.values())
    assert any(f["rule"].startswith("PES-XSD") for found in expected.values() for f in found)
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(4):
            got = dict(zip(paths, pool.map(_findings, paths), strict=True))
            assert got == expected
