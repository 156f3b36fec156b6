"""Locating XSD errors (the second read of an invalid flow, ``xmlio._locate_schema_errors``).

The records that share no line with a flagged chunk are fed as placeholders; whatever the
flow, that must locate the very errors, at the very places, that reading every element
does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pes_v2
from pes_v2 import xmlio
from pes_v2.limits import DEFAULT_LIMITS
from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate

XSD_MUTATIONS = sorted(name for name, m in MUTATIONS.items() if m.kind == "xsd")
BASE = build_flow(FlowSpec(seed=9, depense=3, recette=3, pieces=3, lines=2, pj=3))


class _Both:
    """Stands in for ``_locate_schema_errors``: locates both ways, keeps what each found."""

    def __init__(self) -> None:
        self.real = xmlio._locate_schema_errors
        self.pairs: list[tuple[list[Any], list[Any]]] = []

    def __call__(self, stream: Any, *args: Any) -> list[Any]:
        *rest, skip = args
        if skip is None:
            return self.real(stream, *rest, None)  # the fallback: nothing to compare
        data = stream.read()
        fast = self.real(_Reader(data), *rest, skip)
        whole = self.real(_Reader(data), *rest, None)
        self.pairs.append((fast, whole))
        return fast


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.position = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.position + size
        piece = self.data[self.position : end]
        self.position += len(piece)
        return piece


def _compare(monkeypatch: pytest.MonkeyPatch, data: bytes, **options: Any) -> int:
    both = _Both()
    monkeypatch.setattr(xmlio, "_locate_schema_errors", both)
    report = pes_v2.validate(data, **{"schemas": "embedded", **options})
    for fast, whole in both.pairs:
        assert fast == whole
    assert any(f.rule.startswith("PES-XSD-") for f in report.findings) or not both.pairs
    return len(both.pairs)


@pytest.mark.parametrize("name", XSD_MUTATIONS)
@pytest.mark.parametrize("chunk_size", [997, 1 << 16])
def test_every_xsd_mutation_is_located_the_same_with_placeholders(
    name: str, chunk_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = mutate(BASE, name, seed=2).data
    limits = DEFAULT_LIMITS.with_(chunk_size=chunk_size)
    # A duplicate xs:ID is found by the reader itself (PES-XSD-005), not by the validator.
    assert _compare(monkeypatch, data, limits=limits) == (name != "xsd.duplicate_id")


def test_errors_in_many_records_and_beyond_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    flow = build_flow(FlowSpec(seed=3, depense=12, recette=4, pieces=2, lines=1, pj=2))
    broken = flow.replace(b'<DteBordEm V="', b'<DteBordEm V="x').replace(b"<IdUnique", b"<Idu", 1)
    for most in (3, 1000):
        limits = DEFAULT_LIMITS.with_(chunk_size=2048, max_schema_errors=most)
        assert _compare(monkeypatch, broken, limits=limits) == 1


def test_a_flow_on_one_line_is_located_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every record shares line 1 with the flagged chunks: none is a placeholder.
    flat = mutate(BASE, "xsd.bad_date", seed=0).data.replace(b"\n", b" ")
    assert flat.count(b"\n") == 0
    assert _compare(monkeypatch, flat, limits=DEFAULT_LIMITS.with_(chunk_size=997)) == 1


def test_corpus_is_located_the_same(
    corpus_dir: Path, official_v530: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = pes_v2.SchemaBundle.from_path(official_v530)
    compared = 0
    for path in sorted(corpus_dir.rglob("*.xml")):
        compared += _compare(monkeypatch, path.read_bytes(), schemas=bundle)
    assert compared >= 5


def test_placeholders_stand_for_the_records_away_from_the_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pes_v2.fragments import Fragment

    flow = build_flow(FlowSpec(seed=3, depense=30, recette=0, pieces=3, lines=2, pj=0))
    last = flow.rindex(b'<DteBordEm V="')
    broken = flow[:last] + b'<DteBordEm V="x' + flow[last + len(b'<DteBordEm V="') :]
    stood: list[int] = []
    real = Fragment.placeholder

    def placeholder(self: Fragment) -> bytes:
        stood.append(self.number)
        return real(self)

    monkeypatch.setattr(Fragment, "placeholder", placeholder)
    limits = DEFAULT_LIMITS.with_(chunk_size=4096)
    report = pes_v2.validate(broken, schemas="embedded", limits=limits)
    (error,) = [f for f in report.findings if f.rule.startswith("PES-XSD-")]
    assert error.xpath and error.xpath.endswith("/Bordereau[30]/BlocBordereau[1]/DteBordEm[1]")
    assert error.line == broken.count(b"\n", 0, last) + 1
    assert len(stood) >= 28  # every bordereau but the flagged one(s) stood in for


@pytest.mark.parametrize("chunk_size", [900, 921, 1166, 1194, 1 << 16])
def test_text_where_none_belongs_is_located_at_its_own_element(chunk_size: int) -> None:
    # libxml2 reports such text when the element ends. Each record holding an error is fed
    # one tag at a time as a whole, so the end is matched to its own element even beside a
    # chunk's edge: with only the flagged chunks fed by tags, these chunk sizes had an
    # earlier CpteBancaire named for 1 to 3 of the insertions each (21 of 1,798 over chunk
    # sizes 900 to 1,300).
    limits = DEFAULT_LIMITS.with_(chunk_size=chunk_size)
    ends = [i for i in range(len(BASE)) if BASE.startswith(b"</CpteBancaire>", i)]
    assert len(ends) >= 6
    for end in ends:
        data = BASE[:end] + b"a" + BASE[end:]
        report = pes_v2.validate(data, schemas="embedded", limits=limits)
        (error,) = [f for f in report.findings if f.rule.startswith("PES-XSD-")]
        start = data.rindex(b"<CpteBancaire>", 0, end)
        assert error.line == data.count(b"\n", 0, start) + 1
        assert error.xpath and error.xpath.endswith("/CpteBancaire[1]")
