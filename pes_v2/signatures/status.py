"""The verdict on one signature, in the words of ETSI EN 319 102-1."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Indication(str, enum.Enum):
    """Main status of a signature validation (EN 319 102-1 §5.1.3)."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(str, enum.Enum):
    """Why a signature is FAILED or INDETERMINATE (EN 319 102-1 Table 5, the subset used)."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    """Not a well-formed PES signature: misplaced, unreadable, wrong references."""
    HASH_FAILURE = "HASH_FAILURE"
    """A reference digest does not match: the signed content was changed."""
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    """The SignatureValue does not verify with the signer's public key."""
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    """A constraint of the DGFiP policy is not met (signed properties, policy id, UTC…)."""
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    """An algorithm the policy refuses (SHA-1) or an unsafe key."""
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    """The signing certificate is absent or does not match SigningCertificate."""
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    """The certificate may not sign (key usage)."""
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    """The certificate had expired at the claimed signing time."""
    NOT_YET_VALID = "NOT_YET_VALID"
    """The certificate was not yet valid at the claimed signing time."""
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    """No chain to a trust anchor: none was given, or none is reachable."""
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    """The signed data could not be read to recompute its digest (global signature)."""


@dataclass(frozen=True)
class SignatureStatus:
    """What pes-v2 concluded about one ``ds:Signature`` of a flow."""

    xpath: str
    """Where the ds:Signature is."""
    line: int | None
    target: str
    """``bordereau`` (a per-bordereau signature) or ``flux`` (a global one)."""
    bordereau: str | None
    """IdBord of the signed bordereau (bordereau signatures)."""
    indication: Indication
    sub_indication: SubIndication | None
    signer: str | None
    """Subject common name of the signing certificate, or its whole subject."""
    subject: str | None
    issuer: str | None
    serial: str | None
    signing_time: str | None
    """SigningTime as written in the signed properties."""
    algorithms: tuple[str, ...] = ()
    """Signature and digest method URIs used."""
    rules: tuple[str, ...] = ()
    """Ids of the rules that reported this signature."""
    intact: bool | None = None
    """True when every reference digest and the SignatureValue verify; None when a digest
    could not be recomputed."""

    @property
    def passed(self) -> bool:
        return self.indication is Indication.PASSED

    def as_dict(self) -> dict[str, object]:
        return {
            "xpath": self.xpath,
            "line": self.line,
            "target": self.target,
            "bordereau": self.bordereau,
            "indication": self.indication.value,
            "sub_indication": None if self.sub_indication is None else self.sub_indication.value,
            "signer": self.signer,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "signing_time": self.signing_time,
            "rules": list(self.rules),
        }

    def summary(self) -> str:
        """``INDICATION[/SUB_INDICATION]``, for reports."""
        if self.sub_indication is None:
            return self.indication.value
        return f"{self.indication.value}/{self.sub_indication.value}"
