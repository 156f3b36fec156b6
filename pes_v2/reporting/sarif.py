"""SARIF 2.1.0: the rule catalogue as the driver's rules, each finding a result with its line."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..batch import STDIN, FileOutcome
from ..findings import Finding
from ..rules import all_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> str:
    if path == STDIN:
        return "stdin"
    # The file name's own bytes, percent-encoded (a name need not be UTF-8).
    return quote(os.fsencode(PurePath(path).as_posix()), safe="/:")


def _result(finding: Finding, uri: str, index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
    if finding.line is not None and finding.line >= 1:
        region: dict[str, int] = {"startLine": finding.line}
        if finding.column is not None and finding.column >= 1:
            region["startColumn"] = finding.column
        location["physicalLocation"]["region"] = region
    if finding.xpath:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.xpath, "kind": "element"}]
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": _LEVELS[finding.severity.value],
        "message": {"text": finding.message},
        "locations": [location],
        "properties": {
            "scope": finding.scope.value,
            "ack": finding.ack,
            "value": finding.value,
            "bordereau": finding.bordereau,
            "piece": finding.piece,
            "ligne": finding.ligne,
        },
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    return result


def sarif_document(
    outcomes: Sequence[FileOutcome], *, profile: str = "default", lang: str = "fr"
) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dictionary (one run)."""
    rules = [r for r in all_rules() if profile in r.profiles]
    index = {r.id: i for i, r in enumerate(rules)}
    descriptors = [
        {
            "id": r.id,
            "name": r.id.replace("-", ""),
            "shortDescription": {"text": r.title(lang)},
            "fullDescription": {"text": f"{r.title_fr} / {r.title_en}"},
            "defaultConfiguration": {"level": _LEVELS[r.severity.value]},
            "properties": {
                "scope": r.scope.value,
                "ack": r.ack,
                "rejects": r.rejects,
                "source": r.source,
                "profiles": list(r.profiles),
            },
        }
        for r in rules
    ]
    results: list[dict[str, Any]] = []
    artifacts: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for outcome in outcomes:
        uri = _uri(outcome.path)
        artifacts.append({"location": {"uri": uri}})
        if outcome.report is None:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"{outcome.shown}: {outcome.error}"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
                }
            )
            continue
        results.extend(_result(f, uri, index) for f in outcome.report.findings)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pes-v2",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": descriptors,
                    }
                },
                "artifacts": artifacts,
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": not any(o.internal for o in outcomes),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def render_sarif(
    outcomes: Sequence[FileOutcome], *, profile: str = "default", lang: str = "fr"
) -> str:
    """The SARIF log as text."""
    document = sarif_document(outcomes, profile=profile, lang=lang)
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
