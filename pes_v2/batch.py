"""Validating many files: path expansion and one outcome per file, errors contained."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from .api import validate
from .bundles import SchemaBundle
from .errors import InputError, PesError
from .findings import Report, Severity
from .limits import Limits

STDIN = "-"


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file: a report, or why there is none."""

    path: str
    report: Report | None = None
    error: str | None = None
    """One line saying why the file could not be validated."""
    internal: bool = False
    """True when the error is a bug in pes-v2 (exit code 3), not a problem with the input."""

    def fails(self, fail_on: Severity = Severity.ERROR) -> bool:
        return self.report is None or self.report.fails(fail_on)


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files to validate: files as given, directories walked for ``*.xml`` in sorted order.

    Raises :class:`InputError` for a path that does not exist.
    """
    for path in paths:
        if path == STDIN:
            yield path
        elif os.path.isdir(path):
            found = sorted(
                str(p) for p in Path(path).rglob("*") if p.suffix.lower() == ".xml" and p.is_file()
            )
            yield from found
        elif os.path.lexists(path):
            yield path
        else:
            raise InputError(f"{path}: no such file or directory")


def _spooled_stdin() -> BinaryIO:
    """Standard input, spooled so that it can be read twice (to locate XSD errors)."""
    spool = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=64 << 20))  # noqa: SIM115
    while chunk := sys.stdin.buffer.read(1 << 16):
        spool.write(chunk)
    spool.seek(0)
    return spool


def validate_file(
    path: str,
    *,
    schemas: SchemaBundle,
    profile: str = "default",
    lang: str = "fr",
    limits: Limits | None = None,
    context: Mapping[str, Any] | None = None,
) -> FileOutcome:
    """Validate one path (``-`` is standard input) and contain every failure in the outcome."""
    options: dict[str, Any] = {
        "schemas": schemas,
        "profile": profile,
        "lang": lang,
        "limits": limits,
        "context": context,
    }
    try:
        if path == STDIN:
            with _spooled_stdin() as spool:  # anonymous, deleted on close
                report = validate(spool, **options)
        else:
            report = validate(path, **options)
        return FileOutcome(path, report)
    except PesError as exc:
        return FileOutcome(path, error=str(exc))
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return FileOutcome(
            path,
            error=f"internal error: {type(exc).__name__}: {exc} ({where.filename}:{where.lineno})",
            internal=True,
        )


def validate_paths(
    paths: Iterable[str],
    *,
    schemas: SchemaBundle,
    profile: str = "default",
    lang: str = "fr",
    limits: Limits | None = None,
    context: Mapping[str, Any] | None = None,
) -> Iterator[FileOutcome]:
    """One outcome per file, in a stable order (the order of :func:`expand_paths`)."""
    for path in paths:
        yield validate_file(
            path, schemas=schemas, profile=profile, lang=lang, limits=limits, context=context
        )
