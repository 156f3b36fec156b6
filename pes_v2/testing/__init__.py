"""Public helpers for tests: flow builder, mutation catalogue, hypothesis strategies.

>>> from pes_v2.testing import FlowSpec, build_flow, mutate
>>> data = build_flow(FlowSpec(seed=1, depense=1, pieces=2, lines=1))
>>> mutate(data, "totals.nbrpce_wrong").rule
'PES-TOT-002'
"""

from __future__ import annotations

from .builder import NS, FlowSpec, Signer, build_flow, write_flow
from .mutations import MUTATIONS, Mutation, MutationResult, mutate
from .signing import DgfipSigner, sign_flow
from .xpaths import NAMESPACES, resolve, xpath_of

__all__ = [
    "MUTATIONS",
    "NAMESPACES",
    "NS",
    "DgfipSigner",
    "FlowSpec",
    "Mutation",
    "MutationResult",
    "Signer",
    "build_flow",
    "mutate",
    "resolve",
    "sign_flow",
    "write_flow",
    "xpath_of",
]
