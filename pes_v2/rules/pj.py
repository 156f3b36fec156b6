"""Attachments (PES_PJ) and their references."""

from __future__ import annotations
