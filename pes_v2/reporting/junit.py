"""JUnit XML: one testsuite per file, one testcase per rule checked, findings as failures."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from ..batch import FileOutcome
from ..findings import Finding, Severity
from ..rules import all_rules

_MAX_MESSAGE = 300


def _finding_text(finding: Finding) -> str:
    where = f"line {finding.line}" if finding.line is not None else "-"
    parts = [f"{where}  {finding.severity.value}  {finding.message}"]
    if finding.xpath:
        parts.append(f"    {finding.xpath}")
    if finding.value is not None:
        parts.append(f"    value: {finding.value!r}")
    return "\n".join(parts)


def render_junit(
    outcomes: Sequence[FileOutcome],
    *,
    profile: str = "default",
    lang: str = "fr",
    fail_on: Severity = Severity.ERROR,
) -> str:
    """The JUnit report; a finding reaching ``fail_on`` is a ``failure`` of its rule's testcase.

    Rules reported only as "not checked" (info, no context file) are ``skipped``; lower
    findings go to the testcase's ``system-out``.  A file that could not be validated is one
    ``error`` testcase.
    """
    catalogue = [r for r in all_rules() if profile in r.profiles]
    suites = etree.Element("testsuites", name="pes-v2")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for outcome in outcomes:
        suite = etree.SubElement(suites, "testsuite", name=outcome.shown)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        report = outcome.report
        if report is None:
            case = etree.SubElement(suite, "testcase", classname=outcome.shown, name="validation")
            error = etree.SubElement(
                case,
                "error",
                message=(outcome.error or "")[:_MAX_MESSAGE],
                type="internal" if outcome.internal else "unreadable",
            )
            error.text = outcome.error
            counts["tests"] = counts["errors"] = 1
        else:
            by_rule: dict[str, list[Finding]] = {}
            for finding in report.findings:
                by_rule.setdefault(finding.rule, []).append(finding)
            titles = {r.id: r.title(lang) for r in catalogue}
            for rule_id in by_rule:
                titles.setdefault(rule_id, rule_id)
            for rule_id in sorted(titles):
                found = by_rule.get(rule_id, [])
                case = etree.SubElement(
                    suite,
                    "testcase",
                    classname=outcome.shown,
                    name=f"{rule_id} {titles[rule_id]}",
                )
                counts["tests"] += 1
                failing = [f for f in found if f.severity.rank >= fail_on.rank]
                if failing:
                    counts["failures"] += 1
                    failure = etree.SubElement(
                        case,
                        "failure",
                        message=failing[0].message[:_MAX_MESSAGE],
                        type=failing[0].ack or failing[0].severity.value,
                    )
                    failure.text = "\n".join(_finding_text(f) for f in failing)
                elif (
                    found
                    and all(f.severity is Severity.INFO for f in found)
                    and any(f.xpath is None and f.line is None for f in found)
                ):
                    counts["skipped"] += 1
                    etree.SubElement(case, "skipped", message=found[0].message[:_MAX_MESSAGE])
                elif found:
                    out = etree.SubElement(case, "system-out")
                    out.text = "\n".join(_finding_text(f) for f in found)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    text: bytes = etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return text.decode("utf-8")
