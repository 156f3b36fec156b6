"""The JSON report, format ``pes-v2/report`` version 1 (see docs/formats.md)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..batch import FileOutcome
from ..findings import SchemaInfo, Severity

FORMAT = "pes-v2/report"
VERSION = 1


def _file_entry(outcome: FileOutcome) -> dict[str, Any]:
    report = outcome.report
    if report is None:
        return {
            "path": outcome.shown,
            "valid": False,
            "root": None,
            "flow": None,
            "prediction": None,
            "signatures": [],
            "findings": [],
            "error": outcome.error,
            "internal_error": outcome.internal,
        }
    return {
        "path": outcome.shown,
        "valid": report.valid,
        "root": report.flow.root,
        "flow": report.flow.as_dict(),
        "prediction": report.prediction.as_dict(),
        "signatures": [status.as_dict() for status in report.signatures],
        "findings": [finding.as_dict() for finding in report.findings],
    }


def file_entry(outcome: FileOutcome) -> dict[str, Any]:
    """One file's object, as in ``files`` of the report."""
    return _file_entry(outcome)


def summary(outcomes: Sequence[FileOutcome]) -> dict[str, Any]:
    """The ``summary`` object of the report."""
    by_rule: Counter[str] = Counter()
    errors = warnings = 0
    for outcome in outcomes:
        for finding in outcome.report.findings if outcome.report else ():
            by_rule[finding.rule] += 1
            errors += finding.severity is Severity.ERROR
            warnings += finding.severity is Severity.WARNING
    return {
        "files": len(outcomes),
        "valid": sum(1 for o in outcomes if o.report is not None and o.report.valid),
        "errors": errors,
        "warnings": warnings,
        "by_rule": dict(sorted(by_rule.items())),
    }


def report_document(outcomes: Sequence[FileOutcome], schemas: SchemaInfo) -> dict[str, Any]:
    """The report as a JSON-ready dictionary."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "tool": f"pes-v2 {__version__}",
        "schemas": schemas.as_dict(),
        "files": [_file_entry(outcome) for outcome in outcomes],
        "summary": summary(outcomes),
    }


def render_json(outcomes: Sequence[FileOutcome], schemas: SchemaInfo) -> str:
    """The JSON report as text (stable key order, UTF-8 characters kept)."""
    return json.dumps(report_document(outcomes, schemas), ensure_ascii=False, indent=2) + "\n"


def render_jsonl_file(outcome: FileOutcome) -> str:
    """JSON Lines: one file's line, ``{"type": "file", …the file object of the report…}``."""
    line = {"type": "file", **_file_entry(outcome)}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"


def render_jsonl_summary(outcomes: Sequence[FileOutcome], schemas: SchemaInfo) -> str:
    """JSON Lines: the closing line, with the report's header fields and its summary."""
    line = {
        "type": "summary",
        "format": FORMAT,
        "version": VERSION,
        "tool": f"pes-v2 {__version__}",
        "schemas": schemas.as_dict(),
        "summary": summary(outcomes),
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"


def render_jsonl(outcomes: Sequence[FileOutcome], schemas: SchemaInfo) -> str:
    """The whole JSON Lines report (the CLI streams the same lines as files finish)."""
    return "".join(render_jsonl_file(o) for o in outcomes) + render_jsonl_summary(outcomes, schemas)
