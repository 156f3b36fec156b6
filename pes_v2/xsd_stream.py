"""Schema validation of a byte stream inside libxml2, beside the main read and off the GIL.

lxml validates with its push parser only while it builds a tree, and reports no line
numbers.  libxml2 itself can validate a stream of SAX events with no tree at all (what
``xmllint --stream`` does) and knows the line of each error.  This module drives that
validator through ``ctypes`` on the libxml2 that lxml already carries (its extension module
exports the library's symbols), in a thread of its own: ctypes releases the GIL for every
call, so validation runs on one core while the rules run on the other.

The main read hands the chunks over in batches, copied into a few buffers that go back and
forth between the two threads, so the file is read once and memory stays bounded.  When the
symbols are missing (an lxml built otherwise) or ``PES_V2_NATIVE_XSD=0`` is set,
:func:`available` is False and the reader validates through lxml as before.
"""

from __future__ import annotations

import bisect
import ctypes
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from . import bytescan

_XML_PARSE_NONET = 1 << 11
_XML_PARSE_HUGE = 1 << 19
_XML_PARSE_IGNORE_ENC = 1 << 21
_XML_SAX2_MAGIC = 0xDEEDBEAF
_SAX_INITIALIZED_OFFSET = 27 * ctypes.sizeof(ctypes.c_void_p)
"""``xmlSAXHandler.initialized`` follows 27 callback pointers (stable since libxml2 2.6)."""
_SAX_HANDLER_BYTES = 64 * ctypes.sizeof(ctypes.c_void_p)
"""Room for an ``xmlSAXHandler`` (32 pointer-sized fields today), all callbacks NULL."""
_BATCH_BYTES = 1 << 20
"""Bytes handed to libxml2 per call (the thread needs the GIL between two calls)."""
_FIRST_BATCH_BYTES = 1 << 16
"""A flow known to span several batches starts its thread at its first chunk, the batches then
doubling up to :data:`_BATCH_BYTES`: the validator, the thread a large flow's wall waits for,
then starts before the reader has handled a megabyte (≈ 0.1 s earlier at 100 MB)."""
_QUEUE_BATCHES = 4
"""Batches waiting for the validator at most."""
_Batch = tuple[range, bytearray, int]
"""Indexes of the chunks in the batch, the buffer holding them, how many bytes it holds."""

_VOID = ctypes.c_void_p


class _XmlError(ctypes.Structure):
    """``xmlError`` (libxml2/xmlerror.h)."""

    _fields_ = [
        ("domain", ctypes.c_int),
        ("code", ctypes.c_int),
        ("message", ctypes.c_char_p),
        ("level", ctypes.c_int),
        ("file", ctypes.c_char_p),
        ("line", ctypes.c_int),
        ("str1", ctypes.c_char_p),
        ("str2", ctypes.c_char_p),
        ("str3", ctypes.c_char_p),
        ("int1", ctypes.c_int),
        ("int2", ctypes.c_int),
        ("ctxt", _VOID),
        ("node", _VOID),
    ]


_ON_ERROR = ctypes.CFUNCTYPE(None, _VOID, ctypes.POINTER(_XmlError))
_LOCATOR = ctypes.CFUNCTYPE(
    ctypes.c_int, _VOID, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_ulong)
)

