"""``pes-v2 generate``: write a synthetic, correct (or mutated) PES_Aller flow."""

from __future__ import annotations

import json
import sys

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate, write_flow
from pes_v2.testing.signing import DgfipSigner

from .common import fail

__all__ = ["generate"]


@click.command("generate")
@click.option(
    "--depense",
    type=click.IntRange(0, 9_999_999),
    default=1,
    show_default=True,
    help="Number of dépense bordereaux.",
)
@click.option(
    "--recette",
    type=click.IntRange(0, 9_999_999),
    default=0,
    show_default=True,
    help="Number of recette bordereaux.",
)
@click.option(
    "--pieces",
    type=click.IntRange(1, 99_999),
    default=3,
    show_default=True,
    help="Pieces per bordereau.",
)
@click.option(
    "--lines",
    type=click.IntRange(1, 999_999),
    default=2,
    show_default=True,
    help="Lines per piece.",
)
@click.option(
    "--pj",
    type=click.IntRange(0, 9_999_999),
    default=0,
    show_default=True,
    help="Number of PES_PJ attachments.",
)
@click.option(
    "--pj-size",
    type=click.IntRange(1, 200_000_000),  # what a PJ may inflate to (Limits.max_pj_decompressed)
    default=2000,
    show_default=True,
    help="Size of each attachment in bytes, before gzip and base64.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option(
    "--encoding",
    type=click.Choice(["iso-8859-1", "utf-8"], case_sensitive=False),
    default="iso-8859-1",
    show_default=True,
)
@click.option(
    "--target-mb",
    type=click.FloatRange(0, 1_000_000, min_open=True),
    default=None,
    help="Add bordereaux until the flow reaches about this many MB (10^6 bytes).",
)
@click.option(
    "--mutate",
    "mutation",
    type=click.Choice(sorted(MUTATIONS)),
    default=None,
    help="Introduce one known defect (see the mutation catalogue).",
)
@click.option(
    "--sign",
    "key_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Sign every bordereau (XAdES, DGFiP policy) with this PEM private key (needs --cert).",
)
@click.option(
    "--cert",
    "cert_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="PEM certificate of the --sign key.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default=True,
    help="Output file, '-' for stdout.",
)
def generate(
    depense: int,
    recette: int,
    pieces: int,
    lines: int,
    pj: int,
    pj_size: int,
    seed: int,
    encoding: str,
    target_mb: float | None,
    mutation: str | None,
    key_file: str | None,
    cert_file: str | None,
    out: str,
) -> None:
    """Generate a synthetic PES_Aller flow, valid against the DGFiP XSD and the business
    rules, or carrying exactly one defect with --mutate."""
    if (key_file is None) != (cert_file is None):
        raise click.UsageError("--sign and --cert go together")
    signer = _signer(key_file, cert_file) if key_file and cert_file else None
    try:
        spec = FlowSpec(
            seed=seed,
            depense=depense,
            recette=recette,
            pieces=pieces,
            lines=lines,
            pj=pj,
            pj_size=pj_size,
            encoding=encoding,
            target_bytes=None if target_mb is None else int(target_mb * 1_000_000),
            signed=signer is not None,
            signer=signer,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        if mutation is not None:
            try:
                result = mutate(build_flow(spec), mutation, seed=seed)
            except ValueError as exc:
                raise click.UsageError(f"--mutate {mutation}: {exc}") from exc
            _emit(out, result.data)
            click.echo(f"{result.name}: {result.rule} at {result.xpath}", err=True)
            if result.context is not None:  # the rule only runs with these Hélios-side facts
                facts = json.dumps(dict(result.context), ensure_ascii=False)
                click.echo(f"context (validate with --context): {facts}", err=True)
        elif out == "-":
            write_flow(spec, sys.stdout.buffer)
        else:
            write_flow(spec, out)
    except OSError as exc:  # a folder that does not exist, a full disk…
        where = "stdout" if out == "-" else out
        fail(
            f"{where}: cannot write ({exc.strerror or exc})",
            fr=f"{where} : écriture impossible ({exc.strerror or exc})",
        )


def _signer(key_file: str, cert_file: str) -> DgfipSigner:
    """A DGFiP-shaped signer from PEM files (an RSA key and its certificate)."""
    try:
        with open(key_file, "rb") as stream:
            key = serialization.load_pem_private_key(stream.read(), password=None)
        with open(cert_file, "rb") as stream:
            cert = x509.load_pem_x509_certificate(stream.read())
    except (OSError, ValueError, TypeError) as exc:
        raise click.UsageError(f"--sign/--cert: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise click.UsageError("--sign: an RSA private key is needed")
    return DgfipSigner(key=key, cert=cert)


def _emit(out: str, data: bytes) -> None:
    if out == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(out, "wb") as f:
            f.write(data)
