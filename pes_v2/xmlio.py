"""The one hardened entry point for XML bytes.

Reading is a single streaming pass through libxml2's push parser: no DTD is loaded, no
entity is resolved, nothing is fetched from the network, text nodes of any size are read
(``huge_tree``) and elements are released as soon as their record has been handled, so
memory is bounded by the largest record (a Bordereau or a PJ), not by the file.

A ``<!DOCTYPE`` is refused before parsing starts: PES flows never carry one, and refusing
it removes every entity-expansion attack at the root.

libxml2's streaming schema validator reports no line numbers.  When a flow fails its XSD,
the parts of the file where errors appeared are read a second time, one tag at a time, to
pin each error to its element (line and XPath).
"""

from __future__ import annotations

import functools
import io
import os
import re
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple, Protocol, TypeAlias, Union

from lxml import etree

from .bytescan import LESS_THAN, NEWLINE, find
from .bytescan import count as count_byte
from .errors import InputError
from .findings import Finding
from .fragments import (
    ENCODINGS,
    MARKER,
    PARSER_MAX_DEPTH,
    Fragment,
    FragmentParser,
    Item,
    Splitter,
    holds_markup,
)
from .limits import DEFAULT_LIMITS, Limits
from .rules import structure as S
from .xsd_stream import NativeSchema, StreamValidation

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]
Element: TypeAlias = Any
"""An lxml element (lxml ships no type information)."""

PES_ROOTS = frozenset({"PES_Aller", "PES_ACQUIT", "PES_Retour", "PES_ACQUIT_RETOUR"})
XPath = functools.partial(etree.XPath, regexp=False)
"""``etree.XPath`` without the EXSLT regular-expression functions, which no expression here
uses and which lxml otherwise registers at every evaluation (≈ 0.35 µs a call)."""
RECORD_DEPTH = 3
"""Elements at this depth (a Bordereau, a PJ…) are handed over whole, then released."""
TREE_CHECK_MAX_BYTES = 1 << 20
"""Flows below this size are validated as a tree, when a compiled schema is at hand (see
:func:`_tree_valid`): their records are kept, not released, until the end of the read."""
FRAGMENT_MIN_BYTES = 4 << 20
"""Flows from this size on have their bordereaux and PJ parsed beside the rules
(:mod:`.fragments`), unless ``PES_V2_FRAGMENTS=0`` is set."""
_MAX_NODE_LINE = 65535
"""The highest line libxml2 numbers an element with (it keeps it in 16 bits)."""
FRAGMENTS_AHEAD = 3
"""Chunks the splitter reads ahead of the parser."""
DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
RECORD_TAGS = frozenset(
    {
        # Children of the roots.
        "Enveloppe",
        "EnTetePES",
        "PES_DepenseAller",
        "PES_RecetteAller",
        "PES_Facture",
        "PES_Marche",
        "PES_PJ",
        DS_SIGNATURE,
        "PJ",
        "ACQUIT",
        "PES_DepenseRetour",
        "PES_RecetteRetour",
        # Records inside the domains.
        "EnTeteDepense",
        "EnTeteRecette",
        "Bordereau",
        "EnTetePES_PJ",
        "ElementACQUIT",
    }
)
"""Element names the parser reports to Python; every other element stays inside its record.

Only these names (and the root) cost a Python event: the deeper content of a record is
built by libxml2 alone and read by the rules once the record is complete.
"""

NS_PREFIXES = {
    "http://www.w3.org/2000/09/xmldsig#": "ds",
    "http://uri.etsi.org/01903/v1.1.1#": "xad",
    "http://uri.etsi.org/01903/v1.3.2#": "xades",
}


class RecordHandler(Protocol):
    """Receives the elements down to :data:`RECORD_DEPTH` as the parser meets them.

    ``pending`` is the queue of findings not yet handed out; the reader adds its own.
    """

    pending: list[Finding]

    def start(self, element: Element, depth: int) -> None: ...

    def end(self, element: Element, depth: int, line_offset: int = 0) -> bool:
        """Handle an element's end; return True to release it (and what came before it).

        ``line_offset`` is what to add to the ``sourceline`` of ``element`` and of what it
        holds (a record parsed on its own, see :mod:`.fragments`)."""
        ...


# --------------------------------------------------------------------------- input


@dataclass
class Input:
    """An opened source: its name, size when known, and how to read it again."""

    name: str | None
    size: int | None
    stream: BinaryIO
    reopen: Callable[[], BinaryIO] | None
    owned: bool

    def close(self) -> None:
        if self.owned:
            self.stream.close()


def open_input(source: Source) -> Input:
    """Open ``source`` for reading only; raise :class:`InputError` when it cannot be read."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return Input(None, len(data), io.BytesIO(data), lambda: io.BytesIO(data), True)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if "\0" in path:
            raise InputError(
                f"{path!r}: a file name holds no NUL character",
                f"{path!r} : un nom de fichier ne contient pas de caractère NUL",
            )
        if os.path.isdir(path):
            raise InputError(f"{path}: is a directory", f"{path} : est un dossier")
        try:
            opened: BinaryIO = _open_no_wait(path)
            size = os.fstat(opened.fileno()).st_size
        except FileNotFoundError:
            raise InputError(f"{path}: no such file", f"{path} : fichier introuvable") from None
        except PermissionError:
            raise InputError(
                f"{path}: permission denied", f"{path} : lecture non autorisée"
            ) from None
        except OSError as exc:
            raise InputError(
                f"{path}: {exc.strerror or exc}", f"{path} : illisible ({exc.strerror or exc})"
            ) from None
        if not stat.S_ISREG(os.fstat(opened.fileno()).st_mode):
            # A FIFO or a device cannot be read a second time.
            return Input(path, None, opened, None, True)
        return Input(path, size, opened, lambda: open(path, "rb"), True)
    if hasattr(source, "read"):
        stream = source
        if isinstance(stream, io.TextIOBase):
            raise InputError(
                "the file object must be opened in binary mode",
                "le fichier doit être ouvert en mode binaire",
            )
        if getattr(stream, "closed", False):
            raise InputError("the file object is closed", "le fichier est fermé")
        name = getattr(source, "name", None)
        reopen = None
        start = None
        try:
            if stream.seekable():
                start = stream.tell()
        except (OSError, ValueError):
            start = None
        if start is not None:
            position = start

            def reopen_stream() -> BinaryIO:
                stream.seek(position)
                return stream

            reopen = reopen_stream
        return Input(name if isinstance(name, str) else None, None, stream, reopen, False)
    kind = type(source).__name__
    raise InputError(
        f"cannot read a {kind}: give a path, bytes or a binary file",
        f"impossible de lire un {kind} : donnez un chemin, des octets ou un fichier binaire",
    )


def _open_no_wait(path: str) -> BinaryIO:
    """Open ``path`` for reading without blocking when it is a FIFO with no writer (a plain
    ``open`` would wait forever); reads then block as usual, and a FIFO nobody writes to
    reads as an empty file."""
    nonblock = getattr(os, "O_NONBLOCK", 0)
    if not nonblock:
        return open(path, "rb")
    descriptor = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_CLOEXEC", 0))
    try:
        import fcntl

        flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
        fcntl.fcntl(descriptor, fcntl.F_SETFL, flags & ~nonblock)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_whole(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a small file (an acknowledgment, not a flow), read once, never waiting
    for a FIFO's writer; :class:`InputError` when unreadable or larger than ``limit``."""
    handle = open_input(path)
    try:
        data = b"".join(_chunks(handle.stream, 1 << 16, stop_after=limit))
    finally:
        handle.close()
    if len(data) > limit:
        raise InputError(
            f"{path}: larger than {limit:,} bytes", f"{path} : plus de {limit:,} octets"
        )
    return data


