"""Certificate facts and chain building, offline (no AIA fetching, no CRL download)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .status import Indication, SubIndication

MAX_CERT_BYTES = 16 * 1024
"""Largest DER certificate accepted (real ones are 1–3 KiB)."""
MAX_CHAIN_DEPTH = 8
MIN_RSA_BITS = 1024
MAX_RSA_BITS = 8192
MAX_EXPONENT_BITS = 64


@lru_cache(maxsize=256)
def load_certificate(der: bytes) -> x509.Certificate:
    """Parse a DER certificate; ``ValueError`` when it is not one or is absurdly large."""
    if len(der) > MAX_CERT_BYTES:
        raise ValueError(f"certificate of {len(der)} bytes (limit {MAX_CERT_BYTES})")
    return _read_whole(x509.load_der_x509_certificate(der))


def _read_whole(cert: x509.Certificate) -> x509.Certificate:
    """``cert``, its lazily parsed parts read now: a damaged certificate is refused here (as
    unreadable, ``ValueError``) rather than later, wherever a name or extension is first used."""
    try:
        cert.subject.rfc4514_string()
        cert.issuer.rfc4514_string()
        _ = cert.serial_number, cert.not_valid_before_utc, cert.not_valid_after_utc
        for _extension in cert.extensions:
            pass
    except Exception as exc:  # cryptography raises several types for damaged ASN.1
        raise ValueError(f"damaged certificate: {exc}") from None
    return cert


def key_problem(key: object) -> str | None:
    """Why a public key is unsafe to use (None when it is a sane RSA key)."""
    if not isinstance(key, rsa.RSAPublicKey):
        return f"{type(key).__name__}: only RSA keys are used for PES signatures"
    bits = key.key_size
    if not MIN_RSA_BITS <= bits <= MAX_RSA_BITS:
        return f"RSA key of {bits} bits (accepted: {MIN_RSA_BITS}–{MAX_RSA_BITS})"
    e = key.public_numbers().e
    if e < 3 or e % 2 == 0 or e.bit_length() > MAX_EXPONENT_BITS:
        return f"RSA public exponent {e} is not a sane odd value"
    return None


def common_name(name: x509.Name) -> str | None:
    found = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(found[0].value) if found else None


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def not_before(cert: x509.Certificate) -> datetime:
    return cert.not_valid_before_utc


def not_after(cert: x509.Certificate) -> datetime:
    return cert.not_valid_after_utc


def may_sign(cert: x509.Certificate) -> bool:
    """True when the key usage (if any) allows non-repudiation or digitalSignature."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(usage.digital_signature or usage.content_commitment)


_ALIASES = {
    "2.5.4.3": "cn",
    "2.5.4.6": "c",
    "2.5.4.7": "l",
    "2.5.4.8": "st",
    "2.5.4.10": "o",
    "2.5.4.11": "ou",
    "2.5.4.5": "serialnumber",
    "2.5.4.97": "organizationidentifier",
    "1.2.840.113549.1.9.1": "emailaddress",
    "e": "emailaddress",
    "s": "st",
    "oid.2.5.4.97": "organizationidentifier",
}
_SPLIT = re.compile(r"(?<!\\)[,+;]")


@lru_cache(maxsize=256)
def name_key(text: str) -> tuple[tuple[str, str], ...]:
    """A comparable form of a distinguished name written as a string (RFC 2253/4514 or the
    looser forms signature tools write): attribute order, case and spacing ignored."""
    parts = []
    for piece in _SPLIT.split(text):
        if "=" not in piece:
            continue
        key, _, value = piece.partition("=")
        key = key.strip().lower()
        key = _ALIASES.get(key, key)
        value = _hex_value(value.strip())
        value = re.sub(r"\\(.)", r"\1", value).strip().strip('"').lower()
        parts.append((key, " ".join(value.split())))
    return tuple(sorted(parts))


