"""Renderers: pure functions from validation outcomes to text or bytes, one per format.

Each format's module is imported when its renderer is first asked for, so that a command
writing text does not load the HTML and PES_ACQUIT writers (≈ 8 ms of its start-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .acquit import render_acquit
    from .html import render_html
    from .json_report import (
        render_json,
        render_jsonl,
        render_jsonl_file,
        render_jsonl_summary,
        report_document,
    )
    from .junit import render_junit
    from .sarif import render_sarif, sarif_document
    from .text import render_file_text, render_summary_text, render_text

FORMATS = ("text", "json", "jsonl", "junit", "sarif", "html", "acquit")

_HOMES = {
    "render_acquit": "acquit",
    "render_html": "html",
    "render_json": "json_report",
    "render_jsonl": "json_report",
    "render_jsonl_file": "json_report",
    "render_jsonl_summary": "json_report",
    "report_document": "json_report",
    "render_junit": "junit",
    "render_sarif": "sarif",
    "sarif_document": "sarif",
    "render_file_text": "text",
    "render_summary_text": "text",
    "render_text": "text",
}
"""Where each renderer lives."""

__getattr__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "FORMATS",
    "render_acquit",
    "render_file_text",
    "render_html",
    "render_json",
    "render_jsonl",
    "render_jsonl_file",
    "render_jsonl_summary",
    "render_junit",
    "render_sarif",
    "render_summary_text",
    "render_text",
    "report_document",
    "sarif_document",
]
