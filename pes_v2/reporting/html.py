"""HTML: one self-contained, printable page for treasurers (no script, no external asset)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .. import __version__
from ..batch import FileOutcome
from ..findings import SHOWN_LIMIT, Finding, SchemaInfo, Severity, truncate
from .text import group_findings

_WORDS = {
    "fr": {
        "title": "Rapport de validation PES V2",
        "tool": "Produit par pes-v2 {version}, schémas {kind} {schemas}.",
        "files": "{files} fichier(s) : {valid} valide(s), {invalid} invalide(s).",
        "valid": "Valide",
        "invalid": "Invalide",
        "unreadable": "Non validé",
        "coll": "Collectivité",
        "budget": "Budget",
        "poste": "Poste comptable",
        "nomfic": "Nom du fichier (NomFic)",
        "domains": "Domaines",
        "accept": "Hélios accepterait ce flux.",
        "reject_flux": "Hélios rejetterait le flux entier ({reasons}).",
        "reject_parts": "Hélios rejetterait {count} élément(s) : {parts} ({reasons}).",
        "bordereaux": "Bordereaux",
        "pjs": "Pièces justificatives",
        "domain": "Domaine",
        "number": "Numéro",
        "exer": "Exercice",
        "type": "Type",
        "pieces": "Pièces",
        "lines": "Lignes",
        "totals": "Montants",
        "findings": "Constats",
        "ack": "Acquit prévu",
        "ok": "accepté",
        "ko": "rejeté",
        "size": "Taille (base64)",
        "name": "Nom",
        "severity": "Gravité",
        "rule": "Règle",
        "line": "Ligne",
        "where": "XPath",
        "value": "Valeur",
        "message": "Message",
        "flow_group": "Flux",
        "bordereau_group": "Bordereau {id}",
        "pj_group": "PJ {id}",
        "error": "erreur",
        "warning": "avertissement",
        "info": "info",
        "none": "Aucun constat.",
    },
    "en": {
        "title": "PES V2 validation report",
        "tool": "Produced by pes-v2 {version}, {kind} schemas {schemas}.",
        "files": "{files} file(s): {valid} valid, {invalid} invalid.",
        "valid": "Valid",
        "invalid": "Invalid",
        "unreadable": "Not validated",
        "coll": "Collectivité",
        "budget": "Budget",
        "poste": "Accounting office",
        "nomfic": "File name (NomFic)",
        "domains": "Domains",
        "accept": "Hélios would accept this flow.",
        "reject_flux": "Hélios would reject the whole flow ({reasons}).",
        "reject_parts": "Hélios would reject {count} element(s): {parts} ({reasons}).",
        "bordereaux": "Bordereaux",
        "pjs": "Attachments (PJ)",
        "domain": "Domain",
        "number": "Number",
        "exer": "Year",
        "type": "Type",
        "pieces": "Pieces",
        "lines": "Lines",
        "totals": "Amounts",
        "findings": "Findings",
        "ack": "Predicted ACK",
        "ok": "accepted",
        "ko": "rejected",
        "size": "Size (base64)",
        "name": "Name",
        "severity": "Severity",
        "rule": "Rule",
        "line": "Line",
        "where": "XPath",
        "value": "Value",
        "message": "Message",
        "flow_group": "Flow",
        "bordereau_group": "Bordereau {id}",
        "pj_group": "PJ {id}",
        "error": "error",
        "warning": "warning",
        "info": "info",
        "none": "No finding.",
    },
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem;
color:#1b1b1b;background:#fff;line-height:1.4}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.25rem;margin:2rem 0 .5rem;
word-break:break-all}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
.meta{color:#555;font-size:.9rem}
.verdict{display:inline-block;padding:.3rem .8rem;border-radius:.3rem;font-weight:bold;
color:#fff}.ok{background:#18753c}.ko{background:#ce0500}.na{background:#666}
.prediction{font-weight:bold;margin:.5rem 0}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:.88rem}
th,td{border:1px solid #ccc;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#eef2f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82rem;word-break:break-all}
tr.error td:first-child{border-left:5px solid #ce0500}
tr.warning td:first-child{border-left:5px solid #b34000}
tr.info td:first-child{border-left:5px solid #0063cb}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem;margin:.5rem 0}
dt{font-weight:bold}dd{margin:0}
section.file{border-top:3px solid #000091;margin-top:2rem}
@media print{body{margin:1cm}section.file{break-before:page}section.file:first-of-type
{break-before:auto}th{background:#eee !important;-webkit-print-color-adjust:exact;
print-color-adjust:exact}.verdict{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _prediction(outcome: FileOutcome, words: dict[str, str]) -> str:
    report = outcome.report
    if report is None or report.flow.root != "PES_Aller":
        return ""
    prediction = report.prediction
    reasons = ", ".join(prediction.reasons)
    if prediction.accepted:
        text = words["accept"]
    elif prediction.flux_rejected:
        text = words["reject_flux"].format(reasons=reasons)
    else:
        parts = [*prediction.bordereaux_rejected, *prediction.pjs_rejected]
        text = words["reject_parts"].format(
            count=len(parts), parts=", ".join(parts), reasons=reasons
        )
    return f'<p class="prediction">{_e(text)}</p>'


def _findings_table(findings: Sequence[Finding], words: dict[str, str]) -> str:
    rows = [
        f'<tr class="{f.severity.value}"><td>{_e(words[f.severity.value])}</td>'
        f'<td><code>{_e(f.rule)}</code></td><td class="num">{_e(f.line)}</td>'
        f"<td><code>{_e(truncate(f.xpath, SHOWN_LIMIT))}</code></td>"
        f"<td><code>{_e(f.value)}</code></td>"
        f"<td>{_e(f.message)}</td></tr>"
        for f in findings
    ]
    head = "".join(
        f"<th>{_e(words[k])}</th>"
        for k in ("severity", "rule", "line", "where", "value", "message")
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _file_section(outcome: FileOutcome, words: dict[str, str]) -> str:
    report = outcome.report
    out = [f'<section class="file"><h2>{_e(outcome.shown)}</h2>']
    if report is None:
        out.append(f'<p><span class="verdict na">{_e(words["unreadable"])}</span> ')
        out.append(f"{_e(outcome.error)}</p></section>")
        return "".join(out)
    verdict = "ok" if report.valid else "ko"
    label = words["valid"] if report.valid else words["invalid"]
    counts = f"{len(report.errors)} × {words['error']}, {len(report.warnings)} × {words['warning']}"
    out.append(f'<p><span class="verdict {verdict}">{_e(label)}</span> {_e(counts)}</p>')
    out.append(_prediction(outcome, words))
    header = report.flow.header
    out.append("<dl>")
    facts = [
        (words["coll"], f"{header.get('LibelleColBud', '')} — SIRET {header.get('IdColl', '?')}"),
        (
            words["budget"],
            f"CodCol {header.get('CodCol', '?')}, CodBud {header.get('CodBud', '?')}",
        ),
        (words["poste"], f"{header.get('IdPost', '?')} {header.get('LibellePoste', '')}"),
        (words["nomfic"], report.flow.nom_fic or "?"),
        (words["domains"], ", ".join(report.flow.domains) or "-"),
    ]
    out.extend(f"<dt>{_e(k)}</dt><dd>{_e(truncate(v, SHOWN_LIMIT))}</dd>" for k, v in facts)
    out.append("</dl>")
    groups = group_findings(outcome)
    counts_by_label: dict[tuple[str, str | None], int] = {
        (kind, label): sum(1 for f in found if f.severity is not Severity.INFO)
        for kind, label, found in groups
    }
    prediction = report.prediction
    if outcome.facts and outcome.facts.bordereaux:
        out.append(f"<h3>{_e(words['bordereaux'])}</h3><table><thead><tr>")
        for key in ("domain", "exer", "type", "number", "pieces", "lines", "totals"):
            out.append(f"<th>{_e(words[key])}</th>")
        out.append(
            f"<th>{_e(words['findings'])}</th><th>{_e(words['ack'])}</th></tr></thead><tbody>"
        )
        for b in outcome.facts.bordereaux:
            label = b.id_bord or b.xpath
            ko = prediction.rejects_bordereau(b.xpath, b.id_bord)
            totals = "<br>".join(f"{_e(k)} {_e(v)}" for k, v in b.totals)
            out.append(
                f"<tr><td>{_e(b.domain)}</td><td>{_e(b.exer)}</td><td>{_e(b.typ_bord)}</td>"
                f'<td>{_e(b.id_bord)}</td><td class="num">{b.pieces}</td>'
                f'<td class="num">{b.lines}</td><td class="num">{totals}</td>'
                f'<td class="num">{counts_by_label.get(("bordereau", label), 0)}</td>'
                f"<td>{_e(words['ko'] if ko else words['ok'])}</td></tr>"
            )
        out.append("</tbody></table>")
    if outcome.facts and outcome.facts.pjs:
        out.append(f"<h3>{_e(words['pjs'])}</h3><table><thead><tr>")
        for key in ("number", "name", "size", "findings", "ack"):
            out.append(f"<th>{_e(words[key])}</th>")
        out.append("</tr></thead><tbody>")
        for p in outcome.facts.pjs:
            label = p.id_unique or p.xpath
            ko = prediction.rejects_pj(p.xpath)
            out.append(
                f"<tr><td><code>{_e(p.id_unique)}</code></td><td>{_e(p.name)}</td>"
                f'<td class="num">{p.encoded_size}</td>'
                f'<td class="num">{counts_by_label.get(("pj", label), 0)}</td>'
                f"<td>{_e(words['ko'] if ko else words['ok'])}</td></tr>"
            )
        out.append("</tbody></table>")
    out.append(f"<h3>{_e(words['findings'])}</h3>")
    if not report.findings:
        out.append(f"<p>{_e(words['none'])}</p>")
    for kind, group, found in groups:
        if len(groups) > 1 or kind != "flow":
            out.append(f"<h4>{_e(words[f'{kind}_group'].format(id=group))}</h4>")
        out.append(_findings_table(found, words))
    out.append("</section>")
    return "".join(out)


def render_html(outcomes: Sequence[FileOutcome], schemas: SchemaInfo, *, lang: str = "fr") -> str:
    """The whole report as one HTML document (inline CSS only)."""
    words = _WORDS["en" if lang == "en" else "fr"]
    invalid = sum(1 for o in outcomes if o.fails(Severity.ERROR))
    summary = words["files"].format(
        files=len(outcomes), valid=len(outcomes) - invalid, invalid=invalid
    )
    tool = words["tool"].format(version=__version__, kind=schemas.kind, schemas=schemas.version)
    body = "".join(_file_section(o, words) for o in outcomes)
    return (
        f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "fr"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>{_e(words['title'])}</title><style>{_CSS}</style></head><body>"
        f'<h1>{_e(words["title"])}</h1><p class="meta">{_e(tool)}</p>'
        f"<p><strong>{_e(summary)}</strong></p>{body}</body></html>\n"
    )
