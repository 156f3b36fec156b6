"""Mutation fuzzing: whatever the bytes, pes_v2.validate returns a report (or raises
PesError for an unusable input); no other exception may escape.

CI budget: 5 tests x 5,000 examples (derandomized).  A longer run:
``PES_V2_FUZZ_EXAMPLES=200000 pytest tests/fuzz`` (examples per test); with
``PES_V2_FUZZ_REPORT=fuzz.json`` the findings by rule are written there.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzzing import FLIPS, corpus_seeds, flipped, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import pes_v2
from pes_v2.testing import FlowSpec, build_flow

SETTINGS = fuzz_settings()
GENERATED = [
    build_flow(FlowSpec(seed=1, depense=1, pieces=1, lines=1)),
    build_flow(FlowSpec(seed=2, depense=0, recette=1, pieces=1, lines=1)),
    build_flow(FlowSpec(seed=3, depense=1, pieces=1, lines=1, pj=1, pj_size=200)),
]
SEEDS = GENERATED + corpus_seeds(20_000)


FOUND: Counter[str] = Counter()
"""Findings by rule over every fuzzed input (written to $PES_V2_FUZZ_REPORT at the end)."""


def _validate(data: bytes) -> None:
    with contextlib.suppress(pes_v2.PesError):  # "could not validate": allowed
        report = pes_v2.validate(data, schemas="embedded")
        FOUND["(inputs)"] += 1
        FOUND.update(report.rule_ids())


@pytest.fixture(scope="module", autouse=True)
def _seeds(shared_reference: Path) -> Iterator[None]:
    """The corpus must be there (skip when absent, fail under CI=true)."""
    assert len(SEEDS) > len(GENERATED)
    yield
    target = os.environ.get("PES_V2_FUZZ_REPORT")
    if target:
        Path(target).write_text(json.dumps(dict(FOUND.most_common()), indent=1))


seeds = st.sampled_from(SEEDS)


@SETTINGS
@given(seeds, FLIPS)
def test_byte_flips(seed: bytes, flips: list[tuple[float, int]]) -> None:
    _validate(flipped(seed, flips))


def _tree(seed: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(seed, parser)


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="ISO-8859-1", xml_declaration=True)


@SETTINGS
@given(seeds, st.data())
def test_element_deletion_and_duplication(seed: bytes, data: st.DataObject) -> None:
    root = _tree(seed)
    elements = [e for e in root.iter() if isinstance(e.tag, str)][1:]
    for _ in range(data.draw(st.integers(1, 3))):
        element = data.draw(st.sampled_from(elements))
        parent = element.getparent()
        if parent is None:
            continue
        if data.draw(st.booleans()):
            parent.remove(element)
        else:
            parent.insert(parent.index(element), _copy(element))
        elements = [e for e in root.iter() if isinstance(e.tag, str)][1:]
        if not elements:
            break
    _validate(_serialise(root))


def _copy(element: etree._Element) -> etree._Element:
    from copy import deepcopy

    return deepcopy(element)


@SETTINGS
@given(seeds, st.data())
def test_attribute_values_with_random_unicode(seed: bytes, data: st.DataObject) -> None:
    root = _tree(seed)
    owners = [e for e in root.iter() if isinstance(e.tag, str) and e.attrib]
    text = st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
    ).map(lambda s: "".join(c for c in s if _xml_char(c)))
    for _ in range(data.draw(st.integers(1, 4))):
        element = data.draw(st.sampled_from(owners))
        name = data.draw(st.sampled_from(sorted(element.attrib)))
        element.set(name, data.draw(text))
    for encoding in ("UTF-8", "ISO-8859-1"):
        body = etree.tostring(root, encoding=encoding, xml_declaration=True)
        _validate(body)


TRICKY_NUMBERS = (
    "9E+999999", "-9E+999999", "1e3", "1E-999999", "NaN", "sNaN", "Infinity", "-inf",
    "1_000", "\u00b2", "\u0661\u0662", "\uff11", "0" * 5000, "9" * 5000, "1" * 4301,
    "+", "-", ".", "-.5", "00001", " 12 ", "1.", "1.2.3", "12,50", "1 000", "0x10",
    "\u22125", "99999999999999999999999999999", "-0", "0.0000000000000000000000000001",
)  # fmt: skip
"""Values that Decimal, float or int read differently from xs:decimal, or refuse."""
CONTEXT = {
    "IdPost": ["000000", "9" * 5000],
    "budgets": [{"CodCol": "\u00b2", "CodBud": "1" * 4301}],
    "last_idbord": {"2025/01": "9" * 5000, "2026/01": "\u00b2", "2024/01": 3},
    "sent_idunique": ["x"],
    "nomenclature": "M14",
}
"""A context that makes every rule needing one run, with tricky values of its own."""


@SETTINGS
@given(seeds, st.data())
def test_tricky_numbers_in_values_with_a_context(seed: bytes, data: st.DataObject) -> None:
    root = _tree(seed)
    owners = [e for e in root.iter() if isinstance(e.tag, str) and e.get("V") is not None]
    for _ in range(data.draw(st.integers(1, 4))):
        element = data.draw(st.sampled_from(owners))
        tags = data.draw(st.sampled_from(("one", "all")))
        value = data.draw(st.sampled_from(TRICKY_NUMBERS))
        for target in [element] if tags == "one" else root.iter(element.tag):
            target.set("V", value)
    with contextlib.suppress(pes_v2.PesError):
        report = pes_v2.validate(_serialise(root), schemas="embedded", context=CONTEXT)
        FOUND.update(report.rule_ids())


def _xml_char(c: str) -> bool:
    code = ord(c)
    return (
        code in (9, 10, 13)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or (0x10000 <= code <= 0x10FFFF)
    )


@SETTINGS
@given(seeds, st.data())
def test_text_and_truncation(seed: bytes, data: st.DataObject) -> None:
    """Cut anywhere, splice a random chunk in: reader-level damage."""
    cut = data.draw(st.integers(0, len(seed)))
    splice = data.draw(st.binary(max_size=32))
    rest = data.draw(st.integers(cut, len(seed)))
    _validate(seed[:cut] + splice + seed[rest:])
