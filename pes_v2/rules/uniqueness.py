"""Uniqueness of bordereau, piece, line and PJ identifiers."""

from __future__ import annotations
