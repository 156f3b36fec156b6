"""Vendor lint (strict profile): silent truncation, characters outside ISO-8859-1.

Neither is a documented Hélios rejection; both are signs of a generator problem that the
treasurer sees later (a name cut in the middle, a ``?`` in place of a character).

- *At maximum length*: a free-text value (``Base_TexteN`` of at least 20 characters that is
  not an identifier) exactly N characters long is very often a longer text cut to fit.
  Maximum lengths come from the embedded schema files, read once per process.
- *Outside ISO-8859-1*: Hélios works in ISO-8859-1; a character it cannot hold (``€``,
  ``œ``, typographic quotes and dashes…) is lost whatever the file's declared encoding
  (a UTF-8 file, or a character reference in an ISO-8859-1 file).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from lxml import etree

from ..bundles import embedded_dir
from ..findings import Finding, Scope, Severity
from ..records import FlowFacts, Record
from ..rules.registry import Rule
from ..xmlio import Element, XPath
from .registry import rule

XS = "{http://www.w3.org/2001/XMLSchema}"
_TEXTE = re.compile(r"(?:\w+:)?Base_Texte(\d+)$")
_IDENTIFIER = re.compile(r"^(?:Id|Num|Ref|Cod|Typ)|^Facture$")
MIN_LENGTH = 20
"""Shorter text types are codes and identifiers, often full by nature."""
_ALL_V = XPath(".//@V", smart_strings=False)
_WITH_V = XPath(".//*[@V]")
_IDPCE = XPath("BlocPiece/InfoPce/IdPce/@V | BlocPiece/IdPce/@V", smart_strings=False)


@functools.lru_cache(maxsize=1)
def max_lengths() -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Free-text maximum lengths from the embedded schemas: by element name when the name
    has one length everywhere, else by (parent element name, element name)."""
    children: dict[str, list[tuple[str, int]]] = {}
    """complexType name, or ``@element`` for an anonymous type → free-text children."""
    parents: dict[str, set[str]] = {}
    """complexType name → names of the elements of that type."""
    bases: dict[str, str] = {}
    for path in sorted(embedded_dir().glob("*.xsd")):
        root = etree.parse(str(path)).getroot()
        for ctype in root.iter(f"{XS}complexType"):
            name = ctype.get("name")
            if name is None:
                owner = ctype.getparent()
                if owner is None or owner.tag != f"{XS}element":
                    continue
                name = "@" + (owner.get("name") or "")
                parents.setdefault(name, set()).add(owner.get("name") or "")
            extension = ctype.find(f"{XS}complexContent/{XS}extension")
            if extension is not None:
                bases[name] = (extension.get("base") or "").split(":")[-1]
            for element in ctype.iter(f"{XS}element"):
                if element.getparent() is not None and _owner(element) is not ctype:
                    continue
                found = _TEXTE.match(element.get("type") or "")
                child = element.get("name") or ""
                if found and int(found.group(1)) >= MIN_LENGTH and not _IDENTIFIER.search(child):
                    children.setdefault(name, []).append((child, int(found.group(1))))
        for element in root.iter(f"{XS}element"):
            if element.get("type") and element.get("name"):
                parents.setdefault(element.get("type", "").split(":")[-1], set()).add(
                    element.get("name", "")
                )
    pairs: dict[tuple[str, str], int] = {}
    for ctype, kids in children.items():
        for owner in _with_derived(ctype, bases):
            for parent in parents.get(owner, ()):
                for child, length in kids:
                    pairs[(parent, child)] = length
    lengths: dict[str, set[int]] = {}
    for (_parent, child), length in pairs.items():
        lengths.setdefault(child, set()).add(length)
    by_name = {child: next(iter(found)) for child, found in lengths.items() if len(found) == 1}
    return by_name, {key: n for key, n in pairs.items() if key[1] not in by_name}


def _owner(element: Element) -> Element | None:
    """The complexType an element declaration belongs to."""
    current = element.getparent()
    while current is not None and current.tag != f"{XS}complexType":
        current = current.getparent()
    return current


def _with_derived(ctype: str, bases: dict[str, str]) -> set[str]:
    """``ctype`` and the types that extend it (their elements inherit its children)."""
    out = {ctype}
    changed = True
    while changed:
        changed = False
        for derived, base in bases.items():
            if base in out and derived not in out:
                out.add(derived)
                changed = True
    return out


def _piece_of(element: Element) -> str | None:
    """The IdPce of the piece holding ``element``, if any (only computed for findings)."""
    for ancestor in element.iterancestors("Piece"):
        ids = _IDPCE(ancestor)
        return str(ids[0]) if ids else None
    return None


def _at_max_length(this: Rule, record: Record) -> Iterator[Finding]:
    by_name, pairs = max_lengths()
    names = set(by_name) | {child for _parent, child in pairs}
    for element in record.element.iter(*names):
        value = element.get("V")
        if not value:
            continue
        tag = element.tag
        limit = by_name.get(tag)
        if limit is None:
            parent = element.getparent()
            limit = pairs.get((parent.tag if parent is not None else "", tag))
        if limit is not None and len(value) == limit:
            yield record.finding(
                this, element, value=value, piece=_piece_of(element), name=tag, limit=limit
            )


