"""A small flow validated as the tree the reader built (``xmlio._tree_valid``).

Once a bundle has its lxml schema compiled, a flow under a megabyte is validated as a tree;
the stream validator reads its bytes only when that tree is not valid, or when the flow holds
what the tree leaves out (comments, processing instructions, CDATA sections).  Whatever the
flow, the report must be the very one the stream validator alone gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pes_v2
from pes_v2 import bundles, xmlio
from pes_v2.batch import FileOutcome
from pes_v2.bundles import BundleError, SchemaBundle
from pes_v2.reporting.json_report import render_json
from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
XSD_MUTATIONS = sorted(name for name, m in MUTATIONS.items() if m.kind == "xsd")
BASE = build_flow(FlowSpec(seed=21, depense=2, recette=2, pieces=2, lines=2, pj=1))
PES_ALLER = "{http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller}PES_Aller"


class _Counting(xmlio.StreamValidation):
    made = 0

    def __init__(self, *args: Any) -> None:
        type(self).made += 1
        super().__init__(*args)


def _report(source: Any, bundle: SchemaBundle, tree: bool, monkeypatch: Any) -> tuple[str, int]:
    """The JSON report, validated with the tree check or without; stream validators made."""
    if tree:
        bundle.schema_for(PES_ALLER)  # compiled: tree_schema_for hands it over from now on
        monkeypatch.setattr(SchemaBundle, "tree_schema_for", _REAL_TREE_SCHEMA_FOR)
    else:
        monkeypatch.setattr(SchemaBundle, "tree_schema_for", lambda self, root: None)
    monkeypatch.setattr(xmlio, "StreamValidation", _Counting)
    _Counting.made = 0
    report = pes_v2.validate(source, schemas=bundle)
    return render_json([FileOutcome("flux.xml", report)], bundle.info), _Counting.made


_REAL_TREE_SCHEMA_FOR = SchemaBundle.tree_schema_for


def _same_both_ways(source: Any, bundle: SchemaBundle, monkeypatch: Any) -> int:
    """Asserts both ways give the same report; the stream validators the tree way made."""
    with_tree, made = _report(source, bundle, True, monkeypatch)
    alone, made_alone = _report(source, bundle, False, monkeypatch)
    assert with_tree == alone
    assert made_alone <= 1
    return made


def test_a_valid_small_flow_is_validated_as_a_tree_only(monkeypatch: Any) -> None:
    embedded = SchemaBundle.embedded()
    assert pes_v2.validate(BASE, schemas=embedded).valid
    assert _same_both_ways(BASE, embedded, monkeypatch) == 0
    # An XSD error: the stream validator finds it, and says where, as before.
    broken = mutate(BASE, "xsd.missing_required", seed=1).data
    assert _same_both_ways(broken, embedded, monkeypatch) == 1
    # A comment anywhere in the root: the tree lacks it, the bytes are validated.
    commented = BASE.replace(b"<BlocBordereau>", b"<BlocBordereau><!-- note -->", 1)
    assert commented != BASE
    assert _same_both_ways(commented, embedded, monkeypatch) == 1


@pytest.mark.parametrize("name", XSD_MUTATIONS)
def test_xsd_mutations_report_the_same_both_ways(name: str, monkeypatch: Any) -> None:
    result = mutate(BASE, name, seed=3)
    _same_both_ways(result.data, SchemaBundle.embedded(), monkeypatch)


FIXTURE_FILES = sorted(FIXTURES.rglob("*.xml"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixtures_report_the_same_both_ways(path: Path, monkeypatch: Any) -> None:
    _same_both_ways(path, SchemaBundle.embedded(), monkeypatch)


def test_corpus_reports_the_same_both_ways(
    corpus_dir: Path, official_v530: Path, monkeypatch: Any
) -> None:
    official = SchemaBundle.from_path(official_v530)
    flows = [p for p in sorted(corpus_dir.rglob("*")) if p.is_file() and p.suffix.lower() == ".xml"]
    assert flows
    for path in flows:
        if path.stat().st_size < xmlio.TREE_CHECK_MAX_BYTES:
            _same_both_ways(path, official, monkeypatch)


_TAG_EDGES = [i + 1 for i in range(len(BASE)) if BASE[i : i + 1] == b">"]
_INSERTS = st.sampled_from(
    [
        b" ",
        b"\n\t  ",
        b"<!-- c -->",
        b" <!-- c --> ",
        b"<?pi x?>",
        b"  <?pi?>  ",
        b"<![CDATA[ ]]>",
        b"&#32;",
        b"&#10;  ",
        b"x",
    ]
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(st.tuples(st.sampled_from(_TAG_EDGES), _INSERTS), min_size=1, max_size=4))
def test_whitespace_and_markup_between_tags_report_the_same_both_ways(
    edits: list[tuple[int, bytes]], monkeypatch: Any
) -> None:
    """Whitespace, comments, processing instructions, CDATA, character references and text
    after any tag."""
    data = BASE
    for position, insert in sorted(edits, reverse=True):
        data = data[:position] + insert + data[position:]
    _same_both_ways(data, SchemaBundle.embedded(), monkeypatch)


@pytest.mark.parametrize(
    "content", [b" ", b"  <!-- c -->  ", b" <?pi?> ", b"<?pi?>", b"&#32;", b"<![CDATA[]]>"]
)
def test_content_in_an_empty_element_reports_the_same_both_ways(
    content: bytes, monkeypatch: Any
) -> None:
    """An element whose type allows no content (IdBord carries its value in V) given
    whitespace, a comment or a processing instruction: the stream validator's verdict."""
    data = BASE.replace(b'<IdBord V="433"/>', b'<IdBord V="433">' + content + b"</IdBord>", 1)
    assert data != BASE
    _same_both_ways(data, SchemaBundle.embedded(), monkeypatch)


