"""Records are built without the whitespace between elements when the input holds no
signature; no finding may depend on it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import pes_v2
from pes_v2.engine import Options, Validation
from pes_v2.testing import FlowSpec, build_flow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
UNSIGNED = sorted(path for path in FIXTURES.rglob("*.xml") if b"Signature" not in path.read_bytes())


def _kept(source: object) -> bool:
    validation = Validation(source, Options(bundle=pes_v2.SchemaBundle.embedded()))
    for _ in validation:
        pass
    return validation.reader.result.blank_text_kept


def test_blank_text_is_dropped_only_for_inputs_scanned_free_of_signatures(
    tmp_path: Path,
) -> None:
    flow = build_flow(FlowSpec(seed=3))
    path = tmp_path / "flow.xml"
    path.write_bytes(flow)
    assert not _kept(path) and not _kept(str(path)) and not _kept(flow)
    assert _kept(io.BytesIO(flow))  # a caller's stream is read once, as it comes
    signed = next(p for p in FIXTURES.rglob("*.xml") if b"<ds:Signature" in p.read_bytes())
    assert _kept(signed) and _kept(signed.read_bytes())
    # The word in a value is not a signature.
    worded = flow.replace(b'<Obj V="', b'<Obj V="Signature ', 1)
    assert worded != flow and not _kept(worded)


@pytest.mark.parametrize("path", UNSIGNED, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_dropping_blank_text_changes_no_finding(path: Path) -> None:
    data = path.read_bytes()
    dropped = pes_v2.validate(path)
    kept = pes_v2.validate(io.BytesIO(data))
    assert [f.as_dict() for f in dropped.findings] == [f.as_dict() for f in kept.findings]


def test_dropping_blank_text_changes_no_finding_on_the_corpus(
    corpus_dir: Path, official_v530: Path
) -> None:
    checked = 0
    for path in sorted(corpus_dir.rglob("*.xml")):
        data = path.read_bytes()
        if b"Signature" in data:
            continue
        dropped = pes_v2.validate(path, schemas=str(official_v530))
        kept = pes_v2.validate(io.BytesIO(data), schemas=str(official_v530))
        assert [f.as_dict() for f in dropped.findings] == [f.as_dict() for f in kept.findings], (
            path.name
        )
        checked += 1
    assert checked >= 20
