"""Bordereaux and PJ cut out of the byte stream and parsed beside the rules
(``pes_v2.fragments``).

The cut-out path is an optimisation of large flows: whatever the flow, it must report what
the plain event parser reports.  The tests force it on small flows and compare.
"""

from __future__ import annotations

import io
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import pes_v2
from pes_v2 import fragments, xmlio
from pes_v2.bundles import resolve_bundle
from pes_v2.engine import Options, Validation
from pes_v2.fragments import Fragment, Splitter
from pes_v2.limits import DEFAULT_LIMITS
from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
UNSIGNED = sorted(path for path in FIXTURES.rglob("*.xml") if b"Signature" not in path.read_bytes())
BASE = build_flow(FlowSpec(seed=11, depense=2, recette=2, pieces=3, lines=2, pj=2))
NOT_WELL_FORMED = "PES-XML-001"
RECORDS = re.compile(rb"<(Bordereau|PJ)[\s>].*?</\1\s*>", re.S)


def _split(
    data: bytes, sizes: list[int], skip: int = 0, smallest: int = 0
) -> list[bytes | Fragment]:
    submitted: list[bytes] = []
    splitter = Splitter(skip, submitted.append, min_bytes=smallest)
    items: list[bytes | Fragment] = []
    position, turn = 0, 0
    while position < len(data):
        size = sizes[turn % len(sizes)]
        items.extend(splitter.feed(data[position : position + size]))
        position, turn = position + size, turn + 1
    items.extend(splitter.finish())
    assert submitted == [item.data for item in items if isinstance(item, Fragment)]
    return items


def _joined(items: list[bytes | Fragment]) -> bytes:
    return b"".join(item if isinstance(item, bytes) else item.data for item in items)


def _report(source: Any, *, apart: bool, **options: Any) -> tuple[Any, int]:
    xmlio_min, record_min = xmlio.FRAGMENT_MIN_BYTES, fragments.MIN_FRAGMENT_BYTES
    xmlio.FRAGMENT_MIN_BYTES = 0 if apart else 1 << 62
    if apart:
        fragments.MIN_FRAGMENT_BYTES = 0
    try:
        validation = Validation(
            source, Options(bundle=options.pop("bundle", pes_v2.SchemaBundle.embedded()), **options)
        )
        for _ in validation:
            pass
        return validation.report(), validation.reader.result.parsed_apart
    finally:
        xmlio.FRAGMENT_MIN_BYTES, fragments.MIN_FRAGMENT_BYTES = xmlio_min, record_min


def _same(source: Any, **options: Any) -> int:
    """Validate ``source`` both ways; assert the reports agree; the bordereaux parsed apart.

    A flow that is not well-formed is not held to one message: libxml2's push parser words
    (and places) some errors after what it was fed at once, which differs between the two
    ways.  Both must find it not well-formed, and agree on every other finding."""
    together, none = _report(source, apart=False, **options)
    apart, parsed = _report(source, apart=True, **options)
    assert none == 0
    expected = [f.as_dict() for f in together.findings]
    found = [f.as_dict() for f in apart.findings]
    if found != expected and any(f["rule"] == NOT_WELL_FORMED for f in expected):
        assert any(f["rule"] == NOT_WELL_FORMED for f in found)
        expected = [f for f in expected if f["rule"] != NOT_WELL_FORMED]
        found = [f for f in found if f["rule"] != NOT_WELL_FORMED]
    assert found == expected
    assert apart.flow == together.flow
    return parsed


# ------------------------------------------------------------------------- the splitter


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=6))
def test_splitting_gives_back_every_byte_and_cuts_each_bordereau(sizes: list[int]) -> None:
    skip = BASE.index(b">", BASE.index(b"<n:PES_Aller")) + 1
    items = _split(BASE, sizes, skip)
    assert _joined(items) == BASE
    fragments = [item for item in items if isinstance(item, Fragment)]
    assert [f.data for f in fragments] == [m.group(0) for m in RECORDS.finditer(BASE)]
    offset = 0
    for item in items:
        if isinstance(item, Fragment):
            assert item.line == BASE.count(b"\n", 0, offset) + 1
            placeholder = item.placeholder()
            assert placeholder.count(b"\n") == item.data.count(b"\n")
            assert placeholder.startswith(item.start_tag) and placeholder.endswith(item.end_tag)
            offset += len(item.data)
        else:
            offset += len(item)


