"""What rules see: one record (a header, a Bordereau, a PJ…) at a time, with its location."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .findings import Finding
from .rules.registry import Rule
from .xmlio import NS_PREFIXES, Element


def value_of(element: Element | None, path: str) -> str | None:
    """The ``V`` attribute of the first element at ``path`` below ``element``."""
    if element is None:
        return None
    found = element.find(path)
    return None if found is None else found.get("V")


def relative_xpath(record: Element, record_xpath: str, element: Element) -> str:
    """Absolute XPath of ``element``, a descendant of ``record`` (or ``record`` itself)."""
    steps: list[str] = []
    current: Element | None = element
    while current is not None and current is not record:
        parent = current.getparent()
        name = _step_name(current)
        position = 1
        if parent is not None:
            tag = current.tag
            for sibling in current.itersiblings(preceding=True):
                if sibling.tag == tag:
                    position += 1
        steps.append(f"{name}[{position}]")
        current = parent
    return record_xpath + "".join("/" + step for step in reversed(steps))


def _step_name(element: Element) -> str:
    qname = etree.QName(element)
    if qname.namespace is None:
        return str(qname.localname)
    prefix = NS_PREFIXES.get(qname.namespace) or element.prefix or "ns"
    return f"{prefix}:{qname.localname}"


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

    def xpath_of(self, element: Element) -> str:
        return relative_xpath(self.element, self.xpath, element)

    def finding(
        self,
        rule: Rule,
        element: Element | None = None,
        *,
        value: str | None = None,
        piece: str | None = None,
        **params: Any,
    ) -> Finding:
        """A finding of ``rule`` located at ``element`` (the record itself by default)."""
        target = self.element if element is None else element
        return rule.finding(
            self.lang,
            line=target.sourceline,
            xpath=self.xpath_of(target),
            value=value,
            bordereau=self.bordereau,
            piece=piece,
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
    content: int = 0
    """Records Hélios would integrate: bordereaux, PJ, marché and facture content."""
