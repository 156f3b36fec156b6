"""The public entry points: :func:`validate` and the lazy :func:`iter_findings`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .bundles import SchemaBundle, resolve_bundle
from .context import load_context
from .engine import LANGS, PROFILES, Options, Validation
from .errors import ConfigError, InputError
from .findings import Finding, Report
from .limits import DEFAULT_LIMITS, Limits
from .xmlio import Source, read_whole

TRUST_MAX_BYTES = 16 << 20
"""Largest trust-anchor file read (a PEM certificate takes some 2 KB)."""


def checked_options(
    schemas: str | os.PathLike[str] | SchemaBundle | None,
    profile: str,
    lang: str,
    limits: Limits | None,
    context: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    trust: Iterable[bytes | str | os.PathLike[str]] | None = None,
) -> Options:
    """The options of a validation, each checked now (:class:`ConfigError` when unusable)."""
    if lang not in LANGS:
        raise ConfigError(
            f"unknown language {lang!r}: choose one of {', '.join(LANGS)}",
            f"langue inconnue {lang!r} : choisir parmi {', '.join(LANGS)}",
        )
    if profile not in PROFILES:
        raise ConfigError(
            f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}",
            f"profil inconnu {profile!r} : choisir parmi {', '.join(PROFILES)}",
        )
    return Options(
        lang=lang,
        profile=profile,
        limits=limits or DEFAULT_LIMITS,
        bundle=resolve_bundle(schemas),
        context=load_context(context),
        trust=load_trust(trust),
    )


def load_trust(anchors: Iterable[bytes | str | os.PathLike[str]] | None) -> tuple[bytes, ...]:
    """PEM trust anchors from paths or PEM bytes (a path may hold several certificates),
    each read as certificates now: one that does not parse is a :class:`ConfigError` here,
    not a failure in the middle of a signature check."""
    pems: list[tuple[str | None, bytes]] = []
    if isinstance(anchors, (bytes, str, os.PathLike)):  # one anchor, not a sequence of them
        anchors = (anchors,)
    for anchor in anchors or ():
        if isinstance(anchor, bytes):
            pems.append((None, anchor))
            continue
        try:  # never waiting for a FIFO's writer
            pems.append((os.fspath(anchor), read_whole(anchor, TRUST_MAX_BYTES)))
        except InputError as exc:
            raise ConfigError(
                f"cannot read the trust anchors: {exc.message('en')}",
                f"autorités de confiance illisibles : {exc.message('fr')}",
            ) from None
    if pems:
        from .signatures.certs import load_anchors  # cryptography, only when anchors are given

        for path, pem in pems:
            try:
                parsed = b"-----BEGIN CERTIFICATE-----" in pem and load_anchors([pem])
            except ValueError:
                parsed = []
            if not parsed:
                en = "a trust anchor is not a PEM certificate"
                fr = "une autorité de confiance n'est pas un certificat PEM"
                raise ConfigError(
                    en if path is None else f"{path}: {en}",
                    fr if path is None else f"{path} : {fr}",
                )
    return tuple(pem for _path, pem in pems)


def iter_findings(
    source: Source,
    *,
    schemas: str | os.PathLike[str] | SchemaBundle | None = None,
    profile: str = "default",
    lang: str = "fr",
    limits: Limits | None = None,
    context: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    trust: Iterable[bytes | str | os.PathLike[str]] | None = None,
) -> Iterator[Finding]:
    """Yield the findings of one flow as the streaming pass meets them.

    ``source`` is a path, bytes or a binary file object.  ``schemas`` is None (the
    ``PES_V2_SCHEMAS`` variable, else the newest installed official bundle, else the
    embedded default), ``"embedded"``, a bundle directory or zip, or a
    :class:`~pes_v2.bundles.SchemaBundle`.  ``context`` is a JSON/TOML file or a mapping of
    Hélios-side facts (see :mod:`pes_v2.context`).  ``trust`` gives PEM trust anchors
    (paths or PEM bytes) for signature certificate chains.  Raises
    :class:`~pes_v2.PesError` only when the flow cannot be validated at all (unreadable path,
    unusable bundle, bad option).
    """
    yield from Validation(source, checked_options(schemas, profile, lang, limits, context, trust))


def validate(
    source: Source,
    *,
    schemas: str | os.PathLike[str] | SchemaBundle | None = None,
    profile: str = "default",
    lang: str = "fr",
    limits: Limits | None = None,
    context: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    trust: Iterable[bytes | str | os.PathLike[str]] | None = None,
) -> Report:
    """Validate one flow and return its :class:`~pes_v2.Report` (findings in document order)."""
    validation = Validation(source, checked_options(schemas, profile, lang, limits, context, trust))
    for _finding in validation:
        pass
    return validation.report()


__all__ = ["iter_findings", "validate"]
