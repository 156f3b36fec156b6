"""What rules see: one record (a header, a Bordereau, a PJ…) at a time, with its location."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeVar

from .findings import Finding
from .flowfacts import BordereauFacts, PjFacts
from .limits import DEFAULT_LIMITS, Limits
from .rules.registry import Rule
from .xmlio import Element, line_in_flow, step_name

T = TypeVar("T")


def value_of(element: Element | None, path: str) -> str | None:
    """The ``V`` attribute of the first element at ``path`` below ``element``."""
    if element is None:
        return None
    # A child through iterchildren: half the cost of find's path machinery.
    found = element.find(path) if "/" in path else next(element.iterchildren(path), None)
    return None if found is None else found.get("V")


_XSD_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}


def xsd_boolean(value: str | None) -> bool | None:
    """An xs:boolean value (``1``, ``true``, ``0``, ``false``, whitespace collapsed), or
    None when absent or not one (the XSD reports those)."""
    return None if value is None else _XSD_BOOLEANS.get(value.strip(" \t\r\n"))


_IDLIGNE_PATHS = ("BlocLignePiece/InfoLignePce/IdLigne", "BlocLignePiece/InfoLignePiece/IdLigne")


def idligne_around(element: Element, record: Element) -> str | None:
    """IdLigne of the LigneDePiece holding ``element`` (or being it), below ``record``."""
    current: Element | None = element
    while current is not None and current is not record:
        if current.tag == "LigneDePiece":
            for path in _IDLIGNE_PATHS:
                found = value_of(current, path)
                if found is not None:
                    return found.strip()
            return None
        current = current.getparent()
    return None


def relative_xpath(record: Element, record_xpath: str, element: Element) -> str:
    """Absolute XPath of ``element``, a descendant of ``record`` (or ``record`` itself)."""
    steps: list[str] = []
    current: Element | None = element
    while current is not None and current is not record:
        parent = current.getparent()
        name = step_name(current)
        position = 1
        if parent is not None:
            tag = current.tag
            for sibling in current.itersiblings(preceding=True):
                if sibling.tag == tag:
                    position += 1
        steps.append(f"{name}[{position}]")
        current = parent
    return record_xpath + "".join("/" + step for step in reversed(steps))


@dataclass(frozen=True)
class Location:
    """Where an element was, kept after its record has been released."""

    line: int | None
    xpath: str
    bordereau: str | None = None
    piece: str | None = None


@dataclass
class Record:
    """One element handed to the rules whole, with where it sits in the flow."""

    kind: str
    """``envelope``, ``header``, ``domain_header``, ``bordereau``, ``pj``, ``flow``…"""
    element: Element
    xpath: str
    domain: str | None
    lang: str
    bordereau: str | None = None
    line_offset: int = 0
    """Added to the ``sourceline`` of the record's elements (a record parsed on its own
    numbers its lines from 1)."""
    memo: dict[str, Any] = field(default_factory=dict, repr=False)
    """What the rules compute once about this record and share (views, probe results); it
    goes with the record, so no rule can see another record's."""

    def memoized(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, once per record under ``key``."""
        memo = self.memo
        if key in memo:
            return memo[key]  # type: ignore[no-any-return]
        value = memo[key] = compute()
        return value

    def xpath_of(self, element: Element) -> str:
        return relative_xpath(self.element, self.xpath, element)

    def line_of(self, element: Element) -> int | None:
        """The line ``element`` (of this record) starts on in the flow."""
        return line_in_flow(element, self.line_offset)

    def locate(self, element: Element | None = None, *, piece: str | None = None) -> Location:
        """The location of ``element`` (the record itself by default), to report it later."""
        target = self.element if element is None else element
        return Location(self.line_of(target), self.xpath_of(target), self.bordereau, piece)

    def finding(
        self,
        rule: Rule,
        element: Element | None = None,
        *,
        value: str | None = None,
        piece: str | None = None,
        **params: Any,
    ) -> Finding:
        """A finding of ``rule`` located at ``element`` (the record itself by default); one
        inside a LigneDePiece carries that line's IdLigne."""
        target = self.element if element is None else element
        return rule.finding(
            self.lang,
            line=self.line_of(target),
            xpath=self.xpath_of(target),
            value=value,
            bordereau=self.bordereau,
            piece=piece,
            ligne=idligne_around(target, self.element),
            **params,
        )

    def finding_at(
        self, rule: Rule, location: Location, *, value: str | None = None, **params: Any
    ) -> Finding:
        """A finding of ``rule`` at a location noted earlier (for cross-record rules)."""
        return rule.finding(
            self.lang,
            line=location.line,
            xpath=location.xpath,
            value=value,
            bordereau=location.bordereau,
            piece=location.piece,
            **params,
        )


@dataclass
class FlowFacts:
    """What the pass has learnt about the whole flow so far (for flow-level rules)."""

    root: str | None = None
    root_line: int | None = None
    root_xpath: str = "/"
    header: dict[str, str] = field(default_factory=dict)
    nom_fic: str | None = None
    domains: list[str] = field(default_factory=list)
    bordereaux: int = 0
    pieces: int = 0
    pjs: int = 0
    signatures: int = 0
    dte_str: str | None = None
    nom_fic_line: int | None = None
    bordereau_list: list[BordereauFacts] = field(default_factory=list)
    pj_list: list[PjFacts] = field(default_factory=list)
    content: int = 0
    """Records Hélios would integrate: bordereaux, PJ, marché and facture content."""
    limits: Limits = DEFAULT_LIMITS
    """The limits of this validation (rules read their own, e.g. the PJ decompression cap)."""
    reopen: Callable[[], BinaryIO] | None = None
    """Reads the source again from its start (paths and bytes), for checks that need the
    whole document at once; None for a caller's stream."""
    size: int | None = None
    context: Mapping[str, Any] | None = None
    """Hélios-side facts the user gave (``--context``), or None."""
    memo: dict[str, Any] = field(default_factory=dict)
    """Per-rule state kept across records (ids seen, references to resolve…), keyed by rule
    id or rule-module name.  Rules keep only what they need: memory follows the number of
    ids, never the size of the file."""

    def state(self, key: str, factory: Callable[[], T]) -> T:
        """The state kept under ``key``, created by ``factory`` the first time."""
        if key not in self.memo:
            self.memo[key] = factory()
        return self.memo[key]  # type: ignore[no-any-return]
