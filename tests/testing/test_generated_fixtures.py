"""The committed gen-* fixtures are exactly what the generator writes today."""

from __future__ import annotations

import json
from pathlib import Path

from pes_v2.testing import MUTATIONS
from pes_v2.testing.fixtures import VALID, write_fixtures


def test_fixtures_are_up_to_date(fixtures_dir: Path, tmp_path: Path) -> None:
    entries = write_fixtures(tmp_path)
    assert len(entries) == len(VALID) + len(MUTATIONS)
    manifest = json.loads((fixtures_dir / "manifest.json").read_text("utf-8"))
    committed = {e["path"]: e for e in manifest["files"]}
    for entry in entries:
        path = entry["path"]
        assert committed.get(path) == entry, "regenerate: python -m pes_v2.testing.fixtures"
        assert (fixtures_dir / path).read_bytes() == (tmp_path / path).read_bytes(), path
