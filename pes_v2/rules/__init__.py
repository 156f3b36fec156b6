"""Business and structural rules, registered in one catalogue (see :mod:`.registry`).

Each domain has its own module; :func:`load` imports them all so that the catalogue is
complete.  Modules are listed here, explicitly, rather than discovered.
"""

from __future__ import annotations

import importlib

from .registry import Rule, all_rules, checks_on, get

RULE_MODULES = (
    "structure",
    "flow",
    "header",
    "tiers",
    "bank",
    "totals",
    "uniqueness",
    "depense",
    "recette",
    "pj",
    "lint",
    "signature",
    "batch",
)


def load() -> None:
    """Import every rule module (idempotent)."""
    for name in RULE_MODULES:
        importlib.import_module(f"{__name__}.{name}")


__all__ = ["RULE_MODULES", "Rule", "all_rules", "checks_on", "get", "load"]
