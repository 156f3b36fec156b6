"""Entry point of the ``pes-v2`` command."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

import click

import pes_v2
from pes_v2.batch import TEMPORARY_FILES

from .common import cli_lang, error_line
from .info import info
from .rules import rules
from .schemas import schemas
from .validate import validate


class _Commands(click.Group):
    """The commands; those in :attr:`LAZY` are imported only when asked for."""

    LAZY: ClassVar[Mapping[str, str]] = MappingProxyType({"generate": ".generate", "ack": ".ack"})
    """``generate`` loads the test helpers and cryptography's X.509 module, ≈ 55 ms of the
    start of every other command; ``ack`` the PES_ACQUIT reader, ≈ 5 ms."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            module = importlib.import_module(self.LAZY[cmd_name], __package__)
            self.add_command(getattr(module, cmd_name))
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(pes_v2.__version__, prog_name="pes-v2")
def cli() -> None:
    """Validate PES V2 flows before sending them to Hélios (DGFiP).

    Valide les flux PES V2 avant leur envoi à Hélios (DGFiP).
    """


cli.add_command(validate)
cli.add_command(schemas)
cli.add_command(rules)
cli.add_command(info)


EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report it: not 1, which says a flow has an error."""


_MAIN_PID = os.getpid()


def _interrupted(_signum: int, _frame: object) -> None:
    """Ctrl-C: one line, the workers stopped, standard input's temporary copy removed, and
    out at once (an exception raised from here could land in any cleanup code and be lost,
    leaving a half-stopped batch)."""
    if os.getpid() != _MAIN_PID:
        return  # a worker just forked, before it ignores SIGINT: the parent answers
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # one answer, however many presses
    lang = cli_lang()
    click.echo(error_line("interrompu" if lang == "fr" else "interrupted", lang), err=True)
    sys.stderr.flush()
    if "multiprocessing" in sys.modules:  # the batch's workers ignore SIGINT
        for child in sys.modules["multiprocessing"].active_children():
            child.kill()
    for path in list(TEMPORARY_FILES):
        with contextlib.suppress(OSError):
            os.unlink(path)
    os._exit(EXIT_INTERRUPTED)


def main() -> None:
    # Not when SIGINT is ignored (a background job of a non-interactive shell): it stays so.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)
    cli()