def _hex_value(value: str) -> str:
    """``#<hex BER>`` (RFC 4514 form for attributes without a string type) as its text."""
    if not value.startswith("#"):
        return value
    try:
        raw = bytes.fromhex(value[1:])
    except ValueError:
        return value
    if len(raw) < 2:
        return value
    length, start = raw[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
    return raw[start : start + length].decode("utf-8", "replace")


def same_name(text: str, name: x509.Name) -> bool:
    """True when the string ``text`` names ``name``."""
    return name_key(text) == name_key(name.rfc4514_string()) or name_key(text) == name_key(
        ",".join(f"{a.oid.dotted_string}={a.value!s}" for a in name)
    )


@dataclass(frozen=True)
class ChainResult:
    """Outcome of building a chain from a certificate to the trust anchors."""

    indication: Indication
    sub_indication: SubIndication | None
    path: tuple[str, ...] = ()
    """Subjects from the signer up to the anchor."""
    reason: str = ""


def load_anchors(pems: Iterable[bytes | str]) -> list[x509.Certificate]:
    """Parse PEM trust anchors (each item may hold several certificates)."""
    anchors: list[x509.Certificate] = []
    for pem in pems:
        data = pem.encode("ascii") if isinstance(pem, str) else pem
        anchors.extend(_read_whole(cert) for cert in x509.load_pem_x509_certificates(data))
    return anchors


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    if not constraints.ca:
        return False
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(usage.key_cert_sign)


def verify_chain(
    cert: x509.Certificate,
    anchors: Sequence[bytes | str | x509.Certificate] | None,
    *,
    at: datetime,
    intermediates: Sequence[x509.Certificate] = (),
    leaf_validity: bool = True,
) -> ChainResult:
    """Build and check the chain of ``cert`` up to one of ``anchors`` (PEM or parsed), with
    every certificate valid at ``at``. Without anchors the answer is INDETERMINATE
    (NO_CERTIFICATE_CHAIN_FOUND), never PASSED. Offline: revocation is not checked.

    ``leaf_validity=False`` leaves the validity period of ``cert`` itself to the caller
    (the signature rules report it on its own, PES-SIG-012): the chain is then judged on
    its issuers only."""
    if not anchors:
        return ChainResult(
            Indication.INDETERMINATE,
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            reason="no trust anchor given",
        )
    trusted = [a for a in anchors if isinstance(a, x509.Certificate)]
    trusted += load_anchors(a for a in anchors if not isinstance(a, x509.Certificate))
    at = utc(at)
    path = [cert]
    current = cert
    for _ in range(MAX_CHAIN_DEPTH):
        checked = leaf_validity or current is not cert
        if checked and not not_before(current) <= at <= not_after(current):
            sub = (
                SubIndication.NOT_YET_VALID
                if at < not_before(current)
                else SubIndication.OUT_OF_BOUNDS_NO_POE
            )
            return ChainResult(
                Indication.INDETERMINATE,
                sub,
                tuple(c.subject.rfc4514_string() for c in path),
                f"{current.subject.rfc4514_string()} not valid at {at.isoformat()}",
            )
        if any(current == anchor for anchor in trusted):
            return ChainResult(
                Indication.PASSED, None, tuple(c.subject.rfc4514_string() for c in path)
            )
        anchor = next((a for a in trusted if _issued_by(current, a)), None)
        if anchor is not None:
            if not _is_ca(anchor) or not not_before(anchor) <= at <= not_after(anchor):
                break
            path.append(anchor)
            return ChainResult(
                Indication.PASSED, None, tuple(c.subject.rfc4514_string() for c in path)
            )
        issuer = next(
            (c for c in intermediates if c not in path and _is_ca(c) and _issued_by(current, c)),
            None,
        )
        if issuer is None:
            break
        path.append(issuer)
        current = issuer
    return ChainResult(
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
        tuple(c.subject.rfc4514_string() for c in path),
        "no chain to a trust anchor",
    )
