"""Mutations for the signature checks (kind ``signature``).

Each mutation first signs every bordereau of the flow with the test PKI of
:mod:`pes_v2.testing.signing` (and sets InfoDematerialisee to 1) when the flow carries no
signature yet, then breaks one signature in one way. Flows from the generator can thus be
mutated directly.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from ..signatures import algorithms as A
from .mutations import Mutation
from .signing import DgfipSigner, test_pki

DS = "{" + A.DS + "}"
XAD = "{" + A.XADES_111 + "}"
_NS = {"ds": A.DS, "xad": A.XADES_111}


def _signer(**changes: Any) -> DgfipSigner:
    return DgfipSigner.for_pki(test_pki(), indent=False, **changes)


def sign_all(root: Any) -> None:
    """Sign every bordereau (and declare the flow dematerialised) unless something is
    signed already."""
    if root.find(f".//{DS}Signature") is not None:
        return
    for head in root.iter("EnTeteDepense", "EnTeteRecette"):
        demat = head.find("InfoDematerialisee")
        if demat is not None:
            demat.set("V", "1")
    signer = _signer()
    for bord in root.iter("Bordereau"):
        signer.sign(bord)


def _signed_bordereau(root: Any, rng: random.Random) -> Any:
    sign_all(root)
    found = root.xpath(".//Bordereau[ds:Signature]", namespaces=_NS)
    if not found:
        raise ValueError("the flow has no signed bordereau")
    return rng.choice(found)


def _resign(root: Any, rng: random.Random, **changes: Any) -> Any:
    """Replace the signature of a random bordereau by one made with ``changes``."""
    bord = _signed_bordereau(root, rng)
    old = bord.find(f"{DS}Signature")
    previous = old.getprevious()
    if previous is not None:
        previous.tail = old.tail
    bord.remove(old)
    return _signer(**changes).sign(bord)


def _content_changed(root: Any, rng: random.Random) -> list[Any]:
    bord = _signed_bordereau(root, rng)
    target = rng.choice(bord.findall(".//Adresse/Adr2") or bord.findall(".//IdBord"))
    if target.tag == "Adr2":
        target.set("V", "1 rue de l'Intrus")
    else:
        target.set("V", str(int(target.get("V")) + 1))
    return [bord.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference"), target]


def _value_altered(root: Any, rng: random.Random) -> list[Any]:
    value = _signed_bordereau(root, rng).find(f"{DS}Signature/{DS}SignatureValue")
    text = value.text.strip()
    i = rng.randrange(8, len(text) - 8)
    value.text = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]
    return [value]


def _certificate_swapped(root: Any, rng: random.Random) -> list[Any]:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    bord = _signed_bordereau(root, rng)
    cert = bord.find(f"{DS}Signature/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    other = test_pki().foreign_signer.cert.public_bytes(Encoding.DER)
    cert.text = base64.b64encode(other).decode("ascii")
    return [bord.find(f"{DS}Signature/{DS}SignatureValue"), cert]


def _cert_digest(root: Any, rng: random.Random) -> list[Any]:
    sig = _resign(root, rng, cert_digest="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    return [sig.find(f".//{XAD}CertDigest")]


def _sha1(root: Any, rng: random.Random) -> list[Any]:
    sig = _resign(root, rng, digest=A.SHA1, method=A.RSA_SHA1)
    return [sig.find(f"{DS}SignedInfo/{DS}SignatureMethod")]


def _old_policy(root: Any, rng: random.Random) -> list[Any]:
    sig = _resign(root, rng, policy_oid=A.OLD_POLICY_OID)
    return [sig.find(f".//{XAD}SigPolicyId/{XAD}Identifier")]


def _policy_hash(root: Any, rng: random.Random) -> list[Any]:
    sig = _resign(root, rng, policy_hash="Jkdb+aba0Hz6+ZPKmKNhPByzQ+Q=")
    return [sig.find(f".//{XAD}SigPolicyHash/{XAD}DigestValue")]


def _local_time(root: Any, rng: random.Random) -> list[Any]:
    sig = _resign(root, rng, signing_time="2024-03-01T10:30:00+01:00")
    return [sig.find(f".//{XAD}SigningTime")]


def _expired(root: Any, rng: random.Random) -> list[Any]:
    pki = test_pki()
    sig = _resign(root, rng, key=pki.expired.key, cert=pki.expired.cert)
    return [sig.find(f"{DS}KeyInfo")]


def _two_signatures(root: Any, rng: random.Random) -> list[Any]:
    bord = _signed_bordereau(root, rng)
    first = bord.find(f"{DS}Signature")
    second = copy.deepcopy(first)
    for el in second.iter():
        if el.get("Id"):
            el.set("Id", el.get("Id") + "2")
    first.addnext(second)
    second.tail, first.tail = first.tail, first.tail
    return [second]


def _other_bordereau(root: Any, rng: random.Random) -> list[Any]:
    sign_all(root)
    bords = [b for b in root.iter("Bordereau") if b.get("Id")]
    if len(bords) < 2:
        raise ValueError("the flow has fewer than two bordereaux")
    bord = rng.choice(bords)
    other = rng.choice([b for b in bords if b is not bord])
    old = bord.find(f"{DS}Signature")
    if old is not None:
        previous = old.getprevious()
        if previous is not None:
            previous.tail = old.tail
        bord.remove(old)
    sig = _signer().sign(bord, uri="#" + other.get("Id"))
    return [sig.find(f"{DS}SignedInfo/{DS}Reference")]


def _wrapped_copy(root: Any, rng: random.Random) -> list[Any]:
    bord = _signed_bordereau(root, rng)
    sig = bord.find(f"{DS}Signature")
    clone = copy.deepcopy(bord)
    clone.remove(clone.find(f"{DS}Signature"))
    clone.find("BlocBordereau/IdBord").set("V", "9999999")
    obj = sig.makeelement(f"{DS}Object", {})
    obj.append(clone)
    sig.append(obj)
    return [sig, clone]


EXTRA: tuple[Mutation, ...] = (
    Mutation(
        "sig.content_changed",
        "A signed bordereau's content changed after signing.",
        "PES-SIG-004",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _content_changed,
    ),
    Mutation(
        "sig.value_altered",
        "One character of a SignatureValue changed.",
        "PES-SIG-005",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _value_altered,
    ),
    Mutation(
        "sig.certificate_swapped",
        "KeyInfo certificate replaced by another signer's.",
        "PES-SIG-005",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _certificate_swapped,
        also=("PES-SIG-009",),
    ),
    Mutation(
        "sig.signing_cert_digest",
        "SigningCertificate digest is not the certificate's.",
        "PES-SIG-009",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _cert_digest,
    ),
    Mutation(
        "sig.sha1",
        "Signed with rsa-sha1 and sha1 digests.",
        "PES-SIG-006",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _sha1,
    ),
    Mutation(
        "sig.old_policy",
        "Signature policy OID 1.2.250.1.131.1.5.18.21.1.4 (old).",
        "PES-SIG-010",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _old_policy,
    ),
    Mutation(
        "sig.policy_hash",
        "SigPolicyHash is not the policy document's digest.",
        "PES-SIG-011",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _policy_hash,
    ),
    Mutation(
        "sig.signing_time_local",
        "SigningTime written with a +01:00 offset, not UTC.",
        "PES-SIG-008",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _local_time,
    ),
    Mutation(
        "sig.expired_certificate",
        "Signed with a certificate expired at SigningTime.",
        "PES-SIG-012",
        "ERREUR_CERTIFICAT",
        "signature",
        _expired,
    ),
    Mutation(
        "sig.two_signatures",
        "A second ds:Signature on the same bordereau.",
        "PES-SIG-001",
        "ERREUR_PES_SIGNATURE",
        "signature",
        _two_signatures,
        also=("PES-XSD-003", "PES-SIG-004"),
    ),
    Mutation(
        "sig.reference_other_bordereau",
        "A bordereau's signature references another bordereau's Id.",
        "PES-SIG-003",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _other_bordereau,
    ),
    Mutation(
        "sig.wrapped_copy",
        "A copy of the signed bordereau, same Id, hidden in the signature's ds:Object.",
        "PES-SIG-015",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _wrapped_copy,
        also=("PES-XSD-005",),
    ),
)
"""Mutations added to :data:`pes_v2.testing.MUTATIONS`, after the core ones."""
