"""The reader's byte scans: comments, CDATA sections and processing instructions; signatures."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pes_v2.xmlio import _SECTIONS, _next_section, scan_tag


def _first_by_scanning(data: bytes, position: int) -> tuple[int, bytes, bytes] | None:
    """The plain definition: the earliest full opener at or after ``position``."""
    found = [
        (data.find(opener, position), opener, closing)
        for opener, closing in _SECTIONS
        if data.find(opener, position) >= 0
    ]
    return min(found) if found else None


_PIECES = st.sampled_from(
    [b"<", b"!", b"?", b"-", b"[", b"CDATA", b"<!--", b"<![CDATA[", b"<?", b"<!DOCTYPE", b"a", b">"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30), st.integers(min_value=0, max_value=40))
def test_next_section_is_the_earliest_opener(pieces: list[bytes], position: int) -> None:
    data = b"".join(pieces)
    position = min(position, len(data))
    assert _next_section(data, position) == _first_by_scanning(data, position)


def test_text_with_marks_but_no_opener() -> None:
    data = b'<Obj V="Attention ! Urgent ?"/><IdPce V="1"/>'
    assert _next_section(data, 0) is None
    assert _next_section(data + b"<!-- c -->", 3) == (len(data), b"<!--", b"-->")
    assert _next_section(b"<!--", 1) is None  # an opener before the position is not seen
    assert _next_section(b"x<![CDA", 0) is None  # cut by the chunk's end: found in the next


class _Trickle(io.BytesIO):
    """A stream whose reads return at most ``step`` bytes (short reads, as pipes give)."""

    def __init__(self, data: bytes, step: int) -> None:
        super().__init__(data)
        self.step = step

    def readinto(self, buffer: Any) -> int:  # type: ignore[override]
        chunk = self.read(min(self.step, len(buffer)))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"<", b":", b"Sig", b"nature", b"Signature", b"x\n", b"S", b"ignature", b"<S", b":Si"]
        ),
        max_size=12,
    ),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=12),
    st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
)
def test_scan_finds_the_name_after_a_bracket_or_a_colon_across_blocks_and_short_reads(
    pieces: list[bytes], block: int, step: int, lines_enough: int | None
) -> None:
    data = b"".join(pieces)
    expected = b"<Signature" in data or b":Signature" in data
    scan = scan_tag(_Trickle(data, step), b"Signature", block=block, lines_enough=lines_enough)
    assert scan.found == expected
    if not expected:
        total = data.count(b"\n")
        if lines_enough is None or total < lines_enough:
            assert scan.newlines == total
        else:  # counting may stop once there are enough, never before
            assert lines_enough <= scan.newlines <= total


def test_scan_ignores_the_word_elsewhere() -> None:
    for data in (b"Signature", b"a Signature", b'V="Signature"', b"<ds:Signatures", b"xSignature"):
        expected = data == b"<ds:Signatures"  # a tag whose name starts with it: kept, to be safe
        assert scan_tag(io.BytesIO(data), b"Signature").found == expected
