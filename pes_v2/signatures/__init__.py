"""Verification of the XAdES signatures of a PES flow.

- :mod:`.verify`: one ``ds:Signature`` against the element it must sign (its parent);
- :mod:`.status`: the verdict in ETSI EN 319 102-1 words (:class:`SignatureStatus`);
- :mod:`.certs`: certificate facts and offline chain building (:func:`verify_chain`);
- :mod:`.document`: every signature of a document held in memory;
- :mod:`.algorithms`: algorithm URIs and the DGFiP policy constants.

The streaming validator runs these through the ``PES-SIG-*`` rules
(:mod:`pes_v2.rules.signature`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .certs import ChainResult, verify_chain
    from .document import DocumentSignature, verify_bytes, verify_tree
    from .status import Indication, SignatureStatus, SubIndication
    from .verify import Verification, verify_signature

_HOMES = {
    "ChainResult": "certs",
    "verify_chain": "certs",
    "DocumentSignature": "document",
    "verify_bytes": "document",
    "verify_tree": "document",
    "Indication": "status",
    "SignatureStatus": "status",
    "SubIndication": "status",
    "Verification": "verify",
    "verify_signature": "verify",
}
"""Where each public name lives: loaded on first use, so that flows without signatures
never import ``cryptography``."""


__getattr__ = lazy_exports(__name__, _HOMES)


__all__ = [
    "ChainResult",
    "DocumentSignature",
    "Indication",
    "SignatureStatus",
    "SubIndication",
    "Verification",
    "verify_bytes",
    "verify_chain",
    "verify_signature",
    "verify_tree",
]
