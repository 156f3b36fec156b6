"""Renderers: pure functions from validation outcomes to text or bytes, one per format."""

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
