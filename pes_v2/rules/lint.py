"""Vendor lint (strict profile): silent truncation, characters outside ISO-8859-1."""

from __future__ import annotations
