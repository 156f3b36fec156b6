"""What every command shares: exit codes and the one-line error."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``pes-v2: error: message`` on stderr and exit (2 by default)."""
    click.echo(f"pes-v2: error: {message}", err=True)
    sys.exit(code)