def reopener(source: Source) -> Callable[[], BinaryIO] | None:
    """A way to read ``source`` again from its start, independently of a read in progress
    (paths and bytes only: a caller's stream cannot be read twice at once)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return lambda: io.BytesIO(data)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            return None  # a FIFO or a device cannot be read a second time
        return lambda: open(path, "rb")
    return None


def parse_document(data: bytes, max_prolog: int = DEFAULT_LIMITS.max_prolog) -> Element:
    """The whole document as a tree, with the same defences as the streaming read (no DTD,
    no entities, no network, DOCTYPE refused, at most ``max_prolog`` bytes before the root);
    for the rare checks that need the whole flow at once and only on flows small enough (a
    global signature's digest)."""
    head = data[: max_prolog + 2]  # the root's "<" at max_prolog, and what follows it
    try:
        found = _prolog_end(head)
    except ValueError:
        raise ValueError("DOCTYPE refused") from None
    if (found is None and len(data) > len(head)) or (found is not None and found > max_prolog):
        raise ValueError("prolog too long")
    parser = etree.XMLParser(
        huge_tree=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        collect_ids=False,
    )
    return etree.fromstring(data, parser)


_SIGNATURE_NAME = b"Signature"
"""Every XML signature's start tag is this name after ``<`` or a prefix's ``:`` (``<Signature``,
``<ds:Signature``): the word in text or in an attribute value is not one."""


class TagScan(NamedTuple):
    """What a scan of a flow's bytes for a tag found (see :func:`scan_tag`)."""

    found: bool
    newlines: int
    """Newlines read before the scan stopped (all of them when ``found`` is False), or at
    least ``lines_enough`` of them when the scan was given that bound."""


def _prescan(handle: Input) -> TagScan | None:
    """The flow's bytes scanned for a ``Signature`` tag, when it is ours (a path or bytes)
    and can be read a second time; None for a stream given by the caller, a pipe or a file
    that cannot be read again (it may hold signatures, and its lines are not counted)."""
    if not handle.owned or handle.reopen is None:
        return None
    # A small file is read in a block of its size: zeroing a megabyte for a 50 KB flow cost
    # a tenth of a millisecond, 2 % of its whole validation.
    block = min(1 << 20, max(handle.size, 1)) if handle.size is not None else 1 << 20
    # Fewer bytes than _MAX_NODE_LINE hold fewer newlines: then none is counted (counting
    # is half of this scan, ≈ 30 µs for 50 KB).
    enough = 0 if handle.size is not None and handle.size < _MAX_NODE_LINE else _MAX_NODE_LINE
    try:
        with handle.reopen() as again:
            return scan_tag(again, _SIGNATURE_NAME, block=block, lines_enough=enough)
    except OSError:
        return None


def scan_tag(
    stream: BinaryIO, name: bytes, *, block: int = 1 << 20, lines_enough: int | None = None
) -> TagScan:
    """Whether what ``stream`` reads holds ``name`` right after ``<`` or ``:``, read
    ``block`` bytes at a time (and across blocks and short reads), and the newlines read:
    all of them, or with ``lines_enough``, blocks are no longer counted once that many are.

    One search for the name, then a look at the byte before each occurrence: a third faster
    than a search for each of ``<name`` and ``:name`` (0.07 s against 0.11 s per 100 MB),
    and this scan runs before the validation starts. Counting every newline would add
    0.065 s per 100 MB; the reader only needs to know whether there are 65,535."""
    buffer = bytearray(block)
    carry = b""  # the last len(name) bytes read before the buffer's
    newlines = 0
    while True:
        count = stream.readinto(buffer)  # type: ignore[attr-defined]
        if not count:
            return TagScan(False, newlines)
        # An occurrence that starts in the carried bytes and ends in the new ones.
        seam = carry + bytes(buffer[: min(count, len(name) - 1)])
        at = seam.find(name, 1)
        while 0 < at < len(carry):
            if seam[at - 1] in b"<:":
                return TagScan(True, newlines)
            at = seam.find(name, at + 1)
        # Occurrences in the new bytes.
        at = find(buffer, name, 0, count)
        while at >= 0:
            before = buffer[at - 1] if at else (carry[-1] if carry else None)
            if before is not None and before in b"<:":
                return TagScan(True, newlines)
            at = find(buffer, name, at + 1, count)
        if lines_enough is None or newlines < lines_enough:
            newlines += count_byte(buffer, NEWLINE, 0, count)
        carry = (carry + bytes(buffer[max(0, count - len(name)) : count]))[-len(name) :]


def _chunks(stream: BinaryIO, size: int, stop_after: int | None = None) -> Iterator[bytes]:
    """``stream`` in chunks of ``size`` bytes (up to just past ``stop_after`` bytes)."""
    read = 0
    while stop_after is None or read <= stop_after:
        try:
            chunk = stream.read(size)
        except OSError as exc:
            raise InputError(
                f"read error: {exc.strerror or exc}",
                f"erreur de lecture : {exc.strerror or exc}",
            ) from None
        if not chunk:
            return
        if not isinstance(chunk, bytes):
            raise InputError(
                "the file object must be opened in binary mode",
                "le fichier doit être ouvert en mode binaire",
            )
        read += len(chunk)
        yield chunk


# --------------------------------------------------------------------------- prolog

_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)
_NO_BOM_WIDE = (
    (b"\x00\x00\x00<", "UTF-32"),
    (b"<\x00\x00\x00", "UTF-32"),
    (b"\x00<\x00", "UTF-16"),
    (b"<\x00?\x00", "UTF-16"),
)
_DECLARATION = re.compile(rb"<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_LATIN1 = {"ISO-8859-1", "ISO8859-1", "LATIN1", "LATIN-1", "L1", "ISO-IR-100", "CP819"}
_UTF8 = {"UTF-8", "UTF8"}
_ASCII = {"US-ASCII", "ASCII"}


@dataclass(frozen=True)
class Prolog:
    """What the first bytes say about the file."""

    encoding: str
    """Normalised encoding: ``ISO-8859-1``, ``UTF-8``, ``US-ASCII`` or what was declared."""
    declared: bool
    bom: bool


def _latin1(prolog: Prolog) -> bool:
    """Whether the flow is ISO-8859-1 text, as it declares (no byte order mark)."""
    return prolog.encoding == "ISO-8859-1" and not prolog.bom


def _normalise_encoding(name: str) -> str:
    upper = name.upper().replace("_", "-")
    if upper in _LATIN1:
        return "ISO-8859-1"
    if upper in _UTF8:
        return "UTF-8"
    if upper in _ASCII:
        return "US-ASCII"
    return name


class _Refused(Exception):
    """The file is refused before parsing; the finding says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _read_prolog(head: bytes, lang: str) -> tuple[Prolog, list[Finding]]:
    findings: list[Finding] = []
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise _Refused(S.ENCODING_REFUSED.finding(lang, line=1, value=name))
    for pattern, name in _NO_BOM_WIDE:
        if head.startswith(pattern):
            raise _Refused(S.ENCODING_REFUSED.finding(lang, line=1, value=name))
    utf8_bom = head.startswith(b"\xef\xbb\xbf")
    body = head[3:] if utf8_bom else head
    match = _DECLARATION.match(body)
    encoding = _normalise_encoding(match.group(1).decode("ascii")) if match else "UTF-8"
    if utf8_bom and encoding != "UTF-8":
        findings.append(
            S.ENCODING_MISMATCH.finding(
                lang,
                line=1,
                encoding=encoding,
                reason="BOM UTF-8" if lang == "fr" else "UTF-8 byte order mark",
            )
        )
    if encoding == "UTF-8":
        findings.append(S.UTF8_DECLARED.finding(lang, line=1, value="UTF-8"))
    elif encoding not in ("ISO-8859-1", "US-ASCII"):
        findings.append(S.ENCODING_REFUSED.finding(lang, line=1, value=encoding))
    return Prolog(encoding, match is not None, utf8_bom), findings


_BLANKS = re.compile(rb"[ \t\r\n]*")


def _prolog_end(head: bytes) -> int | None:
    """Offset where the root element starts, or None if ``head`` ends before it.

    Raises :class:`_Refused`-free ``ValueError("doctype")`` when a DOCTYPE comes first.
    """
    position = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    length = len(head)
    while True:
        blanks = _BLANKS.match(head, position)  # always matches (maybe nothing)
        position = blanks.end() if blanks else position
        if position >= length:
            return None
        if head.startswith(b"<?", position):
            close = head.find(b"?>", position + 2)
            if close < 0:
                return None
            position = close + 2
        elif head.startswith(b"<!--", position):
            close = head.find(b"-->", position + 4)
            if close < 0:
                return None
            position = close + 3
        elif head.startswith(b"<!", position):
            if length - position < 9:
                return None
            raise ValueError("doctype")
        elif length - position < 2:
            return None  # a "<" alone: a comment, a PI or the root may follow
        else:
            return position


# --------------------------------------------------------------------------- schema errors


@dataclass(frozen=True)
class SchemaError:
    """One libxml2 schema-validation error, located when it could be."""

    message: str
    type_name: str
    element: str
    """Local name of the element the error is about."""
    line: int | None
    xpath: str | None


class RawSchemaError(NamedTuple):
    """A schema error as the validator raised it, before it is located."""

    message: str
    type_name: str
    line: int | None


_ELEMENT_IN_MESSAGE = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)'")


def _error_element(message: str) -> str:
    match = _ELEMENT_IN_MESSAGE.match(message)
    return match.group(1) if match else ""


def _error_at_end(message: str) -> bool:
    """True when libxml2 raises this error at the end tag of its element."""
    if "Missing child element" in message or "Character content" in message:
        return True
    if "', attribute '" in message.split(":", 1)[0]:
        return False
    return "is not a valid value" in message or "[facet" in message


def step_name(element: Element, root_namespace: str | None = None) -> str:
    """An element's XPath step without position: unqualified names as they are, the root's
    namespace as ``n:``, XML-DSig and XAdES as ``ds:``/``xad:``/``xades:``."""
    qname = etree.QName(element)
    if qname.namespace is None:
        return str(qname.localname)
    if qname.namespace == root_namespace:
        return f"n:{qname.localname}"
    prefix = NS_PREFIXES.get(qname.namespace) or element.prefix or "ns"
    return f"{prefix}:{qname.localname}"


_Step = tuple[str, int, Any]
"""An element's place while events stream by: its step name, its position among its
siblings of that name (0 for the root), and its parent's place (None for the root)."""


class _PathTracker:
    """Where the current element is while events stream by (second pass only).

    Places are linked tuples, turned into an XPath only for the few elements an error names
    (:func:`_xpath_of`): building each element's path string as it streamed by cost most of
    the second read."""

    def __init__(self, root_namespace: str | None) -> None:
        self.root_namespace = root_namespace
        self.place: _Step | None = None
        self.counters: list[dict[str, int]] = [{}]
        self._names: dict[str, str] = {}
        """Step names by Clark tag, for the namespaces whose prefix does not vary."""

    def start(self, element: Element) -> _Step:
        tag = element.tag
        name = self._names.get(tag)
        if name is None:
            name = step_name(element, self.root_namespace)
            namespace = tag[1 : tag.find("}")] if tag[:1] == "{" else None
            if namespace is None or namespace == self.root_namespace or namespace in NS_PREFIXES:
                self._names[tag] = name
        if self.place is None:
            place: _Step = (name, 0, None)
        else:
            counter = self.counters[-1]
            position = counter[name] = counter.get(name, 0) + 1
            place = (name, position, self.place)
        self.place = place
        self.counters.append({})
        return place

    def end(self) -> _Step:
        place = self.place
        assert place is not None  # an end event follows its start
        self.place = place[2]
        self.counters.pop()
        return place

    @property
    def depth(self) -> int:
        return len(self.counters) - 1


def _xpath_of(place: _Step | None) -> str | None:
    steps: list[str] = []
    while place is not None:
        name, position, place = place
        steps.append(f"{name}[{position}]" if position else name)
    return "/" + "/".join(reversed(steps)) if steps else None


def _split_tags(chunk: bytes) -> Iterator[bytes]:
    start = 0
    while True:
        close = chunk.find(b">", start)
        if close < 0:
            if start < len(chunk):
                yield chunk[start:]
            return
        yield chunk[start : close + 1]
        start = close + 1


def _locate_schema_errors(
    stream: BinaryIO,
    schema: etree.XMLSchema,
    windows: set[int],
    chunk_size: int,
    root_namespace: str | None,
    limit: int,
    skip: int | None = None,
) -> list[SchemaError]:
    """Second read: feed the flagged chunks one tag at a time to locate each error.

    With ``skip`` (where the root's start tag ends, in a flow whose records' tags can be
    found in its bytes), the bordereaux and PJ that share no line with a flagged chunk are
    fed as placeholders (:meth:`Fragment.placeholder`: same tags, same lines, a marker child
    instead of their content). They hold none of the errors, and their parent's content
    model sees the same children, so the errors and their places are the same; only the
    marker's own "not expected" errors are left out. A flow of 100 MB with one error near
    its end then takes a fraction of a second to locate instead of a read of every element.
    """
    parser = _make_parser(schema)
    tracker = _PathTracker(root_namespace)
    recent: deque[tuple[bool, str, int | None, _Step]] = deque(maxlen=512)
    located: list[SchemaError] = []
    seen = 0

    def drain() -> None:
        start, end, remember = tracker.start, tracker.end, recent.append
        for event, element in parser.read_events():
            tag = element.tag
            local = tag[tag.find("}") + 1 :]
            if event == "start":
                remember((False, local, element.sourceline, start(element)))
                continue
            remember((True, local, element.sourceline, end()))
            if tracker.depth < RECORD_DEPTH:  # a record and what came before it: freed
                element.clear()
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]

    def collect() -> None:
        nonlocal seen
        log = parser.feed_error_log
        count = len(log)
        for index in range(seen, count):
            entry = log[index]
            if entry.domain != etree.ErrorDomains.SCHEMASV or len(located) >= limit:
                continue
            element = _error_element(entry.message)
            if skip is not None and element == MARKER:
                continue  # a placeholder's marker: not in the flow
            at_end = _error_at_end(entry.message)
            line, xpath = _match_recent(recent, element, at_end)
            located.append(SchemaError(entry.message, entry.type_name, element, line, xpath))
        seen = count

    def feed(pieces: Iterable[bytes]) -> None:
        for piece in pieces:
            parser.feed(piece)
            drain()
            collect()

    last_window = max(windows, default=-1)
    splitter = None if skip is None else Splitter(skip, lambda _data: None, min_bytes=0)
    window_lines: deque[tuple[int, int]] = deque()
    """The lines the flagged chunks read so far span, those a record may still share."""
    lines = 1
    try:
        for index, chunk in enumerate(_chunks(stream, chunk_size)):
            past = index > last_window and (splitter is None or not splitter.cutting)
            if past or len(located) >= limit:
                # Nothing left to locate: do not read (and build) the rest of the file.
                return located
            first, lines = lines, lines + count_byte(chunk, NEWLINE)
            flagged = index in windows
            if flagged:
                window_lines.append((first, lines))
            if splitter is None:
                feed(_split_tags(chunk) if flagged else (chunk,))
                continue
            for item in splitter.feed(chunk):
                if isinstance(item, bytes):
                    feed(_split_tags(item) if flagged else (item,))
                    continue
                # Records come in line order: a flagged chunk ending before this one starts
                # shares no line with it nor with any record after it.
                while window_lines and window_lines[0][1] < item.line:
                    window_lines.popleft()
                if window_lines and window_lines[0][0] <= item.line + item.newlines:
                    feed(_split_tags(item.data))
                else:
                    feed((item.placeholder(),))
        if splitter is not None:
            for item in splitter.finish():
                feed(_split_tags(item if isinstance(item, bytes) else item.data))
        parser.close()
    except etree.XMLSyntaxError:
        pass
    drain()
    collect()
    return located


