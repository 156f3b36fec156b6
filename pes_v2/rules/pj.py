"""Attachments (PES_PJ) and their references.

Each ``PES_PJ/PJ`` is read once (:func:`_content`, cached per record): its base64 text is
checked strictly and decoded chunk by chunk, the gzip stream inflated with a hard cap on
the output, and the first bytes kept to sniff the file type.  Memory stays bounded by one
chunk, whatever the size of the PJ or what its gzip stream expands to.

References (``PJRef`` under pieces and lines) and PJ ids are noted in the flow facts and
matched once the whole flow has been read, so either may come first.
"""

from __future__ import annotations

import binascii
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..findings import Finding, Scope, Severity
from ..limits import Limits
from ..probes import probe
from ..records import FlowFacts, Location, Record
from ..xmlio import Element
from .registry import rule
from .totals import fetch

_B64_STEP = 1 << 20
"""Base64 characters decoded at a time."""
_OUT_STEP = 1 << 16
"""Decompressed bytes produced at a time."""
_HEAD = 4096
"""Decompressed bytes kept to recognise the file type."""
_WHITESPACE = b" \t\r\n"
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BAD_CHAR = re.compile(r"[^A-Za-z0-9+/=\s]")
_GZIP_MAGIC = b"\x1f\x8b"
_PJ_KEY = "pj"
_REFS_KEY = "pj.refs"

_TYPE_DOMAINS: dict[str, frozenset[str]] = {
    "001": frozenset({"04"}),
    "002": frozenset({"02"}),
    "003": frozenset({"01"}),
    "004": frozenset({"01"}),
    "005": frozenset({"01"}),
    "006": frozenset({"01", "02"}),
    "007": frozenset({"02"}),
    "008": frozenset({"02"}),
    "009": frozenset({"06"}),
    "010": frozenset({"02"}),
    "011": frozenset({"02"}),
    "012": frozenset({"04"}),
    "013": frozenset({"04"}),
    "014": frozenset({"02"}),
}
"""TypePJ → the RefCompta Domaine values it may go with (XSD-5.3 Class_PJ.xsd annotations)."""
_DOMAINS = frozenset({"01", "02", "04", "06"})
"""RefCompta Domaine values Hélios integrates; any other value gets the PJ rejected."""
_PIECE_DOMAIN = {"depense": "01", "recette": "02"}
_DOMAIN_WORDS = (
    {"depense": "dépense", "recette": "recette"},
    {"depense": "expense", "recette": "income"},
)
_NEEDS_REFCOMPTA = frozenset({"012", "013"})


# -- reading one PJ once -------------------------------------------------------------------


@dataclass
class _Content:
    """What one PJ's Fichier holds, learnt in a single pass."""

    chars: int = 0
    """Length of the base64 text."""
    decoded: int = 0
    """Bytes decoded from base64 (up to the first base64 error)."""
    b64_error: str | None = None
    b64_value: str | None = None
    gzip_error: str | None = None
    size: int = 0
    """Decompressed bytes (up to the cap)."""
    over_cap: bool = False
    head: bytearray = field(default_factory=bytearray)

    @property
    def readable(self) -> bool:
        return self.b64_error is None and self.gzip_error is None and not self.over_cap


