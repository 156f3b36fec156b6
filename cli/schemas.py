"""``pes-v2 schemas list|install|remove``: manage the official DGFiP schema bundles."""

from __future__ import annotations

import os
from typing import NoReturn

import click

from pes_v2.bundles import (
    ENV_SCHEMAS,
    SchemaBundle,
    install_bundle,
    installed_bundles,
    remove_bundle,
)
from pes_v2.errors import PesError

from .common import fail

_MESSAGES: dict[str, dict[str, str]] = {
    "default": {"fr": "par défaut", "en": "default"},
    "embedded": {"fr": "intégré, PES_Aller seulement", "en": "embedded, PES_Aller only"},
    "none": {"fr": "Aucun jeu officiel installé.", "en": "No official bundle installed."},
    "env": {
        "fr": "{var}={value} remplace le jeu par défaut.",
        "en": "{var}={value} overrides the default bundle.",
    },
    "installed": {"fr": "Installé : {version} ({path})", "en": "Installed: {version} ({path})"},
    "removed": {"fr": "Supprimé : {version}", "en": "Removed: {version}"},
    "unavailable": {"fr": "indisponible : {reason}", "en": "unavailable: {reason}"},
}


def _t(key: str, lang: str, **values: str) -> str:
    return _MESSAGES[key][lang].format(**values)


def _fail(exc: Exception) -> NoReturn:
    """One line on stderr, exit code 2, never a traceback."""
    if isinstance(exc, PesError):
        fail(exc)
    fail(str(exc) or type(exc).__name__)


def _lang(ctx: click.Context) -> str:
    obj = ctx.find_object(dict)
    return str(obj.get("lang", "fr")) if obj else "fr"


@click.group("schemas")
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of the messages.",
)
@click.pass_context
def schemas(ctx: click.Context, lang: str) -> None:
    """Official DGFiP schema bundles: list, install, remove."""
    ctx.ensure_object(dict)["lang"] = lang


@schemas.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """Installed bundles (the default is marked) and the embedded one."""
    lang = _lang(ctx)
    try:
        bundles = installed_bundles()
    except (PesError, OSError) as exc:
        _fail(exc)
    if not bundles:
        click.echo(_t("none", lang))
    for item in bundles:
        mark = f"  ({_t('default', lang)})" if item.default else ""
        click.echo(f"{item.version:<10} {item.path}{mark}")
    click.echo(f"{'embedded':<10} {_embedded_note(lang, default=not bundles)}")
    override = os.environ.get(ENV_SCHEMAS, "").strip()
    if override:
        click.echo(_t("env", lang, var=ENV_SCHEMAS, value=override))


def _embedded_note(lang: str, *, default: bool) -> str:
    try:
        SchemaBundle.embedded()
    except (PesError, OSError) as exc:
        return _t("unavailable", lang, reason=str(exc))
    note = f"({_t('embedded', lang)})"
    return f"{note}  ({_t('default', lang)})" if default else note


@schemas.command("install")
@click.argument("path", type=click.Path(path_type=str))
@click.option(
    "--version",
    "version",
    default=None,
    metavar="V",
    help="Version to register it under (required when it cannot be detected).",
)
@click.pass_context
def install_command(ctx: click.Context, path: str, version: str | None) -> None:
    """Register the bundle at PATH (directory or zip) in the user's data directory."""
    try:
        bundle = install_bundle(path, version=version)
    except (PesError, OSError) as exc:
        _fail(exc)
    click.echo(_t("installed", _lang(ctx), version=bundle.version, path=bundle.location))


@schemas.command("remove")
@click.argument("version")
@click.pass_context
def remove_command(ctx: click.Context, version: str) -> None:
    """Unregister the bundle installed under VERSION."""
    try:
        remove_bundle(version)
    except (PesError, OSError) as exc:
        _fail(exc)
    click.echo(_t("removed", _lang(ctx), version=version))
