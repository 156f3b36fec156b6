"""Entry point of the ``pes-v2`` command."""

from __future__ import annotations

import signal
import sys

import click

import pes_v2

from .ack import ack
from .common import cli_lang, error_line
from .generate import generate
from .info import info
from .rules import rules
from .schemas import schemas
from .validate import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(pes_v2.__version__, prog_name="pes-v2")
def cli() -> None:
    """Validate PES V2 flows before sending them to Hélios (DGFiP).

    Valide les flux PES V2 avant leur envoi à Hélios (DGFiP).
    """


cli.add_command(validate)
cli.add_command(schemas)
cli.add_command(generate)
cli.add_command(rules)
cli.add_command(info)
cli.add_command(ack)


EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report it: not 1, which says a flow has an error."""


def _interrupted(_signum: int, _frame: object) -> None:
    lang = cli_lang()
    click.echo(error_line("interrompu" if lang == "fr" else "interrupted", lang), err=True)
    sys.exit(EXIT_INTERRUPTED)  # unwinds: temporary files and worker pools are cleaned up


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    cli()