class _Gunzip:
    """Inflate a gzip stream (one or more members) fed in chunks, stopping at ``cap``."""

    def __init__(self, content: _Content, cap: int) -> None:
        self.content = content
        self.cap = cap
        self.inflater: zlib._Decompress | None = None
        self.pending = b""
        """Bytes between two members, until a member header or the end is seen."""
        self.trailing = False
        self.members = 0
        self.stopped = False

    def _fail(self, reason: str) -> None:
        self.content.gzip_error = reason
        self.stopped = True

    def feed(self, data: bytes) -> None:
        while data and not self.stopped:
            if self.inflater is None:
                data = self._start(data)
                continue
            try:
                out = self.inflater.decompress(data, _OUT_STEP)
                self._emit(out)
                # After the end of a member, unconsumed_tail is stale: never feed it again.
                while len(out) == _OUT_STEP and not self.stopped and not self.inflater.eof:
                    out = self.inflater.decompress(self.inflater.unconsumed_tail, _OUT_STEP)
                    self._emit(out)
            except zlib.error as error:
                self._fail(str(error))
                return
            if self.inflater.eof:
                data = self.inflater.unused_data
                self.inflater = None
            else:
                data = self.inflater.unconsumed_tail

    def _start(self, data: bytes) -> bytes:
        """Between members: a new member, trailing NUL padding, or garbage."""
        data = self.pending + data
        self.pending = b""
        if self.members and (self.trailing or not data.strip(b"\0")):
            if data.strip(b"\0"):
                self._fail("trailing data after the gzip stream")
            self.trailing = True
            return b""
        if len(data) < 2:
            self.pending = data
            return b""
        if data[:2] != _GZIP_MAGIC:
            self._fail("trailing data after the gzip stream" if self.members else "no magic 1f 8b")
            return b""
        self.members += 1
        self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return data

    def _emit(self, out: bytes) -> None:
        content = self.content
        if len(content.head) < _HEAD:
            content.head += out[: _HEAD - len(content.head)]
        content.size += len(out)
        if content.size > self.cap:
            content.over_cap = True
            self.stopped = True

    def close(self) -> None:
        if self.stopped:
            return
        if self.inflater is not None:
            self._fail("truncated gzip stream")
        elif self.pending:
            self._fail("trailing data after the gzip stream" if self.members else "no magic 1f 8b")


def _read(text: str, cap: int, step: int = _B64_STEP) -> _Content:
    """Check and decode ``text`` (base64 of gzip) ``step`` characters at a time; never holds
    it all decoded."""
    content = _Content(chars=len(text))
    gunzip = _Gunzip(content, cap)
    carry = b""
    padding = 0
    for start in range(0, len(text), step):
        try:
            raw = text[start : start + step].encode("ascii")
        except UnicodeEncodeError:
            _bad_char(content, text, start)
            return content
        raw = raw.translate(None, _WHITESPACE)
        if not raw:
            continue
        if padding:  # the rest of the padding (split between two steps), or data after it
            if raw.strip(b"="):
                content.b64_error = "padding"
                return content
            padding += len(raw)
            continue
        if raw.translate(None, _ALPHABET):
            stripped = raw.rstrip(b"=")
            padding = len(raw) - len(stripped)
            left = stripped.translate(None, _ALPHABET)
            if left and not left.strip(b"="):
                content.b64_error = "padding"  # "=" before the end
                return content
            if left:
                _bad_char(content, text, start)
                return content
            raw = stripped
        data = carry + raw
        cut = len(data) - len(data) % 4
        carry = data[cut:]
        if cut:
            decoded = binascii.a2b_base64(data[:cut])
            content.decoded += len(decoded)
            gunzip.feed(decoded)
    if carry or padding:
        if (len(carry) + padding) % 4 or padding > 2 or not carry:
            content.b64_error = "padding"
            return content
        last = carry[-1:]
        if last not in (b"AQgw" if padding == 2 else b"AEIMQUYcgkosw048"):
            content.b64_error = "padding"  # non-canonical bits: not xs:base64Binary
            return content
        decoded = binascii.a2b_base64(carry + b"=" * padding)
        content.decoded += len(decoded)
        gunzip.feed(decoded)
    gunzip.close()
    return content


def _bad_char(content: _Content, text: str, start: int) -> None:
    found = _BAD_CHAR.search(text, start)
    content.b64_error = "character"
    if found is not None:
        content.b64_value = f"{found.group()!r} (position {found.start() + 1})"


def _limits(facts: FlowFacts) -> Limits:
    return facts.limits


def _content(record: Record, facts: FlowFacts) -> tuple[Element | None, _Content | None]:
    """The PJ's Fichier and what it holds, read once per record (every rule shares it)."""
    return record.memoized("pj", lambda: _read_pj(record, facts))