def _outside_latin1(this: Rule, record: Record) -> Iterator[Finding]:
    values = _ALL_V(record.element)
    joined = "".join(values)
    if joined.isascii() or _latin1(joined):
        return
    for element in _WITH_V(record.element):
        value = element.get("V") or ""
        if value.isascii() or _latin1(value):
            continue
        bad = "".join(dict.fromkeys(ch for ch in value if ord(ch) > 0xFF))
        yield record.finding(
            this,
            element,
            value=value,
            piece=_piece_of(element),
            name=element.tag,
            chars=" ".join(f"{ch} (U+{ord(ch):04X})" for ch in bad),
        )


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


_MAX_TITLE = ("Texte à sa longueur maximale", "Text at its maximum length")
_MAX_MESSAGE = (
    "{name} fait exactement {limit} caractères, sa longueur maximale : le texte a "
    "peut-être été tronqué par le logiciel émetteur.",
    "{name} is exactly {limit} characters long, its maximum: the text may have been "
    "cut by the generating software.",
)
_MAX_SOURCE = "pes-rules §1.9 [IMPL] (Base_TexteN maxLength; vendor lint)"
_LATIN_TITLE = ("Caractère hors ISO-8859-1", "Character outside ISO-8859-1")
_LATIN_MESSAGE = (
    "{name} contient {chars}, que l'ISO-8859-1 d'Hélios ne sait pas représenter.",
    "{name} holds {chars}, which Hélios's ISO-8859-1 cannot represent.",
)
_LATIN_SOURCE = "pes-rules §1.3 and §7 (free text) [IMPL]"
_STRICT = ("strict",)


@rule(
    "PES-LNT-001",
    title=_MAX_TITLE,
    message=_MAX_MESSAGE,
    severity=Severity.WARNING,
    scope=Scope.BORDEREAU,
    ack=None,
    rejects="none",
    source=_MAX_SOURCE,
    profiles=_STRICT,
    on="bordereau",
)
def bordereau_at_max_length(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """No free text of a bordereau is exactly at its maximum length (a sign of truncation)."""
    return _at_max_length(bordereau_at_max_length.rule, record)  # type: ignore[attr-defined]


@rule(
    "PES-LNT-002",
    title=_MAX_TITLE,
    message=_MAX_MESSAGE,
    severity=Severity.WARNING,
    scope=Scope.PJ,
    ack=None,
    rejects="none",
    source=_MAX_SOURCE,
    profiles=_STRICT,
    on="pj",
)
def pj_at_max_length(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """No free text of a PJ (Description, NomPJ) is exactly at its maximum length."""
    return _at_max_length(pj_at_max_length.rule, record)  # type: ignore[attr-defined]


@rule(
    "PES-LNT-003",
    title=_MAX_TITLE,
    message=_MAX_MESSAGE,
    severity=Severity.WARNING,
    scope=Scope.FLUX,
    ack=None,
    rejects="none",
    source=_MAX_SOURCE,
    profiles=_STRICT,
    on="header",
)
def header_at_max_length(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """No free text of EnTetePES (LibellePoste, LibelleColBud) is at its maximum length."""
    return _at_max_length(header_at_max_length.rule, record)  # type: ignore[attr-defined]


@rule(
    "PES-LNT-004",
    title=_LATIN_TITLE,
    message=_LATIN_MESSAGE,
    severity=Severity.WARNING,
    scope=Scope.BORDEREAU,
    ack=None,
    rejects="none",
    source=_LATIN_SOURCE,
    profiles=_STRICT,
    on="bordereau",
)
def bordereau_outside_latin1(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Every value of a bordereau can be written in ISO-8859-1."""
    return _outside_latin1(bordereau_outside_latin1.rule, record)  # type: ignore[attr-defined]


@rule(
    "PES-LNT-005",
    title=_LATIN_TITLE,
    message=_LATIN_MESSAGE,
    severity=Severity.WARNING,
    scope=Scope.PJ,
    ack=None,
    rejects="none",
    source=_LATIN_SOURCE,
    profiles=_STRICT,
    on="pj",
)
def pj_outside_latin1(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Every value of a PJ (NomPJ, Description…) can be written in ISO-8859-1."""
    return _outside_latin1(pj_outside_latin1.rule, record)  # type: ignore[attr-defined]


@rule(
    "PES-LNT-006",
    title=_LATIN_TITLE,
    message=_LATIN_MESSAGE,
    severity=Severity.WARNING,
    scope=Scope.FLUX,
    ack=None,
    rejects="none",
    source=_LATIN_SOURCE,
    profiles=_STRICT,
    on="header",
)
def header_outside_latin1(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Every value of EnTetePES can be written in ISO-8859-1."""
    return _outside_latin1(header_outside_latin1.rule, record)  # type: ignore[attr-defined]
