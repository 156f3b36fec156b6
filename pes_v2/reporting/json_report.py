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
            "path": outcome.path,
            "valid": False,
            "root": None,
            "flow": None,
            "prediction": None,
            "findings": [],
            "error": outcome.error,
            "internal_error": outcome.internal,
        }
    return {
        "path": outcome.path,
        "valid": report.valid,
        "root": report.flow.root,
        "flow": report.flow.as_dict(),
        "prediction": report.prediction.as_dict(),
        "findings": [finding.as_dict() for finding in report.findings],
    }


def report_document(outcomes: Sequence[FileOutcome], schemas: SchemaInfo) -> dict[str, Any]:
    """The report as a JSON-ready dictionary."""
    by_rule: Counter[str] = Counter()
    errors = warnings = 0
    for outcome in outcomes:
        for finding in outcome.report.findings if outcome.report else ():
            by_rule[finding.rule] += 1
            errors += finding.severity is Severity.ERROR
            warnings += finding.severity is Severity.WARNING
    return {
        "format": FORMAT,
        "version": VERSION,
        "tool": f"pes-v2 {__version__}",
        "schemas": schemas.as_dict(),
        "files": [_file_entry(outcome) for outcome in outcomes],
        "summary": {
            "files": len(outcomes),
            "valid": sum(1 for o in outcomes if o.report is not None and o.report.valid),
            "errors": errors,
            "warnings": warnings,
            "by_rule": dict(sorted(by_rule.items())),
        },
    }


def render_json(outcomes: Sequence[FileOutcome], schemas: SchemaInfo) -> str:
    """The JSON report as text (stable key order, UTF-8 characters kept)."""
    return json.dumps(report_document(outcomes, schemas), ensure_ascii=False, indent=2) + "\n"
