"""Text that any report can carry: file names as the system gives them may hold bytes that
are not UTF-8 (Python keeps them as lone surrogates) or control characters, which JSON
written as UTF-8, XML (JUnit, the acquit, HTML) and one-line messages cannot hold."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with its control characters and undecodable bytes written as ``\\xNN``
    (``bad\\xff.xml``, ``two\\x0alines``); the rest, ``\\`` included, unchanged."""
    return _UNSAFE.sub(_escape, text)
