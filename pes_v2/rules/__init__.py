"""Business and structural rules, registered in one catalogue (see :mod:`.registry`)."""

from . import structure
from .registry import Rule, all_rules, get

__all__ = ["Rule", "all_rules", "get", "structure"]
