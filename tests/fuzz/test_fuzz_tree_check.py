"""Mutation fuzzing of the tree check: a small flow validated as the tree the reader built
gives the very report the stream validator alone gives, whatever was done to its bytes.

CI budget: 2 tests x 1,000 examples (derandomized); ``PES_V2_FUZZ_EXAMPLES`` and
``PES_V2_FUZZ_RANDOM`` apply as to the other fuzz tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzing import EXAMPLES, FLIPS, corpus_seeds, flipped, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

import pes_v2
from pes_v2 import xmlio
from pes_v2.batch import FileOutcome
from pes_v2.bundles import SchemaBundle
from pes_v2.reporting.json_report import render_json
from pes_v2.testing import FlowSpec, build_flow

SETTINGS = fuzz_settings(max(1, EXAMPLES // 5))
SEEDS = [
    build_flow(FlowSpec(seed=31, depense=1, pieces=2, lines=2)),
    build_flow(FlowSpec(seed=32, depense=0, recette=1, pieces=1, lines=2, pj=1, pj_size=120)),
]
PES_ALLER = "{http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller}PES_Aller"
_EMBEDDED = SchemaBundle.embedded()
BUNDLE = SchemaBundle("embedded", _EMBEDDED.version, "embedded", _EMBEDDED.base, _EMBEDDED.roots)
"""A bundle of its own: compiling its lxml schema changes no other test's path."""
CORPUS_SEEDS = corpus_seeds(40_000, b"PES_Aller")
"""The corpus's PES_Aller flows small enough to be checked as trees."""

_REAL_TREE_SCHEMA_FOR = SchemaBundle.tree_schema_for
BUNDLE.schema_for(PES_ALLER)  # compiled: the tree check is on for PES_Aller flows from now on


def _report(data: bytes, tree: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    """The JSON report (or the one-line error) with the tree check on or off."""
    answer = _REAL_TREE_SCHEMA_FOR if tree else (lambda _bundle, _root: None)
    monkeypatch.setattr(SchemaBundle, "tree_schema_for", answer)
    try:
        report = pes_v2.validate(data, schemas=BUNDLE)
    except pes_v2.PesError as exc:
        return f"PesError: {exc}"
    return render_json([FileOutcome("flux.xml", report)], BUNDLE.info)


@pytest.fixture(scope="module", autouse=True)
def _seeds(shared_reference: Path) -> None:
    """The corpus must be there (skip when absent, fail under CI=true)."""
    assert CORPUS_SEEDS
    assert all(len(seed) < xmlio.TREE_CHECK_MAX_BYTES for seed in SEEDS + CORPUS_SEEDS)


def _same(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _report(data, True, monkeypatch) == _report(data, False, monkeypatch)


@SETTINGS
@given(seed=st.sampled_from(SEEDS), flips=FLIPS)
def test_byte_flips_report_the_same_as_tree_or_stream(
    seed: bytes, flips: list[tuple[float, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _same(flipped(seed, flips), monkeypatch)


WHITESPACE_AND_MARKUP = st.sampled_from(
    [b" ", b"\n", b"\t", b"\r\n", b"x", b"&#32;", b"&#x41;", b"<!--c-->", b"<?p i?>",
     b"<![CDATA[ ]]>", b"<![CDATA[x]]>", b"&amp;", b"<A/>", b"\xc3\xa9", b"\xe9"]
)  # fmt: skip
"""Bytes that leave a flow well-formed at many places but may change what the XSD says."""


@SETTINGS
@given(data=st.data())
def test_insertions_between_tags_report_the_same_as_tree_or_stream(
    data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = data.draw(st.sampled_from(SEEDS + CORPUS_SEEDS))
    places = [i + 1 for i in range(len(seed)) if seed[i] == 0x3E]  # just after a ">"
    body = bytearray(seed)
    for at in sorted(data.draw(st.lists(st.sampled_from(places), min_size=1, max_size=4)))[::-1]:
        body[at:at] = data.draw(WHITESPACE_AND_MARKUP)
    _same(bytes(body), monkeypatch)
