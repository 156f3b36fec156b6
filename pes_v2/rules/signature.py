"""Signature checks: placement, XMLDSig core, XAdES properties, DGFiP policy, certificates."""

from __future__ import annotations
