"""Mutations for the signature checks."""

from __future__ import annotations

from .mutations import Mutation

EXTRA: tuple[Mutation, ...] = ()
"""Mutations added to :data:`pes_v2.testing.MUTATIONS`, after the core ones."""