_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "xmlSchemaNewParserCtxt": (_VOID, [ctypes.c_char_p]),
    "xmlSchemaSetParserStructuredErrors": (None, [_VOID, _ON_ERROR, _VOID]),
    "xmlSchemaParse": (_VOID, [_VOID]),
    "xmlSchemaFreeParserCtxt": (None, [_VOID]),
    "xmlSchemaNewValidCtxt": (_VOID, [_VOID]),
    "xmlSchemaFreeValidCtxt": (None, [_VOID]),
    "xmlSchemaSetValidStructuredErrors": (None, [_VOID, _ON_ERROR, _VOID]),
    "xmlSchemaValidateSetLocator": (None, [_VOID, _LOCATOR, _VOID]),
    "xmlSchemaSAXPlug": (_VOID, [_VOID, _VOID, _VOID]),
    "xmlSchemaSAXUnplug": (ctypes.c_int, [_VOID]),
    "xmlCreatePushParserCtxt": (_VOID, [_VOID, _VOID, ctypes.c_char_p, ctypes.c_int, _VOID]),
    "xmlCtxtUseOptions": (ctypes.c_int, [_VOID, ctypes.c_int]),
    "xmlCtxtSetErrorHandler": (None, [_VOID, _ON_ERROR, _VOID]),
    "xmlParseChunk": (ctypes.c_int, [_VOID, _VOID, ctypes.c_int, ctypes.c_int]),
    "xmlFreeParserCtxt": (None, [_VOID]),
    "xmlSAX2GetLineNumber": (ctypes.c_int, [_VOID]),
}


def _load() -> Any:
    if os.environ.get("PES_V2_NATIVE_XSD", "1") == "0":
        return None
    try:
        lib = ctypes.CDLL(etree.__file__)
        for name, (restype, argtypes) in _SIGNATURES.items():
            function = getattr(lib, name)
            function.restype, function.argtypes = restype, argtypes
    except (OSError, AttributeError):
        return None
    return lib


_LIB = _load()
_ERROR_NAMES = {value: name for name, value in vars(etree.ErrorTypes).items() if type(value) is int}


def _ignore_error(_data: Any, _error: Any) -> None:
    """Parser errors of the validating read: the main read reports well-formedness."""


_ignore = _ON_ERROR(_ignore_error)


def available() -> bool:
    """True when libxml2's stream validator can be driven directly."""
    return _LIB is not None


class NativeSchema:
    """An XSD compiled by libxml2 for stream validation (read-only, shared by threads)."""

    def __init__(self, path: Path) -> None:
        if _LIB is None:
            raise RuntimeError("libxml2 stream validation is not available")
        parser = _LIB.xmlSchemaNewParserCtxt(os.fsencode(path))
        if not parser:
            raise RuntimeError(f"{path}: cannot read the schema")
        try:
            # Warnings (e.g. an import skipped because its namespace is already imported)
            # are not failures; a schema that does not compile gives NULL, and the caller
            # then compiles it with lxml, whose error says which file and why.
            _LIB.xmlSchemaSetParserStructuredErrors(parser, _ignore, None)
            self._pointer = _LIB.xmlSchemaParse(parser)
        finally:
            _LIB.xmlSchemaFreeParserCtxt(parser)
        if not self._pointer:
            raise RuntimeError(f"{path}: the schema does not compile")
        # The schema lives as long as the process (bundles are cached per process).


def compile_schema(path: Path) -> NativeSchema | None:
    """``path`` compiled for stream validation, or None when that is not possible here."""
    if _LIB is None:
        return None
    try:
        return NativeSchema(path)
    except RuntimeError:
        return None


@dataclass(frozen=True)
class StreamError:
    """One schema-validation error, with its line and the chunks being validated then."""

    message: str
    type_name: str
    line: int | None
    chunks: range
    """Indexes of the chunks handed to libxml2 in the call that raised the error."""


@dataclass
class _Outcome:
    errors: list[StreamError] = field(default_factory=list)
    count: int = 0


