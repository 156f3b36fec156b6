"""Renderers: pure functions from validation outcomes to text or bytes, one per format."""

from .json_report import render_json, report_document
from .text import render_text

FORMATS = ("text", "json")

__all__ = ["FORMATS", "render_json", "render_text", "report_document"]
