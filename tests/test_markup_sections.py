"""The reader's search for comments, CDATA sections and processing instructions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pes_v2.xmlio import _SECTIONS, _next_section


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