def _match_recent(
    recent: deque[tuple[bool, str, int | None, _Step]], element: str, at_end: bool
) -> tuple[int | None, str | None]:
    fallback: tuple[int | None, str | None] = (None, None)
    for is_end, local, line, place in reversed(recent):
        if local != element:
            continue
        if is_end == at_end:
            return line, _xpath_of(place)
        if fallback == (None, None):
            fallback = (line, _xpath_of(place))
    return fallback


# --------------------------------------------------------------------------- the pass


def _make_parser(
    schema: etree.XMLSchema | None,
    tags: Iterable[str] | None = None,
    *,
    keep_blank_text: bool = True,
) -> etree.XMLPullParser:
    return etree.XMLPullParser(
        events=("start", "end"),
        tag=None if tags is None else sorted(tags),
        schema=schema,
        huge_tree=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_blank_text=not keep_blank_text,
        collect_ids=False,
    )


def _sniff_root(data: bytes, start: int) -> tuple[str | None, str | None, int | None]:
    """Clark name, namespace and line of the root element, read from the buffered head
    ``data`` where the root starts at ``start``.

    Only the bytes up to the end of the root's start tag are parsed when that is enough
    (a small flow's head is the whole flow)."""
    end = data.find(b">", start)
    pieces = (data[: end + 1], data[end + 1 :]) if end >= 0 else (data,)
    parser = etree.XMLPullParser(
        events=("start",),
        huge_tree=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    try:
        for piece in pieces:
            parser.feed(piece)
            for _event, element in parser.read_events():
                qname = etree.QName(element)
                return element.tag, qname.namespace, element.sourceline
    except (etree.XMLSyntaxError, ValueError):  # ValueError: a name like "n:PES_Aller"
        return None, None, None
    return None, None, None


@dataclass
class ReadResult:
    """What reading found besides the records and findings: the file's facts."""

    root: str | None = None
    """Clark name of the root element."""
    root_namespace: str | None = None
    encoding: str | None = None
    size: int = 0
    schema_checked: bool = False
    schema_errors: list[SchemaError] | None = None
    schema_errors_dropped: int = 0
    complete: bool = False
    """True when the whole file was read without a fatal error."""
    fatal: bool = False
    """True when reading stopped on an error (not well-formed, encoding, depth)."""
    blank_text_kept: bool = True
    """False when the records were built without the whitespace between elements (an input
    that holds no signature)."""
    parsed_apart: int = 0
    """Records (bordereaux, PJ) parsed in a thread of their own (see :mod:`.fragments`)."""


class Reader:
    """One streaming read of one source, feeding records to a handler."""

    def __init__(
        self,
        source: Source,
        *,
        schema_for: Callable[[str], etree.XMLSchema | None] | None = None,
        native_for: Callable[[str], NativeSchema | None] | None = None,
        tree_schema_for: Callable[[str], etree.XMLSchema | None] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        lang: str = "fr",
    ) -> None:
        self.source = source
        self.schema_for = schema_for
        self.native_for = native_for
        self.tree_schema_for = tree_schema_for
        """The schema to validate a small flow's tree with, when there is one at hand (see
        :func:`_tree_valid`); the stream validator does the work otherwise."""
        self.limits = limits
        self.lang = lang

        self.result = ReadResult()

    def read(self, handler: RecordHandler) -> Iterator[Finding]:
        """Read the whole source once, yielding findings as they come.

        Raises :class:`InputError` only when the source cannot be read at all.  The
        file's facts are in :attr:`result` once the iterator is exhausted.
        """
        handle = open_input(self.source)
        self._validation: StreamValidation | None = None
        self._latin1 = False
        """The flow being read is ISO-8859-1 text (see :func:`_latin1`)."""
        self._records_from: int | None = None
        self._fragments: FragmentParser | None = None
        try:
            yield from self._read(handle, handler)
        finally:
            if self._validation is not None:
                self._validation.cancel()
            if self._fragments is not None:
                self._fragments.close()
            handle.close()

    def _read(self, handle: Input, handler: RecordHandler) -> Iterator[Finding]:
        lang, limits = self.lang, self.limits
        result = self.result
        queue = handler.pending
        chunks = _chunks(handle.stream, limits.chunk_size)
        head: list[bytes] = []
        size = 0
        root_start: int | None = None
        for chunk in chunks:
            head.append(chunk)
            size += len(chunk)
            joined = b"".join(head)
            try:
                root_start = _prolog_end(joined)
                # The root's start tag whole (its name, namespaces, line) before going on.
                if root_start is not None and (
                    joined.find(b">", root_start) >= 0
                    or size > limits.max_prolog + limits.max_markup_bytes
                ):
                    break
            except ValueError:
                queue.append(S.DOCTYPE.finding(lang, line=_line_of(joined, b"<!")))
                yield from _flush(queue)
                return
            if root_start is None and size > limits.max_prolog + 1:
                break
        if (root_start is None and size > limits.max_prolog + 1) or (
            root_start is not None and root_start > limits.max_prolog
        ):  # at most max_prolog bytes before the root, as parse_document reads them
            queue.append(
                S.LIMIT_EXCEEDED.finding(lang, reason=f"prolog > {limits.max_prolog} bytes", line=1)
            )
            yield from _flush(queue)
            return
        head_bytes = b"".join(head)
        if not head_bytes.strip(b" \t\r\n\x00"):
            queue.append(S.EMPTY_FILE.finding(lang))
            yield from _flush(queue)
            return
        try:
            prolog, prolog_findings = _read_prolog(head_bytes, lang)
        except _Refused as refused:
            queue.append(refused.finding)
            yield from _flush(queue)
            return
        result.encoding = prolog.encoding
        self._latin1 = _latin1(prolog)
        queue.extend(prolog_findings)
        root_tag = _root_tag(head_bytes, root_start or 0)
        # Where records' tags can be looked for in the bytes (see _locate_schema_errors).
        self._records_from = (
            root_tag[2]
            if root_tag is not None and prolog.encoding in ENCODINGS and not prolog_findings
            else None
        )

        root, namespace, root_line = _sniff_root(head_bytes, root_start or 0)
        result.root, result.root_namespace = root, namespace
        schema = None
        native = None
        if root is not None:
            local = etree.QName(root).localname
            if local not in PES_ROOTS:
                queue.append(S.NOT_PES_ROOT.finding(lang, line=root_line, value=local))
            else:
                # The stream validator first; lxml's compiled schema, plugged into the
                # parser below, only when it is not available (or later, to locate errors).
                native = self.native_for(root) if self.native_for is not None else None
                if native is None and self.schema_for is not None:
                    schema = self.schema_for(root)
                    if schema is None:
                        queue.append(S.NO_SCHEMA_FOR_ROOT.finding(lang, value=local))
        result.schema_checked = native is not None or schema is not None

        # The whitespace between elements is only read by signature checks (it is signed
        # content); without it lxml builds a third fewer nodes and the rules' XPath probes
        # walk a third fewer. So it is dropped when the input can be scanned beforehand and
        # holds no signature.
        scan = _prescan(handle)
        keep_blank_text = result.blank_text_kept = scan is None or scan.found
        # libxml2 keeps an element's line in 16 bits: past line 65,535 only records parsed
        # on their own (below) have their lines right, so such a flow has them all parsed so.
        many_lines = scan is not None and scan.newlines >= _MAX_NODE_LINE
        parser = _make_parser(
            schema, RECORD_TAGS | {root} if root else None, keep_blank_text=keep_blank_text
        )
        # A large flow read with the stream validator: bordereaux and PJ are parsed beside
        # the rules, in a thread of their own (see .fragments); the parser below reads the rest.
        splitter: Splitter | None = None
        fragments: FragmentParser | None = None
        if (
            root_tag is not None
            and self._records_from is not None
            and not keep_blank_text
            and schema is None
            and root is not None
            and etree.QName(root).localname == "PES_Aller"
            and ((handle.size or 0) >= FRAGMENT_MIN_BYTES or many_lines)
            and os.environ.get("PES_V2_FRAGMENTS", "1") != "0"
        ):
            fragments = self._fragments = FragmentParser(*root_tag[:2], prolog.encoding)
            splitter = Splitter(
                self._records_from, fragments.submit, min_bytes=0 if many_lines else None
            )
        validation = None
        kept: list[tuple[bytes, int]] | None = None
        """A small flow's chunks (and first lines), kept for the stream validator in case its
        tree does not validate (see _tree_valid); None when the stream validator reads them."""
        tree_schema = None
        if (
            native is not None
            and splitter is None
            and self.tree_schema_for is not None
            and handle.size is not None
            and handle.size < TREE_CHECK_MAX_BYTES
            and _childwise(limits)
        ):
            tree_schema = self.tree_schema_for(root)  # type: ignore[arg-type]  # set with native
        if tree_schema is not None:
            kept = []
        elif native is not None:
            # libxml2 validates in a thread of its own; the parser below builds records only.
            validation = self._validation = StreamValidation(
                native, limits.max_schema_errors, handle.size, self._latin1
            )
        top: Element | None = None
        probed: set[Element] | None = set() if kept is not None else None
        """In a kept tree, the elements probed for depth already: a container's probe skips
        them (it would walk every record again)."""
        cut_out: dict[int, _StandIn] = {}
        """Records parsed on their own and fed as placeholders, by number."""
        seen_log = 0
        raw_schema_errors: list[RawSchemaError] = []
        windows: set[int] = set()
        stack: list[Element] = []
        too_deep = _depth_probes(limits.max_depth)

        def too_deep_at(element: Element, offset: int) -> Finding:
            line = line_in_flow(element, offset)
            return S.TOO_DEEP.finding(lang, line=line, limit=limits.max_depth)

        start, end = handler.start, handler.end
        stopped = False
        fatal = False

        def all_chunks() -> Iterator[bytes]:
            nonlocal size
            yield from head
            for chunk in chunks:
                size += len(chunk)
                yield chunk

        def fed_chunks() -> Iterator[tuple[bytes, list[Item] | None]]:
            """Each chunk, and what to feed the parser for it when records are cut out: the
            splitter runs a few chunks ahead, so that the worker parses while the rules run
            on the records before."""
            if splitter is None:
                for chunk in all_chunks():
                    yield chunk, None
                return
            ahead: deque[tuple[bytes, list[Item]]] = deque()
            for chunk in all_chunks():
                ahead.append((chunk, splitter.feed(chunk)))
                if len(ahead) > FRAGMENTS_AHEAD:
                    yield ahead.popleft()
            if ahead:
                ahead[-1][1].extend(splitter.finish())
            while ahead:
                yield ahead.popleft()

        index = -1
        lines = 1
        error: etree.XMLSyntaxError | None = None
        guard = _MarkupGuard(limits)
        tags = 0
        records = 0
        for index, (chunk, items) in enumerate(fed_chunks()):
            first_line = lines
            lines += count_byte(chunk, NEWLINE)
            over = guard.feed(chunk, lang)
            tags += count_byte(chunk, LESS_THAN)
            if over is None and tags > limits.max_record_tags:
                over = (
                    f"plus de {limits.max_record_tags} balises sans fin d'enregistrement"
                    if lang == "fr"
                    else f"more than {limits.max_record_tags} tags without a record ending"
                )
            if over is not None:
                queue.append(S.LIMIT_EXCEEDED.finding(lang, line=lines, reason=over))
                stopped = result.fatal = True
                yield from _flush(queue)
                break
            if validation is not None:
                validation.feed(chunk, first_line)
            elif kept is not None:
                kept.append((chunk, first_line))
                if size >= TREE_CHECK_MAX_BYTES:  # grown since it was opened: read as a stream
                    validation = self._stream_validation(native, kept)
                    kept = probed = None
            try:
                if items is None:
                    parser.feed(chunk)
                else:
                    assert fragments is not None  # items come with the splitter
                    for item in items:
                        if isinstance(item, Fragment):
                            item = _stand_in(item, fragments.next_element(), cut_out)
                        parser.feed(item)
            except etree.XMLSyntaxError as exc:
                fatal, error = True, exc
            for event, element in parser.read_events():
                if event == "start" and not _valid_name(element):
                    # libxml2 can hand over a broken name (e.g. "n:") after an error.
                    queue.append(
                        S.NOT_WELL_FORMED.finding(
                            lang, line=element.sourceline, reason=repr(element.tag)[:80]
                        )
                    )
                    stopped = result.fatal = True
                    break
                if event == "start":
                    if not stack:
                        stack.append(element)
                        top = element
                        start(element, 1)
                    elif len(stack) < RECORD_DEPTH and element.getparent() is stack[-1]:
                        stack.append(element)
                        start(element, len(stack))
                elif stack and element is stack[-1]:
                    depth = len(stack)
                    record, offset, apart_bytes = (
                        _standing_for(element, cut_out) if cut_out else (element, 0, 0)
                    )
                    # A record parsed on its own holds nothing deeper than libxml2 allows.
                    apart = record is not element
                    result.parsed_apart += apart
                    shallow = apart and limits.max_depth >= PARSER_MAX_DEPTH
                    if shallow:
                        deep = None
                    elif probed is None:
                        deep = too_deep[depth](record)
                    else:
                        deep = _deep_below(record, depth, too_deep, probed)
                    if deep:
                        queue.append(too_deep_at(deep[0], offset))
                        stopped = result.fatal = True
                        break
                    records += depth > 1
                    if records > limits.max_records:
                        queue.append(
                            S.LIMIT_EXCEEDED.finding(
                                lang,
                                line=line_in_flow(element, 0),
                                reason=f"plus de {limits.max_records} enregistrements "
                                "(bordereaux, PJ…)"
                                if lang == "fr"
                                else f"more than {limits.max_records} records (bordereaux, PJ…)",
                            )
                        )
                        stopped = result.fatal = True
                        break
                    if end(record, depth, offset) and depth > 1:
                        # The elements before it that are no record (none in a valid flow)
                        # are probed for depth now; in a kept tree, the records are kept.
                        preceding = too_deep[depth]
                        if probed is None:
                            deep = _release(element, preceding)
                        else:
                            deep = _probe_preceding(element, preceding, probed)
                        if deep:
                            queue.append(too_deep_at(deep[0], 0))
                            stopped = result.fatal = True
                            break
                        tags = 0
                    if apart and fragments is not None:
                        fragments.dispose(record, apart_bytes)
                    del record  # the worker frees it (see FragmentParser.dispose)
                    stack.pop()
            log = parser.feed_error_log
            if len(log) > seen_log:
                seen_log = self._classify(log, seen_log, index, raw_schema_errors, windows, queue)
            if queue:
                yield from _flush(queue)
            if fatal or stopped:
                break
        depth = len(stack)
        if not fatal and not stopped:
            try:
                parser.close()
            except etree.XMLSyntaxError as exc:
                error = exc
            log = parser.feed_error_log
            if len(log) > seen_log:
                self._classify(log, seen_log, index + 1, raw_schema_errors, windows, queue)
        if not result.fatal:
            # With a schema plugged in, libxml2 may leave its log empty and report a
            # well-formedness error only through the exception, or not at all.
            if error is not None and getattr(error, "code", 0) < _SCHEMA_CODES:
                result.fatal = True
                queue.append(_syntax_finding(error, lang))
            elif depth > 0 and not stopped:
                result.fatal = True
                queue.append(
                    S.NOT_WELL_FORMED.finding(
                        lang,
                        line=lines,
                        reason="fin de fichier prématurée"
                        if lang == "fr"
                        else "premature end of file",
                    )
                )
        result.complete = not result.fatal
        result.size = handle.size if handle.size is not None else size
        schema_error_count = len(raw_schema_errors)
        if kept is not None and not (
            not result.fatal
            and not stopped
            and error is None
            and depth == 0
            and _tree_valid(tree_schema, top, kept, root_start or 0)
        ):
            validation = self._stream_validation(native, kept)
        if validation is not None:
            validation.finish()
            for found in validation.errors:
                span = validation.chunks_of(found)
                raw_schema_errors.append(RawSchemaError(found.message, found.type_name, found.line))
                windows.update(range(span[0] - 1, span[-1] + 1))
            schema_error_count = validation.count

        if result.schema_checked and raw_schema_errors:
            if schema is None and self.schema_for is not None and root is not None:
                schema = self.schema_for(root)  # compiled now, to locate the errors
            result.schema_errors = self._locate(
                handle, schema, raw_schema_errors, windows, namespace
            )
            result.schema_errors_dropped = max(0, schema_error_count - limits.max_schema_errors)
        elif result.schema_checked:
            result.schema_errors = []
        yield from _flush(queue)

    def _stream_validation(
        self, native: NativeSchema | None, chunks: list[tuple[bytes, int]]
    ) -> StreamValidation:
        """The stream validator, fed ``chunks`` already."""
        assert native is not None  # chunks are kept only when there is a stream validator
        validation = self._validation = StreamValidation(
            native, self.limits.max_schema_errors, None, self._latin1
        )
        for chunk, first_line in chunks:
            validation.feed(chunk, first_line)
        return validation

    def _classify(
        self,
        log: etree._ListErrorLog,
        seen: int,
        chunk_index: int,
        raw_schema_errors: list[RawSchemaError],
        windows: set[int],
        queue: list[Finding],
    ) -> int:
        lang, result = self.lang, self.result
        entries = list(log)
        for entry in entries[seen:]:
            if entry.domain == etree.ErrorDomains.SCHEMASV:
                raw_schema_errors.append(RawSchemaError(entry.message, entry.type_name, None))
                windows.update((chunk_index - 1, chunk_index))
                continue
            if entry.level < etree.ErrorLevels.ERROR:
                continue
            result.fatal = True
            line, column = entry.line or None, entry.column or None
            message = entry.message.strip()
            if entry.type_name in ("ERR_INVALID_ENCODING", "ERR_INVALID_CHAR") or (
                "encoding" in message.lower() and entry.type_name != "ERR_RESOURCE_LIMIT"
            ):
                queue.append(
                    S.ENCODING_MISMATCH.finding(
                        lang,
                        line=line,
                        column=column,
                        encoding=result.encoding or "UTF-8",
                        reason=message,
                        detail=message,
                    )
                )
            elif entry.type_name == "ERR_RESOURCE_LIMIT" and "depth" in message.lower():
                queue.append(
                    S.TOO_DEEP.finding(
                        lang, line=line, column=column, limit=self.limits.max_depth, detail=message
                    )
                )
            elif entry.type_name == "ERR_RESOURCE_LIMIT":
                queue.append(
                    S.LIMIT_EXCEEDED.finding(
                        lang, line=line, column=column, reason=message, detail=message
                    )
                )
            else:
                queue.append(
                    S.NOT_WELL_FORMED.finding(
                        lang, line=line, column=column, reason=message, detail=message
                    )
                )
        return len(entries)

    def _locate(
        self,
        handle: Input,
        schema: etree.XMLSchema | None,
        raw: list[RawSchemaError],
        windows: set[int],
        namespace: str | None,
    ) -> list[SchemaError]:
        limit = self.limits.max_schema_errors
        if handle.reopen is not None and schema is not None:
            # Records outside the flagged chunks as placeholders first, in a well-formed
            # flow; should that not find every error, every element is read. (Past a
            # well-formedness error the two reads guess differently where errors are.)
            first = None if self.result.fatal else self._records_from
            for skip in dict.fromkeys((first, None)):
                try:
                    stream = handle.reopen()
                except OSError:
                    break
                try:
                    located = _locate_schema_errors(
                        stream, schema, windows, self.limits.chunk_size, namespace, limit, skip
                    )
                except ValueError:  # a broken element name: keep the errors unlocated
                    located = []
                finally:
                    if stream is not handle.stream:
                        stream.close()
                if len(located) == min(len(raw), limit):
                    return located
        return [
            SchemaError(
                error.message, error.type_name, _error_element(error.message), error.line, None
            )
            for error in raw[:limit]
        ]


_SECTIONS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))
"""Markup that may hold ``<`` and ``>``: comments, CDATA sections, processing instructions."""