def test_tree_schema_is_compiled_once_it_pays(monkeypatch: Any) -> None:
    embedded = SchemaBundle.embedded()
    fresh = SchemaBundle("embedded", embedded.version, "embedded", embedded.base, embedded.roots)
    assert fresh.tree_schema_for("{urn:x}Unknown") is None
    answers = [fresh.tree_schema_for(PES_ALLER) for _ in range(bundles.TREE_SCHEMA_AFTER + 2)]
    assert answers[: bundles.TREE_SCHEMA_AFTER - 1] == [None] * (bundles.TREE_SCHEMA_AFTER - 1)
    compiled = answers[bundles.TREE_SCHEMA_AFTER - 1]
    assert compiled is not None and all(a is compiled for a in answers[bundles.TREE_SCHEMA_AFTER :])
    # A schema compiled to locate errors is used at once.
    other = SchemaBundle("embedded", embedded.version, "embedded", embedded.base, embedded.roots)
    assert other.tree_schema_for(PES_ALLER) is None
    other.schema_for(PES_ALLER)
    assert other.tree_schema_for(PES_ALLER) is other.schema_for(PES_ALLER)
    # One that does not compile is asked once, then never again.
    broken = SchemaBundle("embedded", embedded.version, "embedded", embedded.base, embedded.roots)
    calls = []

    def refuse(root: str) -> Any:
        calls.append(root)
        raise BundleError("does not compile", "ne se compile pas")

    monkeypatch.setattr(broken, "schema_for", refuse)
    for _ in range(bundles.TREE_SCHEMA_AFTER * 2):
        assert broken.tree_schema_for(PES_ALLER) is None
    assert calls == [PES_ALLER]


def test_a_flow_grown_past_its_size_goes_back_to_the_stream_validator(
    monkeypatch: Any,
) -> None:
    """A file small when opened and longer when read (it was being written): its chunks go
    to the stream validator once they reach the bound, and its records are released."""
    big = build_flow(FlowSpec(seed=4, depense=3, recette=3, target_bytes=1_500_000))
    assert len(big) > xmlio.TREE_CHECK_MAX_BYTES
    real_open = xmlio.open_input

    def opened_small(source: Any) -> Any:
        handle = real_open(source)
        handle.size = 1000
        return handle

    monkeypatch.setattr(xmlio, "open_input", opened_small)
    assert _same_both_ways(big, SchemaBundle.embedded(), monkeypatch) == 1
    broken = mutate(big, "xsd.bad_date", seed=2).data
    assert _same_both_ways(broken, SchemaBundle.embedded(), monkeypatch) == 1


