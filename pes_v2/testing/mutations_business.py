"""Mutations for the business rules of dépense, recette, tiers, bank details, header,
uniqueness and PJ that need more than a value edit (added, removed or moved elements)."""

from __future__ import annotations

from .mutations import Mutation

EXTRA: list[Mutation] = []
