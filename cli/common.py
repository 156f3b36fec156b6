"""What every command shares: exit codes and the one-line error."""

from __future__ import annotations

import dataclasses
import re
import sys
from typing import NoReturn

import click

from pes_v2.limits import DEFAULT_LIMITS, Limits

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``pes-v2: error: message`` on stderr and exit (2 by default)."""
    click.echo(f"pes-v2: error: {message}", err=True)
    sys.exit(code)


_SIZE = re.compile(r"^(\d+)([KMG]?)$", re.I)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_limits(values: tuple[str, ...]) -> Limits:
    """``NAME=VALUE`` overrides of :class:`~pes_v2.Limits` (VALUE may end in K, M or G)."""
    names = [field.name for field in dataclasses.fields(Limits)]
    changes: dict[str, int] = {}
    for item in values:
        name, _, value = item.partition("=")
        if name not in names:
            fail(f"unknown limit {name!r} (choose from: {', '.join(names)})")
        match = _SIZE.match(value.strip())
        if not match or int(match.group(1)) <= 0:
            fail(f"limit {name}: {value!r} is not a positive whole number (K, M, G allowed)")
        changes[name] = int(match.group(1)) * _UNITS[match.group(2).upper()]
    return DEFAULT_LIMITS.with_(**changes) if changes else DEFAULT_LIMITS
