"""Fuzzing the PES_ACQUIT reader: whatever the bytes, ``read_acquit`` returns a document or
raises ``PesError``, and ``pes-v2 ack`` answers with exit code 0, 1 or 2 and no traceback.

Seeds are acquits pes-v2 writes itself (accepting a flow, rejecting a bordereau, rejecting
the whole flow), so the test runs without the reference corpus.  ``PES_V2_FUZZ_EXAMPLES``
sets the examples (a fifth of them per test: reading an acquit is quick).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzzing import EXAMPLES, FLIPS, flipped, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import pes_v2
from pes_v2.ack import AckDocument, build_acquit, read_acquit
from pes_v2.batch import validate_file
from pes_v2.bundles import SchemaBundle
from pes_v2.cli.main import cli
from pes_v2.testing import FlowSpec, build_flow, mutate

SETTINGS = fuzz_settings(EXAMPLES // 5)
TRICKY = (
    "", " ", "\u00b2", "9" * 5000, "-1", "NaN", "1e999", "\u0661", "9999-99-99",
    "2026-02-30", "a" * 20000, "<&>", "\u202e", "0" * 40,
)  # fmt: skip


def _seeds() -> list[bytes]:
    bundle = SchemaBundle.embedded()
    rich = build_flow(FlowSpec(seed=11, depense=2, recette=2, pieces=3, lines=2, pj=2))
    flows = [
        build_flow(FlowSpec(seed=1, depense=1, recette=1, pieces=1, lines=1, pj=1)),
        mutate(rich, "iban.bad_checksum", seed=2).data,  # a bordereau rejected
        mutate(rich, "xsd.bad_date", seed=0).data,  # the whole flow rejected
    ]
    seeds = []
    with tempfile.TemporaryDirectory() as folder:
        for number, data in enumerate(flows):
            path = Path(folder) / f"flow-{number}.xml"
            path.write_bytes(data)
            acquit = build_acquit(validate_file(str(path), schemas=bundle), today="2026-01-15")
            assert acquit is not None
            seeds.append(acquit)
    return seeds


SEEDS = _seeds()


def _read(data: bytes) -> None:
    try:
        document = read_acquit(data)
    except pes_v2.PesError:
        return
    assert isinstance(document, AckDocument)


def test_the_seeds_read_back() -> None:
    documents = [read_acquit(seed) for seed in SEEDS]
    assert {document.version for document in documents} == {"v2"}
    assert [document.accepted for document in documents] == [True, False, False]
    assert [all(e.accepted for e in d.elements) for d in documents] == [True, False, False]
    assert not any(e.accepted for e in documents[2].elements)


@SETTINGS
@given(st.sampled_from(SEEDS), FLIPS)
def test_byte_flips(seed: bytes, flips: list[tuple[float, int]]) -> None:
    _read(flipped(seed, flips))


@SETTINGS
@given(st.sampled_from(SEEDS), st.data())
def test_tricky_values_and_removed_elements(seed: bytes, data: st.DataObject) -> None:
    root = etree.fromstring(seed)
    for _ in range(data.draw(st.integers(1, 4))):
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        element = data.draw(st.sampled_from(elements))
        action = data.draw(st.sampled_from(("attribute", "text", "remove")))
        if action == "attribute" and element.attrib:
            name = data.draw(st.sampled_from(sorted(element.attrib)))
            element.set(name, data.draw(st.sampled_from(TRICKY)))
        elif action == "text" and len(element) == 0:
            element.text = data.draw(st.sampled_from(TRICKY))
        elif action == "remove" and element.getparent() is not None:
            element.getparent().remove(element)
    _read(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@pytest.mark.parametrize("number", range(6))
def test_the_ack_command_never_shows_a_traceback(number: int, tmp_path: Path) -> None:
    root = etree.fromstring(SEEDS[number % len(SEEDS)])
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    for index, element in enumerate(elements):
        if element.attrib and index % 3 == number % 3:
            element.set(sorted(element.attrib)[0], TRICKY[(index + number) % len(TRICKY)])
        elif len(element) == 0 and index % 2:
            element.text = TRICKY[(index * 7 + number) % len(TRICKY)]
    path = tmp_path / "acquit.xml"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    for fmt in ("text", "json"):
        result = CliRunner().invoke(cli, ["ack", "--format", fmt, str(path)])
        assert result.exit_code in (0, 1, 2), repr(result.exception)
        assert "Traceback" not in result.output
