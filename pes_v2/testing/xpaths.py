"""Absolute XPaths with a position on every step, as used in findings and mutations."""

from __future__ import annotations

from typing import Any

from lxml import etree

from .builder import NS

__all__ = ["NAMESPACES", "resolve", "xpath_of"]

NAMESPACES = {
    "n": NS,
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xad": "http://uri.etsi.org/01903/v1.1.1#",
}
"""Prefixes used in the XPaths: ``n`` for the PES_Aller namespace, ``ds``, ``xad``."""

_PREFIX = {uri: prefix for prefix, uri in NAMESPACES.items()}


def _step(el: Any) -> str:
    q = etree.QName(el)
    return f"{_PREFIX[q.namespace]}:{q.localname}" if q.namespace else q.localname


def xpath_of(el: Any) -> str:
    """XPath of ``el``: ``/n:PES_Aller/PES_DepenseAller[1]/Bordereau[2]/…`` (``[k]`` on
    every step but the root)."""
    steps: list[str] = []
    parent = el.getparent()
    while parent is not None:
        pos = 1 + sum(1 for _ in el.itersiblings(el.tag, preceding=True))
        steps.append(f"{_step(el)}[{pos}]")
        el, parent = parent, parent.getparent()
    steps.append(_step(el))
    return "/" + "/".join(reversed(steps))


def resolve(root: Any, xpath: str) -> Any:
    """Return the single element at ``xpath`` in the tree of ``root`` (``LookupError`` else)."""
    found = root.getroottree().xpath(xpath, namespaces=NAMESPACES)
    if not isinstance(found, list) or len(found) != 1:
        raise LookupError(f"{xpath} matches {len(found) if isinstance(found, list) else '?'}")
    return found[0]
