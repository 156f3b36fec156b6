"""Mutations for the ORMC keys (Cle1, Cle2) of recette pieces."""

from __future__ import annotations

from .mutations import Mutation

EXTRA: list[Mutation] = []