def _next_section(data: bytes, position: int) -> tuple[int, bytes, bytes] | None:
    """The first section opener in ``data`` at or after ``position``: (offset, opener,
    terminator), or None.

    Looks for the openers' second byte (``!``, ``?``: rare in a flow, where ``<`` is
    everywhere), then at the bytes around it."""
    best: tuple[int, bytes, bytes] | None = None
    for mark in (b"!", b"?"):
        found = data.find(mark, position + 1)
        while found >= 0 and (best is None or found - 1 < best[0]):
            if data[found - 1] == 0x3C:  # "<"
                for opener, closing in _SECTIONS:
                    if data.startswith(opener, found - 1):
                        best = (found - 1, opener, closing)
                        break
                else:
                    found = data.find(mark, found + 1)
                    continue
                break
            found = data.find(mark, found + 1)
    return best


class _MarkupGuard:
    """Bounds what libxml2 would buffer whole, before it sees it: one piece of markup (a
    tag with its attributes, a comment, a processing instruction) and one text node (or
    CDATA section).

    Only ``bytes.find``/``rfind`` run per chunk.  Comments, CDATA sections and processing
    instructions are followed from opener to terminator.  Elsewhere, ``run`` is what
    follows the last ``<``: the rest of a tag, then text.  A tag ends at its first ``>`` (or
    a later one when an attribute value holds ``>``), so a run whose ``>`` are all beyond
    ``max_markup_bytes`` (or that has none after that many bytes) is one overlong tag; a
    run longer than ``max_text_bytes`` is an overlong text node.  Base64 text (a PJ) holds
    no ``>``, so legitimate content never trips the first test.
    """

    def __init__(self, limits: Limits) -> None:
        self.max_markup = limits.max_markup_bytes
        self.max_text = limits.max_text_bytes
        self.run = 0
        """Bytes since the last ``<`` (0 before the first one)."""
        self.first_gt: int | None = 0
        """Offset in the run of its first ``>``."""
        self.last_gt: int | None = 0
        self.total = 0
        """Bytes fed before the current chunk."""
        self.carry = b""
        """Last bytes of the previous chunk not yet scanned for a section's opener/end."""
        self.closing: bytes | None = None
        """Terminator of the section we are in (``-->``, ``]]>``, ``?>``), if any."""
        self.section_start = 0

    def _sections(self, chunk: bytes) -> int | None:
        """Follow sections through ``chunk``; return where the tag scan resumes in it
        (None: the chunk ends inside a section)."""
        data = self.carry + chunk
        base = self.total - len(self.carry)
        position = 0
        resume = 0
        while True:
            if self.closing is not None:
                found = data.find(self.closing, position)
                if found < 0:
                    break
                position = found + len(self.closing)
                resume = position
                self.closing = None
            else:
                opened = _next_section(data, position)
                if opened is None:
                    break
                best, opener, self.closing = opened
                self.section_start = base + best
                position = best + len(opener)
        self.carry = data[max(position, len(data) - 8) :]
        self.total += len(chunk)
        if self.closing is not None:
            return None
        return max(resume - (len(data) - len(chunk)), 0) if resume else 0

    def feed(self, chunk: bytes, lang: str) -> str | None:
        fr = lang == "fr"
        resume = self._sections(chunk)
        if resume is None:
            self.run, self.first_gt, self.last_gt = 0, 0, 0
            length = self.total - self.section_start
            cdata = self.closing == b"]]>"
            if length > (self.max_text if cdata else self.max_markup):
                if cdata:
                    return (
                        f"section CDATA de plus de {self.max_text} octets"
                        if fr
                        else f"CDATA section longer than {self.max_text} bytes"
                    )
                return (
                    f"commentaire ou instruction de plus de {self.max_markup} octets"
                    if fr
                    else f"comment or processing instruction longer than {self.max_markup} bytes"
                )
            return None
        if resume:
            chunk = chunk[resume:]
            self.run, self.first_gt, self.last_gt = 0, 0, 0
        lt = chunk.rfind(b"<")
        if lt >= 0:
            first = chunk.find(b">", lt)
            last = chunk.rfind(b">", lt)
            self.run = len(chunk) - lt
            self.first_gt = None if first < 0 else first - lt
            self.last_gt = None if last < 0 else last - lt
        else:
            if self.first_gt is None:
                first = chunk.find(b">")
                if first >= 0:
                    self.first_gt = self.run + first
            last = chunk.rfind(b">")
            if last >= 0:
                self.last_gt = self.run + last
            self.run += len(chunk)
        if self.run > self.max_markup and (
            self.first_gt is None or (self.last_gt or 0) > self.max_markup
        ):
            return (
                f"balise de plus de {self.max_markup} octets"
                if fr
                else f"tag longer than {self.max_markup} bytes"
            )
        if self.run > self.max_text:
            return (
                f"texte de plus de {self.max_text} octets sans balise"
                if fr
                else f"text longer than {self.max_text} bytes without markup"
            )
        return None