def _read_pj(record: Record, facts: FlowFacts) -> tuple[Element | None, _Content | None]:
    fichier = record.element.find("Contenu/Fichier")
    content = None
    if fichier is not None:
        content = _read(fichier.text or "", _limits(facts).max_pj_decompressed)
    _note_pj(record, facts)
    return fichier, content


def _note_pj(record: Record, facts: FlowFacts) -> None:
    """Remember this PJ's IdUnique, and where it is, for the references resolved at the end
    of the flow (the first PJ of each IdUnique)."""
    identifier = record.element.find("IdUnique")
    if identifier is not None and identifier.get("V"):
        known: dict[str, Location] = facts.state(_PJ_KEY, dict)
        known.setdefault(identifier.get("V"), record.locate(identifier))


def _size(content: _Content) -> dict[str, Any]:
    return {"chars": content.chars, "decoded": content.decoded, "size": content.size}


# -- rules on each PJ ---------------------------------------------------------------------

_SOURCE_CONTENT = "pes-rules §4.2 [DOC] (XSD-5.3 Class_PJ.xsd, Fichier annotation)"


@rule(
    "PES-PJ-001",
    title=("Contenu de PJ non conforme au base64", "Attachment content is not valid base64"),
    message=(
        "Le contenu de la PJ {pj} n'est pas du base64 valide ({reason}) : Hélios ne peut pas "
        "le lire.",
        "The content of attachment {pj} is not valid base64 ({reason}): Hélios cannot read it.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_PJ",
    rejects="pj",
    source=_SOURCE_CONTENT + "; xs:base64Binary",
    on="pj",
)
def pj_base64(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """The Fichier text is strict base64: alphabet, whitespace, padding only at the end."""
    fichier, content = _content(record, facts)
    if fichier is None or content is None or content.b64_error is None:
        return
    if content.b64_error == "character":
        reason = {"fr": "caractère interdit", "en": "forbidden character"}
    else:
        reason = {"fr": "remplissage « = » incorrect", "en": "bad '=' padding"}
    yield record.finding(
        pj_base64.rule,  # type: ignore[attr-defined]
        fichier,
        value=content.b64_value,
        pj=_pj_id(record),
        reason=reason[record.lang if record.lang in reason else "fr"],
    )


@rule(
    "PES-PJ-002",
    title=("PJ non compressée en gzip", "Attachment is not gzip-compressed"),
    message=(
        "Le contenu de la PJ {pj} ({decoded} octets après base64) n'est pas un flux gzip "
        "lisible ({reason}) : le fichier doit être compressé avec gzip puis encodé en base64.",
        "The content of attachment {pj} ({decoded} bytes after base64) is not a readable gzip "
        "stream ({reason}): the file must be gzip-compressed, then base64-encoded.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_PJ",
    rejects="pj",
    source=_SOURCE_CONTENT,
    on="pj",
)
def pj_gzip(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """The decoded content is a gzip stream (magic 1f 8b) that decompresses to its end."""
    fichier, content = _content(record, facts)
    if fichier is None or content is None or content.b64_error or content.gzip_error is None:
        return
    yield record.finding(
        pj_gzip.rule,  # type: ignore[attr-defined]
        fichier,
        value=content.head[:8].hex(" ") if content.head else None,
        pj=_pj_id(record),
        reason=content.gzip_error,
        detail=content.gzip_error,
        **_size(content),
    )


@rule(
    "PES-PJ-004",
    title=(
        "PJ trop volumineuse une fois décompressée",
        "Attachment too large once decompressed",
    ),
    message=(
        "La PJ {pj} dépasse {cap} octets une fois décompressée ({decoded} octets compressés) : "
        "contenu non vérifié au-delà (possible bombe de décompression).",
        "Attachment {pj} exceeds {cap} bytes once decompressed ({decoded} compressed bytes): "
        "its content was not checked further (possible decompression bomb).",
    ),
    severity=Severity.WARNING,
    scope=Scope.PJ,
    ack=None,
    rejects="none",
    source="pes-rules §1.7 [IMPL] (no per-PJ limit published; pes-v2 limit max_pj_decompressed)",
    on="pj",
)
def pj_too_large(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """The decompressed content stays under the validator's cap (a gzip bomb is not inflated)."""
    fichier, content = _content(record, facts)
    if fichier is None or content is None or content.b64_error or not content.over_cap:
        return
    yield record.finding(
        pj_too_large.rule,  # type: ignore[attr-defined]
        fichier,
        pj=_pj_id(record),
        cap=_limits(facts).max_pj_decompressed,
        **_size(content),
    )


@rule(
    "PES-PJ-005",
    title=("PJ vide", "Empty attachment"),
    message=(
        "La PJ {pj} est vide ({decoded} octets après base64, 0 octet décompressé) : Hélios "
        "rejette une PJ dont le fichier est vide.",
        "Attachment {pj} is empty ({decoded} bytes after base64, 0 bytes decompressed): "
        "Hélios rejects an attachment whose file is empty.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_PJ",
    rejects="pj",
    source=_SOURCE_CONTENT + " « Si fichier à vide, rejet de la PJ »",
    on="pj",
)
def pj_empty(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """The Fichier is not empty, and neither is its decompressed content."""
    fichier, content = _content(record, facts)
    if fichier is None or content is None or not content.readable or content.size:
        return
    yield record.finding(
        pj_empty.rule,  # type: ignore[attr-defined]
        fichier,
        pj=_pj_id(record),
        **_size(content),
    )


def _pj_id(record: Record) -> str:
    identifier = record.element.find("IdUnique")
    value = None if identifier is None else identifier.get("V")
    return value or "?"


# -- MIME type against content ------------------------------------------------------------

_KINDS = {
    "pdf": ("PDF", "PDF"),
    "png": ("image PNG", "PNG image"),
    "jpeg": ("image JPEG", "JPEG image"),
    "gif": ("image GIF", "GIF image"),
    "tiff": ("image TIFF", "TIFF image"),
    "zip": ("archive ZIP (ou document Office/OpenDocument)", "ZIP archive (or Office/ODF)"),
    "ole": ("document Office 97-2003", "Office 97-2003 document"),
    "xml": ("document XML", "XML document"),
    "gzip": ("flux gzip (compressé deux fois)", "gzip stream (compressed twice)"),
}


def _sniff(head: bytes) -> str | None:
    """The kind of file ``head`` starts, or None when it is not recognised."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<?xml"):
        return "xml"
    return None


def _accepted(mime: str) -> frozenset[str] | None:
    """The kinds of content a declared MIME type allows, or None when it says nothing."""
    mime = mime.split(";", 1)[0].strip().lower()
    exact = {
        "application/pdf": {"pdf"},
        "application/x-pdf": {"pdf"},
        "image/png": {"png"},
        "image/jpeg": {"jpeg"},
        "image/jpg": {"jpeg"},
        "image/pjpeg": {"jpeg"},
        "image/gif": {"gif"},
        "image/tiff": {"tiff"},
        "application/zip": {"zip"},
        "application/x-zip-compressed": {"zip"},
        "application/xml": {"xml"},
        "text/xml": {"xml"},
    }
    if mime in exact:
        return frozenset(exact[mime])
    if mime.endswith("+xml"):
        return frozenset({"xml"})
    if mime.startswith(("application/vnd.openxmlformats", "application/vnd.oasis.opendocument")):
        return frozenset({"zip"})
    if mime.startswith(("application/msword", "application/vnd.ms-")):
        return frozenset({"ole", "zip"})  # old Office MIME types are often kept for OOXML
    if mime.startswith("text/"):
        return frozenset({"xml"})  # text: only an XML document is accepted among known kinds
    return None


@rule(
    "PES-PJ-009",
    title=("Type MIME de la PJ contredit par son contenu", "Attachment MIME type contradicts"),
    message=(
        "La PJ {pj} est déclarée {value} mais son contenu décompressé ({size} octets) est un(e) "
        "{found}.",
        "Attachment {pj} is declared {value} but its decompressed content ({size} bytes) is a "
        "{found}.",
    ),
    severity=Severity.WARNING,
    scope=Scope.PJ,
    ack=None,
    rejects="none",
    source="pes-rules §4.2 [IMPL] (MIMEType describes the original document)",
    on="pj",
)
def pj_mime_type(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """@MIMEType agrees with the kind of the decompressed content, when both are known."""
    fichier, content = _content(record, facts)
    if fichier is None or content is None or not content.readable or not content.size:
        return
    mime = fichier.get("MIMEType") or ""
    accepted = _accepted(mime)
    kind = _sniff(bytes(content.head))
    if accepted is None or kind is None or kind in accepted:
        return
    yield record.finding(
        pj_mime_type.rule,  # type: ignore[attr-defined]
        fichier,
        value=mime,
        pj=_pj_id(record),
        found=_KINDS[kind][1 if record.lang == "en" else 0],
        **_size(content),
    )


# -- TypePJ and RefCompta -------------------------------------------------------------------


@rule(
    "PES-PJ-006",
    title=("TypePJ incohérent avec le domaine de RefCompta", "TypePJ inconsistent with domain"),
    message=(
        "La PJ {pj} est de TypePJ {typepj}, qui ne va pas avec le Domaine {value} de sa "
        "RefCompta (attendu : {expected}).",
        "Attachment {pj} has TypePJ {typepj}, which does not go with Domaine {value} of its "
        "RefCompta (expected: {expected}).",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_PJ",
    rejects="pj",
    source="pes-rules §4.2 [DOC] (XSD-5.3 Class_PJ.xsd, TypePJ and Domaine annotations)",
    on="pj",
)
def pj_type_domain(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """When TypePJ and RefCompta are both given, each Domaine suits the TypePJ."""
    _content(record, facts)
    typepj = record.element.find("TypePJ")
    allowed = None if typepj is None else _TYPE_DOMAINS.get(typepj.get("V") or "")
    if allowed is None:
        return
    for domaine in record.element.iterfind("RefCompta/Domaine"):
        value = domaine.get("V") or ""
        if value in _DOMAINS and value not in allowed:
            yield record.finding(
                pj_type_domain.rule,  # type: ignore[attr-defined]
                domaine,
                value=value,
                pj=_pj_id(record),
                typepj=typepj.get("V"),
                expected=", ".join(sorted(allowed)),
            )


@rule(
    "PES-PJ-011",
    title=("Domaine de RefCompta non intégré", "RefCompta Domaine not integrated"),
    message=(
        "La RefCompta de la PJ {pj} a le Domaine {value} : seuls 01 (dépense), 02 (recette), "
        "04 (budget) et 06 (marché) sont acceptés.",
        "The RefCompta of attachment {pj} has Domaine {value}: only 01 (dépense), 02 (recette), "
        "04 (budget) and 06 (marché) are accepted.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_PJ",
    rejects="pj",
    source="pes-rules §4.2 [DOC] (XSD-5.3 Class_PJ.xsd, Domaine annotation)",
    on="pj",
)
def pj_domain(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """RefCompta/Domaine is one of the domains Hélios integrates PJ for."""
    _content(record, facts)
    for domaine in record.element.iterfind("RefCompta/Domaine"):
        if (domaine.get("V") or "") not in _DOMAINS:
            yield record.finding(
                pj_domain.rule,  # type: ignore[attr-defined]
                domaine,
                value=domaine.get("V"),
                pj=_pj_id(record),
            )


@rule(
    "PES-PJ-007",
    title=("RefCompta sans Identifiant", "RefCompta without Identifiant"),
    message=(
        "Une RefCompta de la PJ {pj} n'a pas d'Identifiant (n° du mandat, du titre ou de la "
        "décision) : Hélios rejette la PJ.",
        "A RefCompta of attachment {pj} has no Identifiant (number of the mandat, titre or "
        "decision): Hélios rejects the attachment.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_PJ",
    rejects="pj",
    source="pes-rules §4.2 [DOC] (XSD-5.3 Class_PJ.xsd, Identifiant annotation)",
    on="pj",
)
def pj_refcompta_identifiant(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Every RefCompta carries an Identifiant (optional in the XSD, required by Hélios)."""
    _content(record, facts)
    for ref in record.element.iterfind("RefCompta"):
        if ref.find("Identifiant") is None:
            yield record.finding(
                pj_refcompta_identifiant.rule,  # type: ignore[attr-defined]
                ref,
                pj=_pj_id(record),
            )


@rule(
    "PES-PJ-010",
    title=("RefCompta manquante (TypePJ 012 ou 013)", "RefCompta missing (TypePJ 012 or 013)"),
    message=(
        "La PJ {pj} est de TypePJ {value} (CFU) : elle doit porter une RefCompta.",
        "Attachment {pj} has TypePJ {value} (CFU): it must carry a RefCompta.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_PJ",
    rejects="pj",
    source="pes-rules §4.2; XSD-5.3 Class_PJ.xsd (RefCompta annotation) [DOC]",
    on="pj",
)
def pj_cfu_refcompta(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """A PJ of TypePJ 012 or 013 (CFU states) has at least one RefCompta."""
    _content(record, facts)
    typepj = record.element.find("TypePJ")
    if typepj is None or typepj.get("V") not in _NEEDS_REFCOMPTA:
        return
    if record.element.find("RefCompta") is None:
        yield record.finding(
            pj_cfu_refcompta.rule,  # type: ignore[attr-defined]
            typepj,
            value=typepj.get("V"),
            pj=_pj_id(record),
        )


# -- references from pieces and lines --------------------------------------------------------

_ANY_REF = probe("boolean(Piece//PJRef)")
_IDPCE = probe("BlocPiece/InfoPce/IdPce/@V | BlocPiece/IdPce/@V", smart_strings=False)


@dataclass
class _Refs:
    """PJRef noted across the flow: (IdUnique, location) per support kind."""

    electronic: list[tuple[str, Location]] = field(default_factory=list)
    """Support 01, located at their IdUnique."""
    physical: list[tuple[str, str, Location]] = field(default_factory=list)
    """Support 02/03 (support, IdUnique, location of Support)."""
    seen: set[str] = field(default_factory=set)
    """Bordereau record XPaths already read."""


def _note_refs(record: Record, facts: FlowFacts) -> list[tuple[Element, str | None]]:
    """Note the bordereau's PJRef for the end of the flow; return them with their IdPce."""
    refs = facts.state(_REFS_KEY, _Refs)
    found: list[tuple[Element, str | None]] = []
    pieces = record.element.iterfind("Piece") if fetch(record, _ANY_REF) else ()
    for piece in pieces:
        pjrefs = list(piece.iter("PJRef"))
        if not pjrefs:
            continue
        ids = _IDPCE(piece)
        idpce = str(ids[0]) if ids else None
        found.extend((ref, idpce) for ref in pjrefs)
    if record.xpath in refs.seen:
        return found
    refs.seen.add(record.xpath)
    for ref, idpce in found:
        support, identifier = ref.find("Support"), ref.find("IdUnique")
        if support is None or identifier is None or not identifier.get("V"):
            continue
        value = identifier.get("V") or ""
        if support.get("V") == "01":
            refs.electronic.append((value, record.locate(identifier, piece=idpce)))
        else:
            kind = support.get("V") or ""
            refs.physical.append((kind, value, record.locate(support, piece=idpce)))
    return found


@rule(
    "PES-PJ-012",
    title=(
        "TypePJ d'une PJRef incohérent avec la pièce",
        "PJRef TypePJ inconsistent with its piece",
    ),
    message=(
        "La PJRef {ref} d'une pièce de {domain} est de TypePJ {value}, un type de PJ qui ne "
        "s'emploie pas en {domain}.",
        "PJRef {ref} of an {domain} piece has TypePJ {value}, a kind of attachment not used "
        "on the {domain} side.",
    ),
    severity=Severity.WARNING,
    scope=Scope.PIECE,
    ack=None,
    rejects="none",
    source="pes-rules §4.2 [IMPL] (TypePJ/Domaine table of Class_PJ.xsd applied to PJRef)",
    on="bordereau",
)
def pjref_type_domain(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """A PJRef's TypePJ suits the domain of its piece (dépense 01, recette 02)."""
    domain = _PIECE_DOMAIN.get(record.domain or "")
    for ref, idpce in _note_refs(record, facts):
        typepj = ref.find("TypePJ")
        if typepj is None or domain is None:
            continue
        allowed = _TYPE_DOMAINS.get(typepj.get("V") or "")
        if allowed is not None and domain not in allowed:
            yield record.finding(
                pjref_type_domain.rule,  # type: ignore[attr-defined]
                typepj,
                value=typepj.get("V"),
                piece=idpce,
                ref=_v(ref, "IdUnique"),
                domain=_DOMAIN_WORDS[record.lang == "en"][record.domain or ""],
            )


def _v(element: Element, path: str) -> str:
    found = element.find(path)
    return "?" if found is None else (found.get("V") or "?")


@rule(
    "PES-PJ-003",
    title=("PJRef vers une PJ absente du flux", "PJRef to an attachment not in the flow"),
    message=(
        "La pièce référence la PJ {value} (Support 01, électronique) mais aucune PJ du flux "
        "n'a cet IdUnique : elle doit être envoyée dans un flux PES_PJ séparé, sinon la "
        "référence reste sans pièce.",
        "The piece references attachment {value} (Support 01, electronic) but no attachment "
        "of the flow has this IdUnique: it must come in a separate PES_PJ flow, or the "
        "reference stays dangling.",
    ),
    severity=Severity.WARNING,
    scope=Scope.PIECE,
    ack="ERREUR_PJ",
    rejects="none",
    source="pes-rules §4.2 and §9 item 11 [IMPL] (unresolved Support 01 reference = warning)",
    on="flow",
)
def pjref_unresolved(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Each PJRef with Support 01 names a PJ of the flow (else the PJ must come separately)."""
    refs = facts.state(_REFS_KEY, _Refs)
    known: dict[str, Location] = facts.state(_PJ_KEY, dict)
    for value, location in refs.electronic:
        if value not in known:
            yield record.finding_at(
                pjref_unresolved.rule,  # type: ignore[attr-defined]
                location,
                value=value,
            )


@rule(
    "PES-PJ-008",
    title=(
        "PJ transmise pour une référence papier ou cdrom",
        "Attachment sent for a paper or CD reference",
    ),
    message=(
        "La PJ {ref} est transmise, mais la PJRef qui la référence (pièce {idpce}) a le "
        "Support {value} (papier ou cdrom/dvdrom), qui interdit un bloc PJ.",
        "Attachment {ref} is sent, but the PJRef naming it (piece {idpce}) has Support "
        "{value} (paper or CD/DVD), which forbids a PJ block.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_PJ",
    rejects="pj",
    source="pes-rules §4.2 [DOC] (XSD-5.3 Class_PJReference.xsd, Support annotation)",
    on="flow",
)
def pjref_physical_with_pj(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """A PJRef with Support 02 or 03 has no PJ block with its IdUnique in the flow."""
    refs = facts.state(_REFS_KEY, _Refs)
    known: dict[str, Location] = facts.state(_PJ_KEY, dict)
    for support, value, location in refs.physical:
        pj = known.get(value)
        if pj is not None:  # reported at the PJ, the one Hélios would reject
            yield pjref_physical_with_pj.rule.finding(  # type: ignore[attr-defined]
                record.lang,
                line=pj.line,
                xpath=pj.xpath,
                value=support,
                bordereau=location.bordereau,
                piece=location.piece,
                ref=value,
                idpce=location.piece or "?",
            )
