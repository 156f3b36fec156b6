"""Mutations for the header, tiers and bank-detail rules."""

from __future__ import annotations

from .mutations import Mutation

EXTRA: tuple[Mutation, ...] = ()
"""Mutations added to :data:`pes_v2.testing.MUTATIONS`, after the core ones."""