_SCHEMA_CODES = 1700
"""libxml2 error codes from here on are schema errors, not well-formedness errors."""
_LXML_WRAPPED = re.compile(r'^line \d+: b?["\'](.*)["\']$', re.S)


def _syntax_finding(error: etree.XMLSyntaxError, lang: str) -> Finding:
    message = str(error.msg or error)
    wrapped = _LXML_WRAPPED.match(message)
    if wrapped:
        message = wrapped.group(1)
    line, column = error.position if error.position else (error.lineno, 0)
    return S.NOT_WELL_FORMED.finding(
        lang, line=line or None, column=column or None, reason=message, detail=message
    )


_SHALLOW_STEPS = 16
"""Levels below a record looked at first by a depth probe (a bordereau is about 8 deep)."""


@functools.lru_cache(maxsize=8)
def _depth_probes(max_depth: int) -> dict[int, Callable[[Element], list[Element]]]:
    """For each record depth, a probe finding a descendant nested deeper than ``max_depth``."""
    probes: dict[int, Callable[[Element], list[Element]]] = {}
    for depth in range(1, RECORD_DEPTH + 1):
        steps = max(max_depth - depth + 1, 1)
        full = _levels_down(steps)
        probes[depth] = (
            full
            if steps <= _SHALLOW_STEPS
            else functools.partial(_deeper, _levels_down(_SHALLOW_STEPS), full)
        )
    return probes


