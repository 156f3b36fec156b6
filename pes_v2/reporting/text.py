"""The text report, for a person at a terminal (French by default)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..batch import FileOutcome
from ..findings import Finding, Severity

Style = Callable[..., str]

_WORDS = {
    "fr": {
        "valid": "valide",
        "invalid": "invalide",
        "unreadable": "illisible",
        "internal": "erreur interne de pes-v2",
        "error": "erreur",
        "warning": "avertissement",
        "info": "info",
        "errors": "erreur(s)",
        "warnings": "avertissement(s)",
        "line": "ligne",
        "value": "valeur : ",
        "bordereaux": "bordereau(x)",
        "pjs": "PJ",
        "summary": "{files} fichier(s) : {valid} valide(s), {invalid} invalide(s)",
        "accept": "Hélios accepterait ce flux.",
        "reject_flux": "Hélios rejetterait le flux entier ({reasons}).",
        "reject_parts": "Hélios rejetterait {parts} ({reasons}).",
        "bordereaux_list": "le(s) bordereau(x) {ids}",
        "pjs_list": "{count} PJ",
        "and": " et ",
    },
    "en": {
        "valid": "valid",
        "invalid": "invalid",
        "unreadable": "unreadable",
        "internal": "pes-v2 internal error",
        "error": "error",
        "warning": "warning",
        "info": "info",
        "errors": "error(s)",
        "warnings": "warning(s)",
        "line": "line",
        "value": "value: ",
        "bordereaux": "bordereau(x)",
        "pjs": "PJ",
        "summary": "{files} file(s): {valid} valid, {invalid} invalid",
        "accept": "Hélios would accept this flow.",
        "reject_flux": "Hélios would reject the whole flow ({reasons}).",
        "reject_parts": "Hélios would reject {parts} ({reasons}).",
        "bordereaux_list": "bordereau(x) {ids}",
        "pjs_list": "{count} PJ",
        "and": " and ",
    },
}
_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _plain(text: str, **_style: object) -> str:
    return text


def _finding_lines(finding: Finding, words: dict[str, str], style: Style) -> list[str]:
    where = f"{words['line']} {finding.line}" if finding.line is not None else "-"
    severity = style(words[finding.severity.value], fg=_COLOURS[finding.severity])
    lines = [f"  {where:>10}  {finding.rule}  {severity}  {finding.message}"]
    if finding.xpath:
        lines.append(f"{'':14}{finding.xpath}")
    if finding.value is not None:
        lines.append(f"{'':14}{words['value']}{finding.value!r}")
    return lines


def _verdict(outcome: FileOutcome, words: dict[str, str], style: Style) -> str:
    report = outcome.report
    if report is None:
        label = words["internal"] if outcome.internal else words["unreadable"]
        return f"{style('✘', fg='red')} {outcome.path} : {label} — {outcome.error}"
    counts = f"{len(report.errors)} {words['errors']}, {len(report.warnings)} {words['warnings']}"
    flow = report.flow
    facts = (
        f"{flow.root or '?'}, {flow.bordereaux} {words['bordereaux']}, {flow.pjs} {words['pjs']}"
    )
    if report.valid:
        return f"{style('✔', fg='green')} {outcome.path} : {words['valid']} ({facts}; {counts})"
    return f"{style('✘', fg='red')} {outcome.path} : {words['invalid']} ({facts}; {counts})"


def _prediction_line(outcome: FileOutcome, words: dict[str, str]) -> str | None:
    report = outcome.report
    if report is None or report.flow.root != "PES_Aller":
        return None
    prediction = report.prediction
    reasons = ", ".join(prediction.reasons)
    if prediction.accepted:
        return "  " + words["accept"]
    if prediction.flux_rejected:
        return "  " + words["reject_flux"].format(reasons=reasons)
    parts = []
    if prediction.bordereaux_rejected:
        parts.append(words["bordereaux_list"].format(ids=", ".join(prediction.bordereaux_rejected)))
    if prediction.pjs_rejected:
        parts.append(words["pjs_list"].format(count=len(prediction.pjs_rejected)))
    return "  " + words["reject_parts"].format(parts=words["and"].join(parts), reasons=reasons)


def render_text(
    outcomes: Sequence[FileOutcome],
    *,
    lang: str = "fr",
    quiet: bool = False,
    fail_on: Severity = Severity.ERROR,
    style: Style = _plain,
) -> str:
    """One verdict line per file, then its findings; ``quiet`` keeps only failing files."""
    words = _WORDS["en" if lang == "en" else "fr"]
    out: list[str] = []
    for outcome in outcomes:
        if quiet and not outcome.fails(fail_on):
            continue
        out.append(_verdict(outcome, words, style))
        for finding in outcome.report.findings if outcome.report else ():
            out.extend(_finding_lines(finding, words, style))
        verdict = _prediction_line(outcome, words)
        if verdict:
            out.append(verdict)
    if len(outcomes) > 1:
        invalid = sum(1 for o in outcomes if o.fails(Severity.ERROR))
        out.append(
            words["summary"].format(
                files=len(outcomes), valid=len(outcomes) - invalid, invalid=invalid
            )
        )
    return "\n".join(out) + ("\n" if out else "")
