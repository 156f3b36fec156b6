"""``pes-v2 ack``: read a PES_ACQUIT received from Hélios and explain it."""

from __future__ import annotations

import json
import sys

import click

from pes_v2.ack import ACK_MAX_BYTES, explain_acquit, read_acquit
from pes_v2.api import validate as validate_flow
from pes_v2.bundles import resolve_bundle
from pes_v2.errors import PesError
from pes_v2.findings import Severity
from pes_v2.xmlio import read_whole

from .common import EXIT_INVALID, EXIT_OK, fail


@click.command("ack")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("--schemas", "schemas", metavar="embedded|PATH", help="Schema set (as validate).")
def ack(path: str, fmt: str, lang: str, schemas: str | None) -> None:
    """Explain a PES_ACQUIT received from Hélios (v1 or v2): accepted and rejected
    bordereaux and PJ, and what each NumAnoAck code means; also checks it against the schema.

    Explique un PES_ACQUIT reçu d'Hélios. Exit: 0 every element accepted, 1 a rejection
    (NACK), 2 unreadable file.
    """
    try:
        content = read_whole(path, ACK_MAX_BYTES)  # once: a FIFO cannot be read twice
    except PesError as exc:
        fail(exc)  # it names the file
    try:
        document = read_acquit(content)
        bundle = resolve_bundle(schemas)
        report = validate_flow(content, schemas=bundle, lang=lang)
    except PesError as exc:
        fail(f"{path}: {exc}", fr=f"{path} : {exc.message('fr')}")
    problems = [f for f in report.findings if f.severity is not Severity.INFO]
    if fmt == "json":
        data = document.as_dict(lang)
        data["schema_findings"] = [f.as_dict() for f in problems]
        data["schemas"] = bundle.info.as_dict()
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        text = explain_acquit(document, lang)
        if problems:
            title = (
                "Conformité au schéma de l'accusé :"
                if lang != "en"
                else "Conformity of the acknowledgment to its schema:"
            )
            text += (
                title
                + "\n"
                + "".join(
                    f"  {f.rule}  {f.severity.value}  {f.message}"
                    + (f" (ligne {f.line})" if lang != "en" and f.line else "")
                    + (f" (line {f.line})" if lang == "en" and f.line else "")
                    + "\n"
                    for f in problems
                )
            )
        click.echo(text, nl=False)
    sys.exit(EXIT_OK if document.accepted else EXIT_INVALID)