def _levels_down(steps: int) -> Callable[[Element], list[Element]]:
    """An XPath finding the first element ``steps`` levels below the context element."""
    probe: Callable[[Element], list[Element]] = XPath("(" + "/".join(["*"] * steps) + ")[1]")
    return probe


def _childwise(limits: Limits) -> bool:
    """True when no element down to a record's children can itself be too deep, so that a
    container may be probed child by child (see :func:`_deep_below`)."""
    return limits.max_depth > RECORD_DEPTH


def _deep_below(
    element: Element,
    depth: int,
    probes: dict[int, Callable[[Element], list[Element]]],
    probed: set[Element],
) -> list[Element]:
    """``probes[depth](element)``, skipping the children probed already (records kept in
    the tree: :func:`_probe_preceding` notes them)."""
    if depth >= RECORD_DEPTH:
        return probes[depth](element)
    for child in element:
        if child not in probed and isinstance(child.tag, str):  # not a PI
            found = probes[depth + 1](child)
            if found:
                return found
    return []


def _deeper(
    shallow: Callable[[Element], list[Element]],
    full: Callable[[Element], list[Element]],
    record: Element,
) -> list[Element]:
    """``full(record)``, asked only when ``shallow`` finds something: a path of 254 steps
    costs its steps even once no element is left (≈ 6 µs on a small bordereau)."""
    return full(record) if shallow(record) else []