def test_what_is_not_a_bordereau_to_cut_out_goes_through() -> None:
    data = (
        b"<r><Bordereaux/><BordereauX>1</BordereauX><Bordereau/><PJRef/><PJ/>"
        b'<Bordereau Id="a>b"><x/></Bordereau\n  ><PJ><z/></PJ><Bordereau><y/></Bordereau></r>'
    )
    for sizes in ([1], [7], [len(data)]):
        items = _split(data, sizes)
        assert _joined(items) == data
        fragments = [item for item in items if isinstance(item, Fragment)]
        assert [f.data for f in fragments] == [
            b'<Bordereau Id="a>b"><x/></Bordereau\n  >',
            b"<PJ><z/></PJ>",
            b"<Bordereau><y/></Bordereau>",
        ]
        assert fragments[0].start_tag == b'<Bordereau Id="a>b">'


def test_records_too_small_or_too_large_go_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = [len(m.group(0)) for m in RECORDS.finditer(BASE)]
    low, high = sorted(sizes)[1], sorted(sizes)[-2]
    assert low < high
    monkeypatch.setattr(fragments, "MIN_FRAGMENT_BYTES", low)
    monkeypatch.setattr(fragments, "MAX_FRAGMENT_BYTES", high)
    skip = BASE.index(b">", BASE.index(b"<n:PES_Aller")) + 1
    expected = [m.group(0) for m in RECORDS.finditer(BASE) if low <= len(m.group(0)) <= high]
    for sizes_of_chunks in ([500], [4096], [len(BASE)]):
        items = _split(BASE, sizes_of_chunks, skip, smallest=low)
        assert _joined(items) == BASE
        assert [item.data for item in items if isinstance(item, Fragment)] == expected
    monkeypatch.setattr(xmlio, "FRAGMENT_MIN_BYTES", 0)
    validation = Validation(BASE, Options(bundle=pes_v2.SchemaBundle.embedded()))
    for _ in validation:
        pass
    assert validation.reader.result.parsed_apart == len(expected) < len(sizes)
    _same(BASE)


@pytest.mark.parametrize("markup", [b"<!-- <Bordereau> -->", b"<![CDATA[<Bordereau>]]>", b"<?pi?>"])
def test_after_a_comment_cdata_or_pi_nothing_is_cut_out(markup: bytes) -> None:
    data = b"<r><Bordereau><a/></Bordereau>" + markup + b"<Bordereau><b/></Bordereau></r>"
    for sizes in ([1], [2], [5], [len(data)]):
        items = _split(data, sizes)
        assert _joined(items) == data
        fragments = [item.data for item in items if isinstance(item, Fragment)]
        assert fragments in ([b"<Bordereau><a/></Bordereau>"], [])


# --------------------------------------------------------------- same reports either way


