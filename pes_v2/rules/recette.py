"""Recette coherence: code lists, triplets, ORMC keys."""

from __future__ import annotations
