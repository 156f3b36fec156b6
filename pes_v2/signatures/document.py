"""Verification of every signature of a whole document held in memory (DOM).

The streaming validator verifies bordereau signatures record by record; this module
verifies a parsed document at once, including the digest of a global signature. It is
what a second, DOM read of a small flow would use, and what the interoperability tests
compare with ``xmlsec1``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..xmlio import parse_document
from .verify import Verification, verify_signature

DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
MAX_DOM_BYTES = 64 * 1024 * 1024
"""Largest document :func:`verify_bytes` parses whole."""


@dataclass(frozen=True)
class DocumentSignature:
    """One signature of a document and its verification."""

    xpath: str
    target: str
    verification: Verification
    id_count: int
    """How many elements carry the Id its first reference designates (1 when sound)."""
    index: int
    """Position among all the document's ds:Signature elements (1-based, document order)."""


def verify_tree(root: Any) -> list[DocumentSignature]:
    """Verify every ds:Signature that is a child of a Bordereau or of the root."""
    ids = Counter(str(i) for i in root.xpath("//@Id"))
    tree = root.getroottree()
    out: list[DocumentSignature] = []
    for index, sig in enumerate(root.iter(DS_SIGNATURE), 1):
        parent = sig.getparent()
        if parent is root:
            target = "flux"
        elif parent is not None and parent.tag == "Bordereau":
            target = "bordereau"
        else:
            continue
        v = verify_signature(sig, parent, target=target)
        count = ids[v.referenced_id] if v.referenced_id else 0
        out.append(DocumentSignature(tree.getpath(sig), target, v, count, index))
    return out


def verify_bytes(data: bytes) -> list[DocumentSignature]:
    """Parse ``data`` (hardened: no DTD, no entities, no network) and verify it."""
    if len(data) > MAX_DOM_BYTES:
        raise ValueError(f"document of {len(data)} bytes (limit {MAX_DOM_BYTES})")
    return verify_tree(parse_document(data))