@pytest.mark.parametrize("path", UNSIGNED, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixtures_read_the_same_with_bordereaux_parsed_apart(path: Path) -> None:
    _same(path)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_mutation_reads_the_same_with_bordereaux_parsed_apart(name: str) -> None:
    result = mutate(BASE, name, seed=3)
    _same(result.data, context=result.context)


def test_base_flow_has_its_bordereaux_and_pj_parsed_apart() -> None:
    records = [m.group(1) for m in RECORDS.finditer(BASE)]
    assert b"Bordereau" in records and b"PJ" in records
    assert _same(BASE) == len(records)


def test_corpus_reads_the_same_with_bordereaux_parsed_apart(
    corpus_dir: Path, official_v530: Path
) -> None:
    bundle = resolve_bundle(str(official_v530))
    parsed = 0
    for path in sorted(corpus_dir.rglob("*.xml")):
        if b"Signature" not in path.read_bytes():
            parsed += _same(path, bundle=bundle)
    assert parsed >= 10


@pytest.mark.parametrize(
    "change",
    [
        # A prefix the bordereau does not declare, an undefined entity, a bordereau in a
        # bordereau, a bordereau where none belongs, bytes that are not ISO-8859-1 text.
        (b"<BlocBordereau>", b'<BlocBordereau xmlns:q="urn:q"><q:x/>'),
        (b"<BlocBordereau>", b"<BlocBordereau>&nope;"),
        (b"<BlocBordereau>", b"<BlocBordereau><Bordereau><BlocBordereau/></Bordereau>"),
        (b"<BlocPiece>", b"<BlocPiece><Bordereau><BlocBordereau/></Bordereau>"),
        (b"<EnTetePES>", b"<EnTetePES><Bordereau><BlocBordereau/></Bordereau>"),
        (b"<BlocBordereau>", b"<BlocBordereau><!-- a note -->"),
        (b"</Bordereau>", b"</Bordereau></Bordereau>"),
    ],
)
def test_bordereaux_that_do_not_read_alone_read_the_same(change: tuple[bytes, bytes]) -> None:
    old, new = change
    assert old in BASE
    _same(BASE.replace(old, new, 1))


def test_a_bordereau_too_deep_is_refused_the_same_way() -> None:
    deep = b"<x>" * 300 + b"</x>" * 300  # deeper than libxml2 parses without huge_tree
    data = BASE.replace(b"<BlocBordereau>", b"<BlocBordereau>" + deep, 1)
    _same(data)
    report, _ = _report(data, apart=True)
    assert "PES-XML-005" in {f.rule for f in report.findings}
    # Under a stricter limit, the bordereaux parsed apart are probed for depth too.
    shallow = BASE.replace(b"<BlocBordereau>", b"<BlocBordereau>" + b"<x>" * 30 + b"</x>" * 30)
    limits = DEFAULT_LIMITS.with_(max_depth=20)
    _same(shallow, limits=limits)
    report, parsed = _report(shallow, apart=True, limits=limits)
    assert parsed == 1  # reading stopped at the first bordereau
    assert "PES-XML-005" in {f.rule for f in report.findings}


# ------------------------------------------------------------------- when it is used


def test_large_flows_read_from_a_path_have_their_records_parsed_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = build_flow(FlowSpec(seed=4, depense=1, recette=1, pieces=4, target_bytes=5_000_000))
    path = tmp_path / "flow.xml"
    path.write_bytes(flow)

    def parsed(source: Any) -> int:
        validation = Validation(source, Options(bundle=pes_v2.SchemaBundle.embedded()))
        for _ in validation:
            pass
        return validation.reader.result.parsed_apart

    assert parsed(path) == len(RECORDS.findall(flow)) > 0
    monkeypatch.setenv("PES_V2_FRAGMENTS", "0")
    assert parsed(path) == 0
    monkeypatch.delenv("PES_V2_FRAGMENTS")
    assert parsed(io.BytesIO(flow)) == 0  # a caller's stream keeps its whitespace
    assert parsed(flow[:1_000_000]) == 0  # below the size from which it pays


def test_lines_beyond_65535_are_exact_in_bordereaux_parsed_apart() -> None:
    # libxml2 keeps an element's line in 16 bits (65535 at most); a bordereau parsed apart
    # numbers its lines from its own start, and the reader adds the line it starts on.
    flow = build_flow(FlowSpec(seed=6, depense=0, recette=3, pieces=4, lines=2, pj=2))
    padded = flow.replace(b"<PES_RecetteAller>", b"<PES_RecetteAller>" + b"\n" * 70_000, 1)
    result = mutate(padded, "iban.bad_checksum", seed=1)
    report, parsed = _report(result.data, apart=True)
    assert parsed == 3 + 2
    (finding,) = [f for f in report.findings if f.rule == result.rule]
    assert finding.value is not None
    position = result.data.index(f'V="{finding.value}"'.encode())
    assert finding.line == result.data.count(b"\n", 0, position) + 1 > 65_535
    for facts in (*report.flow.bordereau_list, *report.flow.pj_list):
        tag = b"<Bordereau" if "Bordereau[" in facts.xpath else b"<PJ>"
        start = _nth(result.data, tag, int(facts.xpath.rsplit("[", 1)[1][:-1]))
        assert facts.line == result.data.count(b"\n", 0, start) + 1 > 65_535


def test_a_small_flow_of_more_than_65535_lines_has_every_record_parsed_apart() -> None:
    # Under FRAGMENT_MIN_BYTES, with records under MIN_FRAGMENT_BYTES: the line count the
    # signature scan makes is what turns the records parsed apart on, all of them.
    flow = build_flow(FlowSpec(seed=6, depense=0, recette=3, pieces=1, lines=1, pj=2))
    assert len(flow) < fragments.MIN_FRAGMENT_BYTES * 3
    padded = flow.replace(b"<PES_RecetteAller>", b"<PES_RecetteAller>" + b"\n" * 70_000, 1)
    assert len(padded) < xmlio.FRAGMENT_MIN_BYTES
    result = mutate(padded, "iban.bad_checksum", seed=1)
    validation = Validation(result.data, Options(bundle=pes_v2.SchemaBundle.embedded()))
    found = [f for f in validation if f.rule == result.rule]
    assert validation.reader.result.parsed_apart == 3 + 2
    (finding,) = found
    position = result.data.index(f'V="{finding.value}"'.encode())
    assert finding.line == result.data.count(b"\n", 0, position) + 1 > 65_535
    short = Validation(mutate(flow, "iban.bad_checksum", seed=1).data, Options())
    assert [f.line for f in short if f.rule == result.rule]
    assert short.reader.result.parsed_apart == 0  # a small flow of few lines: as it was


def _nth(data: bytes, needle: bytes, n: int) -> int:
    position = -1
    for _ in range(n):
        position = data.index(needle, position + 1)
    return position


def test_parse_thread_ends_when_reading_stops_early() -> None:
    before = threading.active_count()
    xmlio_min = xmlio.FRAGMENT_MIN_BYTES
    xmlio.FRAGMENT_MIN_BYTES = 0
    try:
        findings = pes_v2.iter_findings(mutate(BASE, "xsd.bad_date", seed=0).data)
        next(findings)
        findings.close()  # type: ignore[attr-defined]
    finally:
        xmlio.FRAGMENT_MIN_BYTES = xmlio_min
    assert not [t for t in threading.enumerate() if t.name.startswith("pes-v2-parse")]
    assert threading.active_count() == before


def test_a_fragment_the_worker_fails_on_is_read_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    from pes_v2.fragments import FragmentParser

    parse = FragmentParser._parse
    calls: list[int] = []

    def failing(self: FragmentParser, parser: Any, data: bytes) -> Any:
        calls.append(1)
        if len(calls) % 2:
            raise MemoryError
        return parse(self, parser, data)

    monkeypatch.setattr(FragmentParser, "_parse", failing)
    parsed = _same(BASE)
    assert calls and 0 < parsed < len(calls)


class _Finalised:
    """Records the thread that drops the last reference to it."""

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def __del__(self) -> None:
        self.seen.append(threading.current_thread().name)


def _parser() -> Any:
    from pes_v2.fragments import FragmentParser

    return FragmentParser(b"<n:PES_Aller xmlns:n='urn:x'>", b"n:PES_Aller", "UTF-8")


def test_records_handed_back_are_freed_by_the_parse_thread() -> None:
    seen: list[str] = []
    parser = _parser()
    try:
        parser.dispose(_Finalised(seen), 100)
        assert seen == []  # kept until the worker wakes
        parser.submit(b"<Bordereau><x/></Bordereau>")
        assert parser.next_element() is not None
        parser.dispose(_Finalised(seen), 100)
    finally:
        parser.close()  # the last one is freed as the thread ends
    assert seen == ["pes-v2-parse", "pes-v2-parse"]


def _soon(condition: Any) -> bool:
    for _ in range(500):
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_large_record_handed_back_is_freed_at_once() -> None:
    seen: list[str] = []
    parser = _parser()
    try:
        parser.dispose(_Finalised(seen), fragments.WAKE_BYTES - 1)
        parser.dispose(_Finalised(seen), fragments.WAKE_BYTES)
        assert _soon(lambda: len(seen) == 2)  # no fragment came to wake the worker
        assert seen == ["pes-v2-parse", "pes-v2-parse"]
    finally:
        parser.close()


def test_records_handed_back_do_not_pile_up() -> None:
    seen: list[str] = []
    parser = _parser()
    try:
        for _ in range(fragments.WAKE_RECORDS):
            parser.dispose(_Finalised(seen), 100)
        assert _soon(lambda: len(seen) == fragments.WAKE_RECORDS)
        assert set(seen) == {"pes-v2-parse"}
    finally:
        parser.close()


def test_an_empty_fragment_is_refused() -> None:
    parser = _parser()
    try:
        with pytest.raises(ValueError):
            parser.submit(b"")
    finally:
        parser.close()


def test_every_record_parsed_apart_is_handed_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from pes_v2.fragments import FragmentParser

    handed: list[str] = []
    dispose = FragmentParser.dispose

    def counting(self: FragmentParser, element: Any, size: int) -> None:
        handed.append(etree.QName(element).localname)
        assert size > 0
        dispose(self, element, size)

    monkeypatch.setattr(FragmentParser, "dispose", counting)
    parsed = _same(BASE)
    assert parsed > 0
    assert len(handed) == parsed
    assert set(handed) == {"Bordereau", "PJ"}


@pytest.mark.parametrize("chunk_size", [997, 4096, 65536])
def test_any_chunk_size_reads_the_same(chunk_size: int) -> None:
    data = mutate(BASE, "iban.bad_checksum", seed=2).data
    limits = DEFAULT_LIMITS.with_(chunk_size=chunk_size)
    assert _same(data, limits=limits) == len(RECORDS.findall(data))


def test_hostile_records_are_refused_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    start = BASE.index(b"<Bordereau")
    # Bordereaux opened in bordereaux and never closed: libxml2's own depth limit stops the
    # read before the tag count does, both ways.
    unclosed = BASE[:start] + b"<Bordereau>" * 3500 + BASE[start:]
    limits = DEFAULT_LIMITS.with_(chunk_size=4096, max_record_tags=3000)
    _same(unclosed, limits=limits)
    report, parsed = _report(unclosed, apart=True, limits=limits)
    assert parsed == 0 and "PES-XML-005" in {f.rule for f in report.findings}
    # A record with more tags than a fragment may hold is read as it was, as soon as it has.
    monkeypatch.setattr(fragments, "MAX_FRAGMENT_TAGS", 50)
    crowded = BASE[:start] + b"<Bordereau>" + b"<x/>" * 5000 + b"</Bordereau>" + BASE[start:]
    _same(crowded)
    items = _split(crowded, [997], BASE.index(b">", BASE.index(b"<n:PES_Aller")) + 1)
    assert _joined(items) == crowded
    assert not any(isinstance(item, Fragment) and b"<x/>" in item.data for item in items)


@pytest.mark.parametrize("most", [3, 6, 9])
def test_reading_stops_at_the_same_record_either_way(most: int) -> None:
    limits = DEFAULT_LIMITS.with_(max_records=most)
    assert _same(BASE, limits=limits) >= 1  # some records were parsed apart before the stop
    report, _ = _report(BASE, apart=True, limits=limits)
    assert "PES-XML-007" in {f.rule for f in report.findings}


def test_records_in_iso_8859_1_read_the_same_through_utf_8(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker hands an ISO-8859-1 flow's records to libxml2 in UTF-8 when the compiled
    scanner can convert them (else as they are): the same values and lines either way."""
    from pes_v2 import bytescan
    from pes_v2.fragments import FragmentParser

    for native in dict.fromkeys((bytescan.native_available(), False)):
        monkeypatch.setattr(bytescan, "native_available", lambda native=native: native)
        root = b"<n:PES_Aller xmlns:n='urn:x' Lib='\xe9t\xe9'>"
        parser = FragmentParser(root, b"n:PES_Aller", "ISO-8859-1")
        try:
            assert parser._encoding == ("UTF-8" if native else "ISO-8859-1")
            record = b'<Bordereau>\n<Obj V="\xc9lectricit\xe9 \xff"/>\n<T>\xe0\xe7</T></Bordereau>'
            parser.submit(record)
            element = parser.next_element()
            assert element is not None
            assert element[0].get("V") == "Électricité ÿ" and element[1].text == "àç"
            assert [child.sourceline for child in element] == [2, 3]
            assert element.getparent().getparent().get("Lib") == "été"
        finally:
            parser.close()
