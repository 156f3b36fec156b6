"""``pes-v2 info``: the flow at a glance."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from pes_v2.batch import FileOutcome, validate_file
from pes_v2.bundles import resolve_bundle
from pes_v2.errors import PesError
from pes_v2.findings import SHOWN_LIMIT, truncate

from .common import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, fail

_WORDS = {
    "fr": {
        "file": "Fichier",
        "root": "Racine",
        "size": "Taille",
        "encoding": "Encodage",
        "nomfic": "NomFic",
        "date": "Date (DteStr)",
        "coll": "Collectivité",
        "budget": "Budget",
        "poste": "Poste comptable",
        "domains": "Domaines",
        "bordereaux": "Bordereaux",
        "pieces": "pièce(s)",
        "lines": "ligne(s)",
        "pjs": "PJ",
        "signatures": "Signatures",
        "signature_status": "État des signatures",
        "valid": "Verdict",
        "ok": "valide",
        "ko": "invalide",
        "bytes": "octets",
        "signed": "signé",
    },
    "en": {
        "file": "File",
        "root": "Root",
        "size": "Size",
        "encoding": "Encoding",
        "nomfic": "NomFic",
        "date": "Date (DteStr)",
        "coll": "Collectivité",
        "budget": "Budget",
        "poste": "Accounting office",
        "domains": "Domains",
        "bordereaux": "Bordereaux",
        "pieces": "piece(s)",
        "lines": "line(s)",
        "pjs": "PJ",
        "signatures": "Signatures",
        "signature_status": "Signature status",
        "valid": "Verdict",
        "ok": "valid",
        "ko": "invalid",
        "bytes": "bytes",
        "signed": "signed",
    },
}


def info_document(outcome: FileOutcome) -> dict[str, Any]:
    """The facts ``pes-v2 info --format json`` prints."""
    report = outcome.report
    assert report is not None
    facts = outcome.facts
    return {
        "format": "pes-v2/info",
        "version": 1,
        "path": outcome.shown,
        "valid": report.valid,
        "flow": report.flow.as_dict(),
        "DteStr": facts.dte_str if facts else None,
        "bordereaux": [b.as_dict() for b in facts.bordereaux] if facts else [],
        "pjs": [p.as_dict() for p in facts.pjs] if facts else [],
        "signatures": [status.as_dict() for status in report.signatures],
        "prediction": report.prediction.as_dict(),
    }


def _signature_line(statuses: tuple[Any, ...], words: dict[str, str]) -> str:
    if not statuses:
        return "-"
    return "; ".join(
        f"{status.bordereau or status.target}: {status.signer or '?'} {status.summary()}"
        for status in statuses
    )


def info_text(outcome: FileOutcome, lang: str) -> str:
    words = _WORDS["en" if lang == "en" else "fr"]
    report = outcome.report
    assert report is not None
    flow = report.flow
    header = flow.header
    facts = outcome.facts
    rows = [
        (words["file"], outcome.shown),
        (words["root"], flow.root or "?"),
        (words["size"], f"{flow.size or 0} {words['bytes']}"),
        (words["encoding"], flow.encoding or "?"),
        (words["nomfic"], flow.nom_fic or "?"),
        (words["date"], (facts.dte_str if facts else None) or "?"),
        (
            words["coll"],
            f"{header.get('LibelleColBud', '')} (SIRET {header.get('IdColl', '?')})".strip(),
        ),
        (
            words["budget"],
            f"CodCol {header.get('CodCol', '?')}, CodBud {header.get('CodBud', '?')}",
        ),
        (words["poste"], f"{header.get('IdPost', '?')} {header.get('LibellePoste', '')}".strip()),
        (words["domains"], ", ".join(flow.domains) or "-"),
        (words["signatures"], str(flow.signatures)),
        (words["signature_status"], _signature_line(report.signatures, words)),
        (
            words["valid"],
            f"{words['ok'] if report.valid else words['ko']} "
            f"({len(report.errors)} E, {len(report.warnings)} W)",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    out = [f"{k:<{width}}  {truncate(v, SHOWN_LIMIT)}" for k, v in rows]
    if facts and facts.bordereaux:
        out.append(f"{words['bordereaux']} ({len(facts.bordereaux)})")
        for b in facts.bordereaux:
            totals = ", ".join(f"{k} {v}" for k, v in b.totals)
            signed = f", {words['signed']}" if b.signed else ""
            out.append(
                f"  {b.domain:<8} {b.exer or '?'}/{b.typ_bord or '?'}/{b.id_bord or '?'}  "
                f"{b.pieces} {words['pieces']}, {b.lines} {words['lines']}{signed}  {totals}"
            )
    if facts and facts.pjs:
        size = sum(p.encoded_size for p in facts.pjs)
        out.append(f"{words['pjs']} ({len(facts.pjs)}, {size} {words['bytes']} base64)")
        for p in facts.pjs:
            out.append(
                f"  {p.id_unique or '?'}  {p.name or '?'}  {p.mime_type or '?'}  "
                f"{p.encoded_size} {words['bytes']}"
            )
    return "\n".join(out) + "\n"


@click.command("info")
@click.argument("path")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("--schemas", "schemas", metavar="embedded|PATH", help="Schema set (as validate).")
def info(path: str, fmt: str, lang: str, schemas: str | None) -> None:
    """The flow at a glance: collectivité, budget, poste, bordereaux, pieces, totals, PJ.

    En un coup d'œil : collectivité, budget, poste, bordereaux, pièces, montants, PJ.
    """
    try:
        bundle = resolve_bundle(schemas)
    except PesError as exc:
        fail(exc)
    if path != "-":
        import os

        if not os.path.lexists(path):
            fail(
                f"{path}: no such file or directory", fr=f"{path} : fichier ou dossier introuvable"
            )
    outcome = validate_file(path, schemas=bundle, lang=lang)
    if outcome.report is None:
        code = EXIT_INTERNAL if outcome.internal else EXIT_USAGE
        fail(outcome.error or "cannot read", code, fr=outcome.error or "lecture impossible")
    if fmt == "json":
        click.echo(json.dumps(info_document(outcome), ensure_ascii=False, indent=2))
    else:
        click.echo(info_text(outcome, lang), nl=False)
    sys.exit(EXIT_OK)
