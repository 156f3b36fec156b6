"""Bordereaux and PJ parsed in a thread of their own, beside the rules, from the flow's bytes.

lxml builds a record's tree while holding the GIL whenever it reports parse events, so the
reader's event parser and the rules share one core.  A whole document, though, lxml parses
without the GIL.  So on a large flow the reader cuts each record (``<Bordereau>`` or
``<PJ>`` to its end tag) out of the byte stream (:class:`Splitter`), a worker thread parses
it as a small document of its own (:class:`FragmentParser`), and the event parser reads a
*skeleton*: the flow with each such record emptied, keeping its start tag, end tag and line
count, plus a marker child that names the fragment standing in for it.  When the
skeleton's record ends, the reader hands the fragment's tree to the rules instead.

Only what is sure to read the same is cut out.  A record goes to the event parser as it was
when it is under :data:`MIN_FRAGMENT_BYTES` or over :data:`MAX_FRAGMENT_BYTES`, holds a
record of its kind or more than :data:`MAX_FRAGMENT_TAGS` tags, or does not parse cleanly on
its own (not well-formed, a warning, a namespace it lacks, two elements, deeper than
:data:`PARSER_MAX_DEPTH`); after a comment, a CDATA section or a processing instruction the
rest of the flow goes as it was too.

The reader uses this only for flows without a signature: a record parsed apart has a copy of
the root and a holder element for ancestors, which a signature's canonicalisation and its Id
counting (PES-SIG-015) must not see.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from . import bytescan
from .bytescan import LESS_THAN, NEWLINE, find
from .bytescan import count as count_byte

MARKER = "_pes_v2_fragment"
"""Tag of the child that marks an emptied record in the skeleton (not a PES name)."""
ENCODINGS = ("UTF-8", "ISO-8859-1", "US-ASCII")
"""Encodings in which a record's tags are these very bytes wherever they occur."""
PARSER_MAX_DEPTH = 256
"""The deepest element a fragment may hold: it is parsed without ``huge_tree``, so libxml2
refuses anything deeper (a fragment it refuses goes to the event parser as it is)."""
MAX_FRAGMENT_BYTES = 16 << 20
"""A record larger than this goes to the event parser as it is."""
MAX_FRAGMENT_TAGS = 50_000
"""A record with more tags than this goes to the event parser as it is (as soon as it has
them: a hostile record is then refused by the same check, at the same place, either way)."""
MIN_FRAGMENT_BYTES = 4 << 10
"""A record smaller than this goes to the event parser as it is: parsing it apart would cost
the main thread more than it saves (100,000 PJ of 130 bytes: 16-17 s apart, 13 s as they were)."""
WAKE_BYTES = 1 << 20
"""A record parsed from this many bytes or more is freed as soon as it is handed back."""
WAKE_RECORDS = 16
"""Records handed back and waiting to be freed, at most."""
_MAX_CARRY = 1 << 16
"""Bytes of an unfinished start tag kept across chunks at most."""


@dataclass(frozen=True)
class _Kind:
    """A record cut out of the stream, by the bytes of its tags."""

    name: str
    open: bytes
    close: bytes
    start_tag: re.Pattern[bytes]
    end_tag: re.Pattern[bytes]


def _kind(name: str) -> _Kind:
    raw = re.escape(name.encode("ascii"))
    return _Kind(
        name,
        b"<" + name.encode("ascii"),
        b"</" + name.encode("ascii"),
        re.compile(rb"<" + raw + rb"(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>"),
        re.compile(rb"</" + raw + rb"\s*>"),
    )


KINDS = (_kind("Bordereau"), _kind("PJ"))
"""What is cut out: the bordereaux and the attachments (PES_PJ/PJ), the records of a flow."""
_NAMES = frozenset(kind.name for kind in KINDS)
_LONGEST_OPEN = max(len(kind.open) for kind in KINDS)
_AFTER_NAME = frozenset(bytes([byte]) for byte in b" \t\r\n/>")
_HOLDER = b"_pes_v2_holder"
_END_OVERLAP = 64
"""Bytes of the previous chunk searched again for an end tag cut in two."""


