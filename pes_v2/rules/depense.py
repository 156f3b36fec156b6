"""Dépense coherence: code lists and triplets beyond the XSD."""

from __future__ import annotations
