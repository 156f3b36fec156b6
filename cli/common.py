"""What every command shares: exit codes and the one-line error."""

from __future__ import annotations

import dataclasses
import re
import sys
from typing import NoReturn

import click

from pes_v2.errors import PesError
from pes_v2.limits import DEFAULT_LIMITS, Limits
from pes_v2.printable import printable

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def cli_lang() -> str:
    """The ``--lang`` of the running command or of its group; French when none is given."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        lang = ctx.params.get("lang")
        if lang in ("fr", "en"):
            return str(lang)
        ctx = ctx.parent
    return "fr"


def error_line(message: str, lang: str) -> str:
    """``pes-v2: error: message`` (``pes-v2 : erreur : …`` in French), on one line."""
    first = printable(message)  # a file name's newline or odd bytes stay on this line
    return f"pes-v2 : erreur : {first}" if lang == "fr" else f"pes-v2: error: {first}"


def fail(message: str | PesError, code: int = EXIT_USAGE, *, fr: str | None = None) -> NoReturn:
    """Print one error line on stderr, in the command's language, and exit (2 by default).

    ``message`` is English text (``fr`` its French) or a :class:`~pes_v2.PesError`, which
    carries both."""
    lang = cli_lang()
    if isinstance(message, PesError):
        text = message.message(lang)
    else:
        text = fr if lang == "fr" and fr is not None else message
    click.echo(error_line(text, lang), err=True)
    sys.exit(code)


_SIZE = re.compile(r"^([0-9]{1,18})([KMG]?)$", re.I)
"""A limit: ASCII digits (int() reads other scripts' digits too, and refuses 4,300 of them)."""
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_limits(values: tuple[str, ...]) -> Limits:
    """``NAME=VALUE`` overrides of :class:`~pes_v2.Limits` (VALUE may end in K, M or G)."""
    names = [field.name for field in dataclasses.fields(Limits)]
    changes: dict[str, int] = {}
    for item in values:
        name, _, value = item.partition("=")
        if name not in names:
            fail(
                f"unknown limit {name!r} (choose from: {', '.join(names)})",
                fr=f"limite inconnue {name!r} (au choix : {', '.join(names)})",
            )
        match = _SIZE.match(value.strip())
        if not match or int(match.group(1)) <= 0:
            fail(
                f"limit {name}: {value!r} is not a positive whole number (K, M, G allowed)",
                fr=f"limite {name} : {value!r} n'est pas un entier positif (K, M, G admis)",
            )
        changes[name] = int(match.group(1)) * _UNITS[match.group(2).upper()]
        if changes[name] > Limits.highest(name):
            fail(
                f"limit {name}: {value!r} is above {Limits.highest(name):,}",
                fr=f"limite {name} : {value!r} dépasse {Limits.highest(name):,}",
            )
    return DEFAULT_LIMITS.with_(**changes) if changes else DEFAULT_LIMITS