@dataclass(frozen=True)
class Fragment:
    """A record cut out of the stream, being parsed."""

    number: int
    line: int
    """The line its start tag begins on."""
    newlines: int
    data: bytes
    start_tag: bytes
    end_tag: bytes

    def placeholder(self) -> bytes:
        """The record emptied: same start and end tags, same number of lines."""
        inner = self.newlines - self.start_tag.count(b"\n") - self.end_tag.count(b"\n")
        marker = b'<%s n="%d"/>' % (MARKER.encode(), self.number)
        return self.start_tag + b"\n" * inner + marker + self.end_tag


Item = bytes | Fragment
"""What the skeleton reader gets, in order: bytes as they were, or a fragment."""


class FragmentParser:
    """Parses fragments in a worker thread, in the order they are submitted, each inside a
    copy of the root's start tag (for its namespace declarations) and one more element, so
    that a record sits at the same depth as in the flow."""

    def __init__(self, root_tag: bytes, root_name: bytes, encoding: str) -> None:
        self._open = root_tag + b"<%s>" % _HOLDER
        self._close = b"</%s></%s>" % (_HOLDER, root_name)
        self._to_utf8 = encoding == "ISO-8859-1" and bytescan.native_available()
        """Records of a flow in ISO-8859-1 go to libxml2 in UTF-8, which it reads as it is:
        its own conversion, byte by byte, cost the worker ≈ 0.1 s per 100 MB, the
        compiled one ≈ 0.035 s (the same trees: libxml2 holds text in UTF-8 either way)."""
        self._encoding = "UTF-8" if self._to_utf8 else encoding
        self._todo: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closing = False
        self._disposed: list[Any] = []
        """Records the rules are done with, freed by the worker when it next wakes."""
        self._thread = threading.Thread(target=self._work, name="pes-v2-parse", daemon=True)
        self._thread.start()

    def dispose(self, element: Any, size: int) -> None:
        """Hand back a record parsed from ``size`` bytes once the rules are done with it (the
        caller keeps no reference), so that its tree is freed by the thread that built it.

        glibc's malloc gives each thread an arena; a tree freed by another thread than the
        one that allocated it takes the lock of the builder's arena for each of its nodes,
        while the builder allocates the next trees from it: the main thread then spent about
        a tenth more time on the same flow (0.3 s of CPU at 100 MB).

        The worker frees what it was handed when it wakes for the next fragment; it is woken
        at once for a large record or when records pile up, so that no large tree outlives
        its rules while the reader goes on (say, through a long PJ read as it was).
        """
        self._disposed.append(element)
        if size >= WAKE_BYTES or len(self._disposed) >= WAKE_RECORDS:
            self._todo.put(b"")  # no fragment: the worker only frees

    def submit(self, data: bytes) -> None:
        if not data:  # an empty item only wakes the worker (see dispose)
            raise ValueError("a fragment holds a record's bytes")
        self._todo.put(data)

    def next_element(self) -> Any:
        """The record of the first fragment submitted and not taken yet, once parsed;
        None when it does not read cleanly on its own."""
        return self._done.get()

    def close(self) -> None:
        """Stop (what is still queued is dropped) and wait for the thread."""
        self._closing = True
        self._todo.put(None)
        self._thread.join()

    def _work(self) -> None:
        parser = etree.XMLParser(  # made here: an lxml parser stays in its thread
            encoding=self._encoding,
            huge_tree=False,  # hence PARSER_MAX_DEPTH
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            remove_comments=True,
            remove_blank_text=True,
            collect_ids=False,
        )
        while (data := self._todo.get()) is not None:
            self._disposed.clear()
            if not data:
                continue
            element = None
            if not self._closing:
                try:
                    element = self._parse(parser, data)
                except Exception:  # e.g. MemoryError: the event parser reads it as it was
                    element = None
            self._done.put(element)
        self._disposed.clear()

    def _parse(self, parser: etree.XMLParser, data: bytes) -> Any:
        """The record's element, or None when it does not read cleanly on its own."""
        try:
            if self._to_utf8:
                text = bytescan.latin1_to_utf8(self._open, data, self._close)
            else:
                text = self._open + data + self._close
            root = etree.fromstring(text, parser)
        except (etree.XMLSyntaxError, ValueError):
            return None
        if len(parser.error_log) or len(root) != 1 or root.text:
            return None
        holder = root[0]
        if len(holder) != 1 or holder.text:
            return None
        element = holder[0]
        if element.tail or etree.QName(element).localname not in _NAMES:
            return None
        return element


