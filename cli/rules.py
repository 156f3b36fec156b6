"""``pes-v2 rules``: print the rule catalogue."""

from __future__ import annotations

import click

from pes_v2.catalogue import FORMATS, render_catalogue


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
def rules(fmt: str, lang: str) -> None:
    """List every rule: id, severity, scope, Hélios ACK code and title."""
    click.echo(render_catalogue(fmt, lang), nl=False)
