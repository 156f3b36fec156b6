"""Counting a byte and finding a string in a flow's bytes, faster than the bytes methods.

The reader scans each byte of a large flow several times: its newlines (lines), its ``<``
(the tag guard), the records' tags (:mod:`.fragments`) and a signature's name (the
prescan).  CPython counts a single byte one at a time and finds a string at about
2 GB/s; the small C extension ``pes_v2._bytescan`` counts eight bytes at a time and finds
with glibc's ``memmem``, and lets other threads run while it scans a megabyte or more.
Without it (no C compiler at install time), or with ``PES_V2_NATIVE_SCAN=0`` in the
environment when pes-v2 is imported, the bytes methods do the same work.

Both functions answer exactly what ``data.count(bytes([byte]), start, end)`` and
``data.find(needle, start, end)`` answer, for bytes and bytearray. A third,
:data:`latin1_to_utf8`, gives the parse thread an ISO-8859-1 flow's records in UTF-8, which
libxml2 reads without converting them (its own conversion goes byte by byte).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

_native: ModuleType | None
try:
    from . import _bytescan as _native
except ImportError:  # built without a C compiler: the bytes methods scan
    _native = None

if os.environ.get("PES_V2_NATIVE_SCAN") == "0":
    _native = None

_END = sys.maxsize
NEWLINE = 0x0A
LESS_THAN = 0x3C


def _bytes_count(data: Any, byte: int, start: int = 0, end: int = _END) -> int:
    return int(data.count(bytes((byte,)), start, end))


def _bytes_find(data: Any, needle: bytes, start: int = 0, end: int = _END) -> int:
    return int(data.find(needle, start, end))


count: Callable[..., int] = _native.count if _native is not None else _bytes_count
"""``count(data, byte, start=0, end=sys.maxsize)``: occurrences of the byte ``byte``
(an int) in ``data[start:end]``."""
find: Callable[..., int] = _native.find if _native is not None else _bytes_find
"""``find(data, needle, start=0, end=sys.maxsize)``: where ``needle`` first occurs in
``data[start:end]`` (an index into ``data``), or -1."""


def _bytes_latin1_to_utf8(*parts: Any) -> bytes:
    return b"".join(parts).decode("latin-1").encode("utf-8")


latin1_to_utf8: Callable[..., bytes] = (
    _native.latin1_to_utf8 if _native is not None else _bytes_latin1_to_utf8
)
"""``latin1_to_utf8(*parts)``: one to four byte strings joined, read as ISO-8859-1, in UTF-8
(libxml2 then reads them without converting them byte by byte)."""


def native_available() -> bool:
    """Whether the compiled scanner is in use."""
    return _native is not None