class Splitter:
    """Cuts the records out of the chunks of a flow; the first ``skip`` bytes (the
    prolog and the root's start tag) go through as they are."""

    def __init__(
        self,
        skip: int,
        submit: Callable[[bytes], None],
        *,
        min_bytes: int | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self._skip = skip
        self._submit = submit
        self._carry = b""
        self._parts: list[bytes] | None = None
        """The bytes of the record being cut, from its ``<``; None between two."""
        self._start_tag = b""
        self._kind = KINDS[0]
        self._tail = b""
        """The last bytes of the record so far, where an end tag may have begun."""
        self._size = 0
        self._tags = -1
        """Tags (``<``) of the record being cut so far; -1 while not counted."""
        self._count = 0
        self._min = MIN_FRAGMENT_BYTES if min_bytes is None else min_bytes
        self._max = MAX_FRAGMENT_BYTES if max_bytes is None else max_bytes
        self._lines = 1
        """The line the next byte handed on (as it was or cut out) is on."""
        self._last = b""
        """The last byte seen, for a ``<!`` or ``<?`` cut by a chunk boundary."""
        self._off = False
        """True once the rest of the flow goes as it is."""

    @property
    def cutting(self) -> bool:
        """True while a record is being cut: its end has not been fed yet."""
        return self._parts is not None

    def feed(self, chunk: bytes) -> list[Item]:
        """What to feed the event parser for ``chunk``, in order (bytes next to each other
        joined into one)."""
        items: list[Item] = []
        if self._skip:
            kept = min(self._skip, len(chunk))
            self._skip -= kept
            if kept:
                self._pass(chunk[:kept], items)
            chunk = chunk[kept:]
        data = self._carry + chunk if self._carry else chunk
        self._carry = b""
        if data:
            self._cut(data, items)
        return _joined(items)

    def finish(self) -> list[Item]:
        """What is left at the end of the flow (an unfinished record as it was)."""
        items: list[Item] = []
        if self._parts is not None:
            self._pass(b"".join(self._parts), items)
            self._parts = None
        if self._carry:
            self._pass(self._carry, items)
            self._carry = b""
        return _joined(items)

    def _pass(self, data: bytes, items: list[Item]) -> None:
        """Hand ``data`` on as it is."""
        if data:
            self._lines += count_byte(data, NEWLINE)
            items.append(data)

    def _turn_off(self, data: bytes, items: list[Item]) -> None:
        self._off = True
        if self._parts is not None:
            self._pass(b"".join(self._parts), items)
            self._parts = None
        self._pass(data, items)

    def _cut(self, data: bytes, items: list[Item]) -> None:
        if self._off:
            self._pass(data, items)
            return
        if holds_markup(data) or (self._last == b"<" and data[:1] in (b"!", b"?")):
            # A comment, a CDATA section or a processing instruction may hold anything.
            self._turn_off(data, items)
            return
        self._last = data[-1:]
        position = 0
        ahead: dict[str, int] = {}
        while position < len(data):
            if self._parts is None:
                start, kind = _find_start(data, position, ahead)
                if kind is None:
                    # Keep what may be the beginning of a start tag for the next chunk.
                    cut = data.rfind(b"<", max(position, len(data) - _LONGEST_OPEN))
                    end = cut if cut >= 0 else len(data)
                    self._pass(data[position:end], items)
                    self._carry = data[end:]
                    return
                tag = kind.start_tag.match(data, start)
                if tag is None:
                    if len(data) - start > _MAX_CARRY:
                        self._turn_off(data[position:], items)
                        return
                    self._pass(data[position:start], items)
                    self._carry = data[start:]  # the start tag goes on in the next chunk
                    return
                if tag.group(1):  # <Bordereau/>, <PJ/>: nothing to cut out
                    self._pass(data[position : tag.end()], items)
                    position = tag.end()
                    continue
                self._pass(data[position:start], items)
                self._parts, self._start_tag, self._tail, self._size = [], tag.group(0), b"", 0
                self._kind, self._tags = kind, -1
                position = start
            end_tag = self._find_end(data, position)
            stop = len(data) if end_tag is None else end_tag[0]
            piece = data[position:stop]
            self._size += len(piece)
            first = 0 if self._parts else len(self._kind.open)
            if (
                self._size > self._max
                or self._too_many_tags(piece)
                or _open_at(piece, first, self._kind) >= 0
            ):
                # Too large, too many tags or a record of its kind inside it (it would not
                # parse alone): as it is, to its end, so that the event parser meets
                # whatever is wrong with it where it would have anyway.
                self._pass(b"".join(self._parts) + piece, items)
                self._parts = None
                position = stop
                continue
            self._parts.append(piece)
            if end_tag is None:
                tail = piece if len(piece) >= _END_OVERLAP else self._tail + piece
                self._tail = tail[-_END_OVERLAP:]
                return
            end, end_bytes = end_tag
            fragment_bytes = b"".join(self._parts)
            self._parts = None
            position = end
            if len(fragment_bytes) < self._min:
                self._pass(fragment_bytes, items)
                continue
            self._count += 1
            line, newlines = self._lines, count_byte(fragment_bytes, NEWLINE)
            self._lines += newlines
            items.append(
                Fragment(
                    self._count,
                    line,
                    newlines,
                    fragment_bytes,
                    self._start_tag,
                    end_bytes,
                )
            )
            self._submit(fragment_bytes)

    def _too_many_tags(self, piece: bytes) -> bool:
        """True once the record being cut, ``piece`` included, has more than
        :data:`MAX_FRAGMENT_TAGS` tags; they are counted only from the size at which there
        can be that many (a tag takes three bytes at least)."""
        if self._size <= 3 * MAX_FRAGMENT_TAGS:
            return False
        if self._tags < 0:  # counted from here on
            self._tags = sum(count_byte(part, LESS_THAN) for part in self._parts or ())
        self._tags += count_byte(piece, LESS_THAN)
        return self._tags > MAX_FRAGMENT_TAGS

    def _find_end(self, data: bytes, position: int) -> tuple[int, bytes] | None:
        """Where the record's end tag ends in ``data`` (one begun in the previous chunk
        included) and the tag, or None when it is not there yet."""
        if self._tail:
            seam = self._tail + data[position : position + _END_OVERLAP]
            found = self._kind.end_tag.search(seam)
            if found is not None and found.start() < len(self._tail):
                return position + found.end() - len(self._tail), found.group(0)
        close, end_tag = self._kind.close, self._kind.end_tag
        at = find(data, close, position)
        while at >= 0:
            found = end_tag.match(data, at)
            if found is not None:
                return found.end(), found.group(0)
            at = find(data, close, at + 1)
        return None


def _open_at(data: bytes, position: int, kind: _Kind) -> int:
    """Where the first start tag of ``kind`` begins in ``data`` from ``position``; -1 when
    there is none (or its name may go on past the end of ``data``)."""
    at = find(data, kind.open, position)
    while at >= 0:
        following = data[at + len(kind.open) : at + len(kind.open) + 1]
        if following and following in _AFTER_NAME:
            return at
        at = find(data, kind.open, at + 1)
    return -1


def _joined(items: list[Item]) -> list[Item]:
    """``items`` with each run of bytes joined: one parser call for all the small records
    between two fragments."""
    if len(items) < 2:
        return items
    out: list[Item] = []
    run: list[bytes] = []
    for item in items:
        if isinstance(item, bytes):
            run.append(item)
            continue
        if run:
            out.append(b"".join(run))
            run = []
        out.append(item)
    if run:
        out.append(b"".join(run))
    return out


def _find_start(data: bytes, position: int, ahead: dict[str, int]) -> tuple[int, _Kind | None]:
    """Where the next record's start tag begins in ``data`` from ``position``, and its kind;
    None when there is none (or its name may go on in the next chunk).

    ``ahead`` keeps, per kind, where its next start tag in ``data`` was found (-1: none left),
    so that many small records do not make ``data`` be searched again to its end each time.
    """
    first, found = len(data), None
    for kind in KINDS:
        at = ahead.get(kind.name, -2)
        if at == -1:
            continue
        if at < position:
            at = ahead[kind.name] = _open_at(data, position, kind)
        if 0 <= at < first:
            first, found = at, kind
    return first, found


def holds_markup(data: bytes, start: int = 0) -> bool:
    """True when ``data`` holds ``<!`` or ``<?`` from ``start`` on: a comment, a CDATA
    section or a processing instruction (looked for by their rare second byte)."""
    for mark in (b"!", b"?"):
        at = data.find(mark, start + 1)
        while at >= 0:
            if data[at - 1] == 0x3C:  # "<"
                return True
            at = data.find(mark, at + 1)
    return False
