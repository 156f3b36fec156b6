"""Tiers (payees and debtors): categories, identifiers and their keys, addresses."""

from __future__ import annotations