class StreamValidation:
    """Validates the chunks it is given against ``schema`` in a thread of its own.

    ``feed`` each chunk in order, then ``finish`` (or ``cancel``); the errors are then in
    :attr:`errors` (the first ``limit`` of them) and their number in :attr:`count`.

    Chunks go to libxml2 in batches of about a megabyte: the thread needs the GIL between
    two calls, and asks for it far less often than the reader's chunks come.
    """

    def __init__(
        self, schema: NativeSchema, limit: int, size: int | None = None, latin1: bool = False
    ) -> None:
        """``size``: the flow's size in bytes, when known; ``latin1``: the flow declares
        ISO-8859-1 (and has no byte order mark).

        An ISO-8859-1 flow is handed over in UTF-8 (:data:`bytescan.latin1_to_utf8`, in the
        reader's thread) and libxml2 told to ignore the declaration: the validator, the
        thread a large flow's wall waits for, then does not convert it byte by byte."""
        self._schema = schema
        self._limit = limit
        self._utf8 = latin1 and bytescan.native_available()
        self._next_batch = (
            _FIRST_BATCH_BYTES if size is not None and size >= 2 * _BATCH_BYTES else _BATCH_BYTES
        )
        """Bytes that make the next batch."""
        self._queue: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        """Batch buffers the validator is done with: the reader fills them again."""
        self._buffers = 0
        self._thread: threading.Thread | None = None
        self._cancelled = False
        self._closed = False
        self._outcome = _Outcome()
        self._batch: list[bytes] = []
        self._batch_bytes = 0
        self._first_lines: list[int] = []
        """First line of each chunk fed, by chunk index."""

    @property
    def errors(self) -> list[StreamError]:
        return self._outcome.errors

    @property
    def count(self) -> int:
        return self._outcome.count

    def feed(self, chunk: bytes, first_line: int) -> None:
        """Validate ``chunk`` next; ``first_line`` is the line the chunk starts on."""
        if self._closed:
            return
        self._first_lines.append(first_line)
        if self._utf8:
            chunk = bytescan.latin1_to_utf8(chunk)
        self._batch.append(chunk)
        self._batch_bytes += len(chunk)
        if self._batch_bytes >= self._next_batch:
            self._next_batch = min(2 * self._next_batch, _BATCH_BYTES)
            if self._thread is None:
                # A flow of more than one batch: validate beside the read from now on.
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue.get,), name="pes-v2-xsd", daemon=True
                )
                self._thread.start()
            self._queue.put(self._take(self._buffer()))

    def _buffer(self) -> bytearray:
        """A batch buffer: a new one while fewer than the queue's bound exist, else the next
        one the validator gives back (waiting for it: this is what bounds memory).

        Buffers are reused rather than each batch being a new ``bytes`` freed by the other
        thread: big blocks allocated by one thread and freed by another make glibc's malloc
        raise its mmap threshold and share one arena's lock between the reader (building
        records) and the validator, which then both ran about twice as slow.
        """
        if self._buffers <= _QUEUE_BATCHES:
            try:
                return self._free.get_nowait()
            except queue.Empty:
                self._buffers += 1
                return bytearray()  # sized by its first batch
        return self._free.get()

    def _take(self, buffer: bytearray) -> _Batch:
        """The batch fed since the last one, copied into ``buffer`` (grown if need be)."""
        end = len(self._first_lines)
        size = self._batch_bytes
        if len(buffer) < size:
            buffer.extend(bytes(size - len(buffer)))
        offset = 0
        for chunk in self._batch:
            buffer[offset : offset + len(chunk)] = chunk
            offset += len(chunk)
        batch = (range(end - len(self._batch), end), buffer, size)
        self._batch, self._batch_bytes = [], 0
        return batch

    def finish(self) -> None:
        """Validate what is left and wait until every chunk fed so far is validated.

        A flow that fits in one batch is validated here, in the calling thread: for small
        flows a thread would cost more than it saves.
        """
        if self._closed:
            if self._thread is not None:
                self._thread.join()
            return
        self._closed = True
        rest = [] if self._cancelled or not self._batch else [self._take(self._buffer())]
        if self._thread is None:
            if rest:
                items: list[_Batch | None] = [*rest, None]
                self._run(iter(items).__next__)
            return
        for item in rest:
            self._queue.put(item)
        self._queue.put(None)
        self._thread.join()

    def cancel(self) -> None:
        """Stop as soon as possible; what was found so far stays available."""
        self._cancelled = True
        self.finish()

    def chunks_of(self, error: StreamError) -> range:
        """The chunks holding the error's line (all the call's chunks when it has none)."""
        if error.line is None:
            return error.chunks
        first = max(bisect.bisect_left(self._first_lines, error.line) - 1, 0)
        last = max(bisect.bisect_right(self._first_lines, error.line) - 1, first)
        return range(first, last + 1)

    def _run(self, next_batch: Callable[[], _Batch | None]) -> None:
        assert _LIB is not None
        lib, outcome, limit = _LIB, self._outcome, self._limit
        current: list[Any] = [range(0), 0]  # chunks being validated, parser context

        def on_error(_data: Any, pointer: Any) -> None:
            error = pointer.contents
            outcome.count += 1
            if len(outcome.errors) < limit:
                message = (error.message or b"").decode("utf-8", "replace").rstrip("\n")
                outcome.errors.append(
                    StreamError(
                        message,
                        _ERROR_NAMES.get(error.code, str(error.code)),
                        error.line or None,
                        current[0],
                    )
                )

        def locate(_data: Any, file: Any, line: Any) -> int:
            file[0] = None
            line[0] = max(lib.xmlSAX2GetLineNumber(current[1]), 0)
            return 0

        # Keep the callbacks referenced for as long as libxml2 may call them.
        callbacks = (_ON_ERROR(on_error), _LOCATOR(locate))
        valid = lib.xmlSchemaNewValidCtxt(self._schema._pointer)
        sax = ctypes.create_string_buffer(_SAX_HANDLER_BYTES)
        ctypes.c_uint.from_buffer(sax, _SAX_INITIALIZED_OFFSET).value = _XML_SAX2_MAGIC
        parser = lib.xmlCreatePushParserCtxt(ctypes.addressof(sax), None, None, 0, None)
        plug = None
        try:
            if not valid or not parser:
                raise MemoryError
            current[1] = parser
            lib.xmlSchemaSetValidStructuredErrors(valid, callbacks[0], None)
            lib.xmlSchemaValidateSetLocator(valid, callbacks[1], None)
            lib.xmlCtxtSetErrorHandler(parser, _ignore, None)
            ignore_encoding = _XML_PARSE_IGNORE_ENC if self._utf8 else 0
            lib.xmlCtxtUseOptions(parser, _XML_PARSE_HUGE | _XML_PARSE_NONET | ignore_encoding)
            # &parser->sax and &parser->userData: the first two fields of xmlParserCtxt.
            plug = lib.xmlSchemaSAXPlug(valid, parser, parser + ctypes.sizeof(_VOID))
            broken = plug is None
            while True:
                item = next_batch()
                if item is None:
                    break
                current[0], buffer, size = item
                if size and not (broken or self._cancelled):  # else drain: never block the reader
                    # The buffer's first byte, exported (not a `c_char * size` array: one new
                    # ctypes type per size, ≈ 14 µs each, i.e. for nearly every small flow).
                    start: Any = ctypes.c_char.from_buffer(buffer)
                    # Not well-formed when broken: the main read reports it.
                    broken = lib.xmlParseChunk(parser, ctypes.addressof(start), size, 0) != 0
                    del start  # the buffer may grow again once given back
                self._free.put(buffer)
            if not broken and not self._cancelled:
                current[0] = range(current[0].stop, current[0].stop + 1)  # at the end
                lib.xmlParseChunk(parser, None, 0, 1)
        except MemoryError:
            while (item := next_batch()) is not None:
                self._free.put(item[1])
        finally:
            if plug:
                lib.xmlSchemaSAXUnplug(plug)
            if parser:
                lib.xmlFreeParserCtxt(parser)
            if valid:
                lib.xmlSchemaFreeValidCtxt(valid)
            del callbacks
