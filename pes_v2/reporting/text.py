"""The text report, for a person at a terminal (French by default)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from .. import rules
from ..batch import FileOutcome
from ..findings import SHOWN_LIMIT, Finding, Severity, truncate

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
        "not_run": "{count} contrôle(s) non exécuté(s), faute de leur clé de contexte "
        "(--context) : {rules}",
        "reject_flux": "Hélios rejetterait le flux entier ({reasons}).",
        "reject_parts": "Hélios rejetterait {parts} ({reasons}).",
        "bordereaux_list": "le(s) bordereau(x) {ids}",
        "pjs_list": "{count} PJ",
        "and": " et ",
        "flow_group": "Flux",
        "bordereau_group": "Bordereau {id}",
        "pj_group": "PJ {id}",
        "by_rule": "Constats par règle :",
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
        "not_run": "{count} check(s) not run for want of their context key (--context): {rules}",
        "reject_flux": "Hélios would reject the whole flow ({reasons}).",
        "reject_parts": "Hélios would reject {parts} ({reasons}).",
        "bordereaux_list": "bordereau(x) {ids}",
        "pjs_list": "{count} PJ",
        "and": " and ",
        "flow_group": "Flow",
        "bordereau_group": "Bordereau {id}",
        "pj_group": "PJ {id}",
        "by_rule": "Findings by rule:",
    },
}
_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _plain(text: str, **_style: object) -> str:
    return text


_BORDEREAU = re.compile(r"^(.*?/Bordereau\[\d+\])")
_PJ = re.compile(r"^(.*?/PES_PJ\[\d+\]/PJ\[\d+\])")


def _finding_lines(
    finding: Finding, words: dict[str, str], style: Style, indent: str = "  "
) -> list[str]:
    where = f"{words['line']} {finding.line}" if finding.line is not None else "-"
    severity = style(words[finding.severity.value], fg=_COLOURS[finding.severity])
    pad = " " * (len(indent) + 12)
    lines = [f"{indent}{where:>10}  {finding.rule}  {severity}  {finding.message}"]
    if finding.xpath:
        lines.append(f"{pad}{truncate(finding.xpath, SHOWN_LIMIT)}")
    if finding.value is not None:
        lines.append(f"{pad}{words['value']}{finding.value!r}")
    return lines


def group_findings(
    outcome: FileOutcome,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[tuple[str, str | None, list[Finding]]]:
    """Findings grouped by what they are about: the flow, each bordereau, each PJ.

    Returns (kind, label, findings) with kind ``flow``, ``bordereau`` or ``pj``, groups in
    order of first appearance, findings in document order.
    """
    report = outcome.report
    if report is None:
        return []
    labels: dict[str, str] = {}
    for bordereau in outcome.facts.bordereaux if outcome.facts else ():
        labels[bordereau.xpath] = bordereau.id_bord or bordereau.xpath
    for pj in outcome.facts.pjs if outcome.facts else ():
        labels[pj.xpath] = pj.id_unique or pj.xpath
    groups: dict[tuple[str, str | None], list[Finding]] = {}
    for finding in report.findings:
        if finding.rule in skip and finding.severity is Severity.INFO and finding.line is None:
            continue
        xpath = finding.xpath or ""
        if match := _BORDEREAU.match(xpath):
            key: tuple[str, str | None] = ("bordereau", labels.get(match.group(1), match.group(1)))
        elif finding.bordereau:
            key = ("bordereau", finding.bordereau)
        elif match := _PJ.match(xpath):
            key = ("pj", labels.get(match.group(1), match.group(1)))
        else:
            key = ("flow", None)
        groups.setdefault(key, []).append(finding)
    ordered = sorted(groups.items(), key=lambda item: item[0][0] != "flow")
    return [(kind, label, found) for (kind, label), found in ordered]


def _verdict(outcome: FileOutcome, words: dict[str, str], style: Style) -> str:
    report = outcome.report
    if report is None:
        label = words["internal"] if outcome.internal else words["unreadable"]
        return f"{style('✘', fg='red')} {outcome.shown} : {label} — {outcome.error}"
    counts = f"{len(report.errors)} {words['errors']}, {len(report.warnings)} {words['warnings']}"
    flow = report.flow
    facts = (
        f"{flow.root or '?'}, {flow.bordereaux} {words['bordereaux']}, {flow.pjs} {words['pjs']}"
    )
    if report.valid:
        return f"{style('✔', fg='green')} {outcome.shown} : {words['valid']} ({facts}; {counts})"
    return f"{style('✘', fg='red')} {outcome.shown} : {words['invalid']} ({facts}; {counts})"


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
        # A rejected PES_PJ block counts each of its PJ, when the flow's PJ are known.
        known = outcome.facts.pjs if outcome.facts else ()
        count = sum(prediction.rejects_pj(pj.xpath) for pj in known) or len(prediction.pjs_rejected)
        parts.append(words["pjs_list"].format(count=count))
    return "  " + words["reject_parts"].format(parts=words["and"].join(parts), reasons=reasons)


def render_file_text(
    outcome: FileOutcome,
    *,
    lang: str = "fr",
    quiet: bool = False,
    fail_on: Severity = Severity.ERROR,
    style: Style = _plain,
) -> str:
    """One file's block: verdict, findings grouped by bordereau and PJ, Hélios prediction.

    Empty when ``quiet`` and the file does not fail.
    """
    words = _WORDS["en" if lang == "en" else "fr"]
    if quiet and not outcome.fails(fail_on):
        return ""
    out = [_verdict(outcome, words, style)]
    skipped = _not_run(outcome)
    groups = group_findings(outcome, skip=set(skipped))
    grouped = len(groups) > 1 or any(kind != "flow" for kind, _, _ in groups)
    for kind, label, findings in groups:
        indent = "  "
        if grouped:
            title = words[f"{kind}_group"].format(id=label)
            out.append("  " + style(title, bold=True))
            indent = "    "
        for finding in findings:
            out.extend(_finding_lines(finding, words, style, indent))
    if skipped:
        named = ", ".join(f"{rule_id} ({', '.join(keys)})" for rule_id, keys in skipped.items())
        out.append("  " + words["not_run"].format(count=len(skipped), rules=named))
    verdict = _prediction_line(outcome, words)
    if verdict:
        out.append(verdict)
    return "\n".join(out) + "\n"


def _not_run(outcome: FileOutcome) -> dict[str, tuple[str, ...]]:
    """Rules that said once they did not run for want of context, with the context keys
    they need (shown on one line)."""
    report = outcome.report
    if report is None:
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for f in report.findings:
        if f.severity is Severity.INFO and f.line is None and f.xpath is None:
            try:
                keys = rules.get(f.rule).context_keys
            except KeyError:
                continue
            if keys:
                found[f.rule] = keys
    return found


def render_summary_text(outcomes: Sequence[FileOutcome], *, lang: str = "fr") -> str:
    """The closing lines of a batch: findings by rule, then files valid and invalid."""
    words = _WORDS["en" if lang == "en" else "fr"]
    out: list[str] = []
    if len(outcomes) > 1:
        by_rule: Counter[str] = Counter(
            f.rule
            for o in outcomes
            for f in (o.report.findings if o.report else ())
            if f.severity is not Severity.INFO
        )
        if by_rule:
            out.append(words["by_rule"])
            width = max(len(rule) for rule in by_rule)
            for rule, count in sorted(by_rule.items(), key=lambda item: (-item[1], item[0])):
                out.append(f"  {rule:<{width}}  {count:>6}")
        invalid = sum(1 for o in outcomes if o.fails(Severity.ERROR))
        out.append(
            words["summary"].format(
                files=len(outcomes), valid=len(outcomes) - invalid, invalid=invalid
            )
        )
    return "\n".join(out) + ("\n" if out else "")


def render_text(
    outcomes: Sequence[FileOutcome],
    *,
    lang: str = "fr",
    quiet: bool = False,
    fail_on: Severity = Severity.ERROR,
    style: Style = _plain,
) -> str:
    """One verdict line per file, then its findings; ``quiet`` keeps only failing files."""
    blocks = [
        render_file_text(o, lang=lang, quiet=quiet, fail_on=fail_on, style=style) for o in outcomes
    ]
    return "".join(blocks) + render_summary_text(outcomes, lang=lang)