def _valid_name(element: Element) -> bool:
    try:
        etree.QName(element)
    except ValueError:
        return False
    return True


def line_in_flow(element: Element, offset: int) -> int | None:
    """The line ``element`` starts on in the flow, ``offset`` being what its tree's line
    numbers are short of (0, or where a record parsed on its own starts, less one)."""
    line: int | None = element.sourceline
    if line is None:
        return None
    if line >= _MAX_NODE_LINE:
        line = _big_line(element, line)
    return line + offset


def _big_line(element: Element, reported: int, depth: int = 0) -> int:
    """The line of an element past line 65,535, from what lxml reports for it.

    libxml2 then stores 65535 in the element and gives, when asked, the line of a neighbour:
    its first child, else its next sibling, else its previous one (up to five levels), a text
    node saying the line it *ends* on. So an element followed by ``"\n  "`` was said to be a
    line further than it is. This undoes that step; with no text around (whitespace dropped),
    there is nothing to read the line from, and 65535 stays."""
    if depth >= 4:
        return reported
    text: str | None = element.text
    if text is not None:
        return reported - text.count("\n")
    if len(element):
        return _big_line(element[0], reported, depth + 1)
    tail: str | None = element.tail
    if tail is not None:
        return reported - tail.count("\n")
    following = element.getnext()
    if following is not None:
        return _big_line(following, reported, depth + 1)
    return reported  # the previous text ends where the element starts


