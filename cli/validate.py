"""``pes-v2 validate``: validate files or directories and report."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from pes_v2 import reporting
from pes_v2.api import load_trust
from pes_v2.batch import STDIN, FileOutcome, default_jobs, files_to_validate, validate_paths
from pes_v2.bundles import resolve_bundle
from pes_v2.context import load_context
from pes_v2.errors import PesError
from pes_v2.findings import Severity

from .common import (
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    error_line,
    fail,
    parse_limits,
)


def exit_code(outcomes: list[FileOutcome], fail_on: Severity) -> int:
    """0 all valid, 1 a finding reaches ``fail_on``, 2 an input unreadable, 3 an internal error."""
    if any(o.internal for o in outcomes):
        return EXIT_INTERNAL
    if any(o.report is None for o in outcomes):
        return EXIT_USAGE
    if any(o.fails(fail_on) for o in outcomes):
        return EXIT_INVALID
    return EXIT_OK


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--schemas",
    "schemas",
    metavar="embedded|PATH",
    help="Schema set: 'embedded', or an official DGFiP bundle (folder or zip). "
    "Default: $PES_V2_SCHEMAS, else the newest installed bundle, else embedded.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(reporting.FORMATS),
    default="text",
    show_default=True,
    help="Report format: text, json, jsonl (one line per file, streamed), junit, sarif, "
    "html (one self-contained page), acquit (the PES_ACQUIT Hélios would likely send).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(writable=True),
    help="Write the report to this file instead of standard output ('-': standard output; "
    "acquit with several files: a directory, one <name>.acquit.xml per flow).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Files validated in parallel (worker processes). Default: the number of CPUs; "
    "at most four per CPU, and no more than there are groups of files to share out.",
)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of messages.",
)
@click.option(
    "--profile",
    type=click.Choice(["default", "strict"]),
    default="default",
    show_default=True,
    help="Rule profile ('strict' adds vendor-lint warnings).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option("--quiet", "-q", is_flag=True, help="Text format: show only failing files.")
@click.option(
    "--context",
    "context_file",
    type=click.Path(dir_okay=False),
    help="JSON or TOML file of Hélios-side facts (known IdPost, budgets, "
    "bordereaux and PJ already sent) for the rules that need them.",
)
@click.option(
    "--trust",
    "trust_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="PEM file of trusted certification authorities for signature chains (repeatable). "
    "Without it, certificate chains are reported INDETERMINATE.",
)
@click.option(
    "--limit",
    "limit_values",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a reading limit (repeatable), e.g. --limit max_text_bytes=200M; "
    "see docs/robustness.md for the names.",
)
def validate(
    paths: tuple[str, ...],
    schemas: str | None,
    fmt: str,
    output: str | None,
    jobs: int | None,
    lang: str,
    profile: str,
    fail_on: str,
    quiet: bool,
    context_file: str | None,
    trust_files: tuple[str, ...],
    limit_values: tuple[str, ...],
) -> None:
    """Validate PES V2 flows: files, directories (all *.xml, recursively) or - for stdin.

    Exit codes: 0 every file valid; 1 a file has an error (or a warning with
    --fail-on warning); 2 usage or setup problem; 3 internal error.
    """
    threshold = Severity(fail_on)
    limits = parse_limits(limit_values)
    if output == "-":
        output = None
    try:
        bundle = resolve_bundle(schemas)
        context = load_context(context_file)
        trust = load_trust(trust_files)
        files = files_to_validate(list(paths))
    except PesError as exc:
        fail(exc)
    if fmt == "acquit" and len(files) > 1 and not output:
        fail(
            "--format acquit with several files needs --output DIR (one ACK per flow)",
            fr="--format acquit avec plusieurs fichiers demande --output DOSSIER "
            "(un acquit par flux)",
        )
    if output and os.path.isdir(output) and not (fmt == "acquit" and len(files) > 1):
        fail(f"{output}: is a directory", fr=f"{output} : est un dossier")
    if output and _one_of(output, _identities(files)):
        fail(
            f"--output {output} is one of the flows to validate: it would be overwritten",
            fr=f"--output {output} est l'un des flux à valider : il serait écrasé",
        )
    settings = [context_file] if context_file else []
    if output and _one_of(output, _identities([*settings, *trust_files])):
        fail(
            f"--output {output} is the --context or --trust file: it would be overwritten",
            fr=f"--output {output} est le fichier de --context ou --trust : il serait écrasé",
        )
    stream = validate_paths(
        files,
        schemas=bundle,
        profile=profile,
        lang=lang,
        context=context,
        trust=trust,
        limits=limits,
        jobs=default_jobs() if jobs is None else jobs,
    )
    outcomes: list[FileOutcome] = []
    colour = output is None and sys.stdout.isatty()
    style: Any = click.style if colour else _plain
    try:
        with (
            _sink(output if fmt != "acquit" else None) as sink,
            _progress(stream, len(files)) as (progress),
        ):
            for outcome in progress:
                outcomes.append(outcome)
                if outcome.report is None:
                    click.echo(error_line(outcome.error or "", lang), err=True)
                if fmt == "jsonl":
                    sink.write(reporting.render_jsonl_file(outcome))
                    sink.flush()
                elif fmt == "text":
                    sink.write(
                        reporting.render_file_text(
                            outcome, lang=lang, quiet=quiet, fail_on=threshold, style=style
                        )
                    )
                    sink.flush()
            if fmt == "jsonl":
                sink.write(reporting.render_jsonl_summary(outcomes, bundle.info))
            elif fmt == "text":
                sink.write(reporting.render_summary_text(outcomes, lang=lang))
            elif fmt == "json":
                sink.write(reporting.render_json(outcomes, bundle.info))
            elif fmt == "junit":
                sink.write(
                    reporting.render_junit(outcomes, profile=profile, lang=lang, fail_on=threshold)
                )
            elif fmt == "sarif":
                sink.write(reporting.render_sarif(outcomes, profile=profile, lang=lang))
            elif fmt == "html":
                sink.write(reporting.render_html(outcomes, bundle.info, lang=lang))
        if fmt == "acquit":
            _write_acquits(outcomes, output, lang)
    except OSError as exc:
        where = output or "stdout"
        fail(f"{where}: {exc.strerror or exc}", fr=f"{where} : {exc.strerror or exc}")
    sys.exit(exit_code(outcomes, threshold))


@contextlib.contextmanager
def _sink(output: str | None) -> Iterator[IO[str]]:
    """The text stream the report goes to: the --output file, or standard output."""
    if output is None:
        yield sys.stdout
        return
    with open(output, "w", encoding="utf-8") as stream:
        yield stream


@contextlib.contextmanager
def _progress(stream: Iterator[FileOutcome], total: int) -> Iterator[Iterator[FileOutcome]]:
    """A progress bar on stderr, only when stderr is a terminal and there are several files."""
    if total < 2 or not sys.stderr.isatty():
        yield stream
        return
    with click.progressbar(
        stream, length=total, file=sys.stderr, label="pes-v2", show_pos=True
    ) as bar:
        yield iter(bar)


def _write_acquits(outcomes: list[FileOutcome], output: str | None, lang: str) -> None:
    """One predicted PES_ACQUIT per PES_Aller: to stdout or --output, or a directory of them."""
    if len(outcomes) == 1:
        data = reporting.render_acquit(outcomes[0], lang=lang)
        if data is None and outcomes[0].report is None:
            return  # not validated: its error is said, its exit code follows (2 or 3)
        if data is None:
            where = outcomes[0].shown
            message = (
                f"{where} : pas un PES_Aller, pas d'acquit"
                if lang == "fr"
                else f"{where}: not a PES_Aller, no acknowledgment"
            )
            click.echo(error_line(message, lang), err=True)
            sys.exit(EXIT_USAGE)  # what was asked for cannot be written
        if output:
            Path(output).write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        return
    assert output is not None
    inputs = _identities([outcome.path for outcome in outcomes])
    target = Path(output)
    target.mkdir(parents=True, exist_ok=True)
    names: set[str] = set()
    for outcome in outcomes:
        data = reporting.render_acquit(outcome, lang=lang)
        if data is None:
            continue
        stem = Path(outcome.path).stem if outcome.path != STDIN else "stdin"
        name, n = f"{stem}.acquit.xml", 1
        while name in names or _one_of(str(target / name), inputs):
            n += 1
            name = f"{stem}-{n}.acquit.xml"
        names.add(name)
        (target / name).write_bytes(data)


def _identities(flows: list[str]) -> set[tuple[int, int]]:
    """The (device, inode) of each flow that is a file, standard input included when a file
    is redirected to it: what names it whatever the path."""
    found = set()
    for flow in flows:
        try:
            status = os.fstat(sys.stdin.fileno()) if flow == STDIN else os.stat(flow)
        except (OSError, ValueError, AttributeError):  # no real standard input (tests, IDEs)
            continue
        if stat.S_ISREG(status.st_mode):
            found.add((status.st_dev, status.st_ino))
    return found


def _one_of(path: str, identities: set[tuple[int, int]]) -> bool:
    """True when ``path`` is an existing file among ``identities`` (see :func:`_identities`)."""
    try:
        status = os.stat(path)
    except OSError:
        return False
    return (status.st_dev, status.st_ino) in identities


def _plain(text: str, **_style: object) -> str:
    return text
