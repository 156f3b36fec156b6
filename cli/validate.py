"""``pes-v2 validate``: validate files or directories and report."""

from __future__ import annotations

import sys

import click

from pes_v2.batch import STDIN, FileOutcome, expand_paths, validate_paths
from pes_v2.bundles import resolve_bundle
from pes_v2.context import load_context
from pes_v2.errors import PesError
from pes_v2.findings import Severity
from pes_v2.reporting import render_json, render_text

from .common import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_USAGE, fail


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
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to this file instead of standard output.",
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
def validate(
    paths: tuple[str, ...],
    schemas: str | None,
    fmt: str,
    output: str | None,
    lang: str,
    profile: str,
    fail_on: str,
    quiet: bool,
    context_file: str | None,
) -> None:
    """Validate PES V2 flows: files, directories (all *.xml, recursively) or - for stdin.

    Exit codes: 0 every file valid; 1 a file has an error (or a warning with
    --fail-on warning); 2 usage or setup problem; 3 internal error.
    """
    threshold = Severity(fail_on)
    try:
        bundle = resolve_bundle(schemas)
        context = load_context(context_file)
        files = list(expand_paths(paths))
    except PesError as exc:
        fail(str(exc))
    if paths.count(STDIN) > 1:
        fail("'-' (standard input) can be given only once")
    outcomes = list(
        validate_paths(files, schemas=bundle, profile=profile, lang=lang, context=context)
    )
    for outcome in outcomes:
        if outcome.report is None:
            click.echo(f"pes-v2: error: {outcome.error}", err=True)
    if fmt == "json":
        text = render_json(outcomes, bundle.info)
    else:
        colour = output is None and sys.stdout.isatty()
        text = render_text(
            outcomes,
            lang=lang,
            quiet=quiet,
            fail_on=threshold,
            style=click.style if colour else _plain,
        )
    if output:
        try:
            with open(output, "w", encoding="utf-8") as stream:
                stream.write(text)
        except OSError as exc:
            fail(f"{output}: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False)
    sys.exit(exit_code(outcomes, threshold))


def _plain(text: str, **_style: object) -> str:
    return text