def _root_tag(data: bytes, start: int) -> tuple[bytes, bytes, int] | None:
    """The root's start tag (on one line), its name and where it ends in ``data``; None
    when it is not a plain start tag."""
    end = data.find(b">", start)
    found = _ROOT_NAME.match(data, start)
    if end < 0 or found is None or data[end - 1 : end] == b"/":
        return None
    tag = data[start : end + 1].replace(b"\r", b" ").replace(b"\n", b" ")
    return tag, found.group(1), end + 1


_ROOT_NAME = re.compile(rb"<([^\s/>]+)")


class _StandIn(NamedTuple):
    """A record parsed on its own, waiting for its placeholder's end in the skeleton."""

    element: Element
    line_offset: int
    size: int
    """Bytes of the fragment it was parsed from."""


def _stand_in(fragment: Fragment, element: Element | None, cut_out: dict[int, _StandIn]) -> bytes:
    """What to feed for ``fragment``, parsed as ``element``: a placeholder, or its bytes
    when it did not parse on its own."""
    if element is None:
        return fragment.data
    offset = fragment.line - element.sourceline
    cut_out[fragment.number] = _StandIn(element, offset, len(fragment.data))
    return fragment.placeholder()


def _standing_for(element: Element, cut_out: dict[int, _StandIn]) -> tuple[Element, int, int]:
    """The record parsed on its own that ``element`` stands for, with its line offset and
    size (a :class:`_StandIn`); ``element`` itself when it is not a placeholder (offset and
    size 0), with any placeholder inside it (a record where none belongs) replaced by its
    record."""
    if len(element) == 1 and element[0].tag == MARKER:
        found = cut_out.pop(int(element[0].get("n", "0")), None)
        if found is not None:
            return found
    for marker in list(element.iter(MARKER)):
        placeholder = marker.getparent()
        found = cut_out.pop(int(marker.get("n", "0")), None)
        if found is None or placeholder is None or placeholder.getparent() is None:
            continue
        stood, offset, _size = found
        for node in stood.iter():
            if node.sourceline:  # numbered as libxml2 numbers one tree's lines
                node.sourceline = min(node.sourceline + offset, 65535)
        placeholder.getparent().replace(placeholder, stood)
    return element, 0, 0


def _tree_valid(
    schema: etree.XMLSchema | None,
    top: Element | None,
    chunks: list[tuple[bytes, int]],
    root_start: int,
) -> bool:
    """True when the schema finds the whole tree of a well-formed small flow valid, which is
    then what libxml2's stream validator would find of its bytes, at ≈ 60 % of the cost (no
    second tokenising).  False leaves the verdict, and every message, to the stream validator.

    The tree lacks what the parser left out: comments, and the whitespace-only text it drops
    when no signature needs it.  Comments are refused (with processing instructions and
    CDATA sections, which change what whitespace it drops).  Without them, the whitespace
    dropped is only that of an element that has element children: its type either allows
    them, and then ignores that whitespace, or does not, and the tree is invalid too.
    """
    if schema is None or top is None:
        return False
    data = b"".join(chunk for chunk, _line in chunks)
    return not holds_markup(data, root_start) and bool(schema.validate(top))


def _flush(queue: list[Finding]) -> Iterator[Finding]:
    items = list(queue)
    queue.clear()
    yield from items


def _release(element: Element, probe: Callable[[Element], list[Element]]) -> list[Element]:
    """Free a handled record and the siblings before it; what ``probe`` finds too deep in
    those siblings first (records, probed already, are empty by then; any other element was
    not).  Nothing is freed past what it finds."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            first = parent[0]
            # Not a PI, and with children: an element without any holds nothing too deep,
            # and lxml lets other threads run during an XPath call, which the reader then
            # waits to get back (≈ 0.3–1 s per 100 MB for the records handled already).
            found = probe(first) if isinstance(first.tag, str) and len(first) else []
            if found:
                return found
            del parent[0]
    return []


def _probe_preceding(
    element: Element, probe: Callable[[Element], list[Element]], probed: set[Element]
) -> list[Element]:
    """In a kept tree, what ``probe`` finds too deep in the siblings before ``element`` not
    probed yet (back to the last one probed), as :func:`_release` does; ``element`` is then
    noted as probed."""
    found: list[Element] = []
    for sibling in element.itersiblings(preceding=True):
        if sibling in probed:
            break
        probed.add(sibling)
        if isinstance(sibling.tag, str):  # not a processing instruction
            found = probe(sibling) or found
    probed.add(element)
    return found


def _line_of(data: bytes, needle: bytes) -> int:
    position = data.find(needle)
    return data.count(b"\n", 0, max(position, 0)) + 1