# -- the equivalence itself, on a schema with every kind of content -------------------------

_KINDS_XSD = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="R">
    <xs:complexType>
      <xs:choice minOccurs="0" maxOccurs="unbounded">
        <xs:element ref="E"/>
        <xs:element name="S">
          <xs:simpleType>
            <xs:restriction base="xs:string"><xs:maxLength value="2"/></xs:restriction>
          </xs:simpleType>
        </xs:element>
        <xs:element name="L">
          <xs:simpleType>
            <xs:restriction base="xs:string"><xs:minLength value="1"/></xs:restriction>
          </xs:simpleType>
        </xs:element>
        <xs:element name="T" type="xs:token"/>
        <xs:element name="C">
          <xs:complexType>
            <xs:sequence><xs:element ref="E" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="M">
          <xs:complexType mixed="true">
            <xs:sequence><xs:element ref="E" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
          </xs:complexType>
        </xs:element>
      </xs:choice>
    </xs:complexType>
  </xs:element>
  <xs:element name="E">
    <xs:complexType><xs:attribute name="V" type="xs:string"/></xs:complexType>
  </xs:element>
</xs:schema>
"""
_PIECES = st.sampled_from(
    [
        b"",
        b" ",
        b"  ",
        b"\n\t",
        b"x",
        b"xy",
        b"xyz",
        b"&#32;",
        b"&#32;&#32;&#32;",
        b"<E/>",
        b'<E V="1"/>',
        b"<!--c-->",
        b"<?p?>",
        b"<![CDATA[ ]]>",
    ]
)
_CHILD = st.tuples(
    st.sampled_from([b"E", b"S", b"L", b"T", b"C", b"M"]), st.lists(_PIECES, max_size=4)
)


def _document(children: list[tuple[bytes, list[bytes]]], gaps: list[bytes]) -> bytes:
    body = b""
    for (name, pieces), gap in zip(children, gaps, strict=False):
        body += gap + b"<" + name + b">" + b"".join(pieces) + b"</" + name + b">"
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<R>' + body + b"\n</R>\n"


@settings(max_examples=400, deadline=None)
@given(
    children=st.lists(_CHILD, max_size=5),
    gaps=st.lists(st.sampled_from([b"", b" ", b"\n  "]), min_size=5, max_size=5),
    blank_text=st.booleans(),
)
def test_a_tree_found_valid_is_what_the_stream_validator_finds(
    children: list[tuple[bytes, list[bytes]]],
    gaps: list[bytes],
    blank_text: bool,
    tmp_path_factory: Any,
) -> None:
    """Empty, simple, element-only and mixed content, whitespace and text in any of them,
    blank text kept or dropped: where the guard lets the tree decide, the tree and the
    stream validator agree (both ways)."""
    from lxml import etree

    from pes_v2 import xsd_stream

    folder = tmp_path_factory.getbasetemp() / "kinds"
    folder.mkdir(exist_ok=True)
    path = folder / "kinds.xsd"
    if not path.exists():
        path.write_bytes(_KINDS_XSD)
    native = xsd_stream.compile_schema(path)
    assert native is not None
    schema = etree.XMLSchema(etree.fromstring(_KINDS_XSD))
    data = _document(children, gaps)
    stream = xmlio.StreamValidation(native, 10)
    stream.feed(data, 1)
    stream.finish()
    parser = etree.XMLParser(remove_comments=True, remove_blank_text=not blank_text)
    try:
        top = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return  # not well-formed: the stream validator decides, as for any error
    root_start = data.index(b"<R>")
    decided = _decides(data, root_start)
    if decided:
        assert xmlio._tree_valid(schema, top, [(data, 1)], root_start) == (stream.count == 0)
    else:
        assert not xmlio._tree_valid(schema, top, [(data, 1)], root_start)


def _decides(data: bytes, root_start: int) -> bool:
    return data.find(b"<!", root_start) < 0 and data.find(b"<?", root_start) < 0
