"""Mutations for the signature checks (kind ``signature``).

A ``sig.*`` mutation first signs every bordereau of the flow with the test PKI of
:mod:`pes_v2.testing.signing` (and sets InfoDematerialisee to 1) when the flow carries no
signature yet, then breaks one signature, or the header facts that go with it, in one
way. A ``sig.global_*`` mutation signs the whole PES_Aller instead (replacing a global
signature already there; bordereau signatures are kept) and breaks that signature.
Flows from the generator can thus be mutated directly.

Not expressible as a mutation, because they depend on how the flow is validated and not
on its content: PES-SIG-016 and PES-SIG-116 (a chain not reaching the trust anchors given),
PES-SIG-030 (no trust anchors given) and PES-SIG-120 (a global signature's digest not
recomputed because the flow could not be read again).
"""

from __future__ import annotations

import copy
import random
from typing import Any

from lxml import etree

from ..signatures import algorithms as A
from .mutations import Mutation
from .signing import DOMAIN_HEADERS, DgfipSigner, sign_root, test_pki

DS = "{" + A.DS + "}"
XAD = "{" + A.XADES_111 + "}"
_NS = {"ds": A.DS, "xad": A.XADES_111}
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
"""Canonical XML 1.1: a real W3C algorithm, but not one Hélios accepts."""


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


def _unsign(element: Any) -> None:
    """Remove the ds:Signature child of ``element``, if any, keeping the indentation."""
    old = element.find(f"{DS}Signature")
    if old is None:
        return
    previous = old.getprevious()
    if previous is not None:
        previous.tail = old.tail
    element.remove(old)


def _resign(root: Any, rng: random.Random, **changes: Any) -> Any:
    """Replace the signature of a random bordereau by one made with ``changes``."""
    bord = _signed_bordereau(root, rng)
    _unsign(bord)
    return _signer(**changes).sign(bord)


def _c14n_11(sig: Any) -> Any:
    method = sig.find(f"{DS}SignedInfo/{DS}CanonicalizationMethod")
    method.set("Algorithm", C14N_11)
    return method


def _alter_value(sig: Any, rng: random.Random) -> Any:
    value = sig.find(f"{DS}SignatureValue")
    text = value.text.strip()
    i = rng.randrange(8, len(text) - 8)
    value.text = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]
    return value


def _content_changed(root: Any, rng: random.Random) -> list[Any]:
    bord = _signed_bordereau(root, rng)
    target = rng.choice(bord.findall(".//Adresse/Adr2") or bord.findall(".//IdBord"))
    if target.tag == "Adr2":
        target.set("V", "1 rue de l'Intrus")
    else:
        target.set("V", str(int(target.get("V")) + 1))
    return [bord.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference"), target]


def _value_altered(root: Any, rng: random.Random) -> list[Any]:
    return [_alter_value(_signed_bordereau(root, rng).find(f"{DS}Signature"), rng)]


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
    _unsign(bord)
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


def _unknown_c14n(root: Any, rng: random.Random) -> list[Any]:
    return [_c14n_11(_signed_bordereau(root, rng).find(f"{DS}Signature"))]


def _role_missing(root: Any, rng: random.Random) -> list[Any]:
    sig = _resign(root, rng, omit=frozenset({"SignerRole"}))
    return [sig.find(f".//{XAD}SignedSignatureProperties")]


def _may_not_sign(root: Any, rng: random.Random) -> list[Any]:
    pki = test_pki()
    sig = _resign(root, rng, key=pki.no_usage.key, cert=pki.no_usage.cert)
    return [sig.find(f"{DS}KeyInfo")]


def _weak_key(root: Any, rng: random.Random) -> list[Any]:
    pki = test_pki()
    sig = _resign(root, rng, key=pki.weak.key, cert=pki.weak.cert)
    return [sig.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")]


def _demat_zero(root: Any, rng: random.Random) -> list[Any]:
    sign_all(root)
    heads = [
        head
        for head in root.xpath("*[Bordereau/ds:Signature]/*", namespaces=_NS)
        if head.tag in DOMAIN_HEADERS and head.find("InfoDematerialisee") is not None
    ]
    if not heads:
        raise ValueError("the flow has no signed domain with InfoDematerialisee")
    demat = rng.choice(heads).find("InfoDematerialisee")
    demat.set("V", "0")
    return [demat]


def _bordereau_without_id(root: Any, rng: random.Random) -> list[Any]:
    bord = _signed_bordereau(root, rng)
    del bord.attrib["Id"]
    return [bord, bord.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference")]


def _left_unsigned(root: Any, rng: random.Random) -> list[Any]:
    sign_all(root)
    if root.find(f"{DS}Signature") is not None:
        raise ValueError("the flow has a global signature")
    found = [
        bord
        for bord in root.xpath("*/Bordereau[ds:Signature]", namespaces=_NS)
        if len(bord.getparent().xpath("Bordereau[ds:Signature]", namespaces=_NS)) > 1
    ]
    if not found:
        raise ValueError("the flow has no domain with two signed bordereaux")
    bord = rng.choice(found)
    _unsign(bord)
    return [bord]


# -- global signature (child of PES_Aller) ---------------------------------------------


def _sign_globally(root: Any, uri: str | None = None, **changes: Any) -> Any:
    """Sign the whole flow (replacing a global signature already there)."""
    if not root.get("Id"):
        raise ValueError("PES_Aller has no Id to sign")
    _unsign(root)
    return sign_root(root, _signer(**changes), uri=uri)


def _global_second(root: Any, rng: random.Random) -> list[Any]:
    first = _sign_globally(root)
    second = copy.deepcopy(first)
    for el in second.iter():
        if el.get("Id"):
            el.set("Id", el.get("Id") + "2")
    first.addnext(second)
    return [second]


def _global_unknown_c14n(root: Any, rng: random.Random) -> list[Any]:
    return [_c14n_11(_sign_globally(root))]


def _global_other_reference(root: Any, rng: random.Random) -> list[Any]:
    bords = [b for b in root.iter("Bordereau") if b.get("Id")]
    if not bords:
        raise ValueError("the flow has no bordereau with an Id")
    sig = _sign_globally(root, uri="#" + rng.choice(bords).get("Id"))
    return [sig.find(f"{DS}SignedInfo/{DS}Reference")]


def _global_content_changed(root: Any, rng: random.Random) -> list[Any]:
    sig = _sign_globally(root)
    target = root.find("EnTetePES/LibellePoste")
    if target is None:
        raise ValueError("the flow has no EnTetePES/LibellePoste")
    old = target.get("V")
    target.set("V", old.lower() if old.lower() != old else old[:-1] + ".")
    return [sig.find(f"{DS}SignedInfo/{DS}Reference"), target]


def _global_value_altered(root: Any, rng: random.Random) -> list[Any]:
    return [_alter_value(_sign_globally(root), rng)]


def _global_first(path: str, identity: str | None = None, **changes: Any) -> Any:
    """Sign the flow with ``changes`` (and the key and certificate of the test PKI's
    ``identity``, e.g. ``expired``); the element at fault is ``path`` in the signature."""

    def apply(root: Any, rng: random.Random) -> list[Any]:
        signer = dict(changes)
        if identity is not None:
            who = getattr(test_pki(), identity)
            signer.update(key=who.key, cert=who.cert)
        return [_sign_globally(root, **signer).find(path)]

    return apply


def _global_wrapped_copy(root: Any, rng: random.Random) -> list[Any]:
    sig = _sign_globally(root)
    forged = etree.Element("PES_Aller", Id=root.get("Id"))
    header = copy.deepcopy(root.find("EnTetePES"))
    for label in header.iterfind("LibelleColBud"):
        label.set("V", "Collectivité fictive")
    forged.append(header)
    obj = sig.makeelement(f"{DS}Object", {})
    obj.append(forged)
    sig.append(obj)
    return [sig, forged]


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
        structural=True,
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
        structural=True,
    ),
    Mutation(
        "sig.unknown_c14n",
        "A bordereau signature's CanonicalizationMethod is Canonical XML 1.1, which "
        "Hélios does not accept: the signature cannot be read.",
        "PES-SIG-002",
        "ERREUR_SIGNATURE_BORDEREAU_ILLISIBLE",
        "signature",
        _unknown_c14n,
    ),
    Mutation(
        "sig.signer_role_missing",
        "A bordereau signed without SignerRole (optional in XAdES, required by the DGFiP policy).",
        "PES-SIG-007",
        "ERREUR_SIGNATURE_BORDEREAU_INCOMPLETE",
        "signature",
        _role_missing,
        structural=True,
    ),
    Mutation(
        "sig.certificate_may_not_sign",
        "A bordereau signed with a certificate whose key usage is keyEncipherment only.",
        "PES-SIG-013",
        "ERREUR_CERTIFICAT",
        "signature",
        _may_not_sign,
    ),
    Mutation(
        "sig.weak_key",
        "A bordereau signed with a 768-bit RSA key (1024 bits at least).",
        "PES-SIG-014",
        "ERREUR_SIGNATURE_BORDEREAU_ILLISIBLE",
        "signature",
        _weak_key,
    ),
    Mutation(
        "sig.demat_not_declared",
        "A domain whose bordereaux are signed declares InfoDematerialisee 0.",
        "PES-HDR-010",
        "ERREUR_PES_SIGNATURE",
        "signature",
        _demat_zero,
    ),
    Mutation(
        "sig.bordereau_without_id",
        "A signed bordereau loses its Id attribute. Its signature's reference then "
        "designates nothing, so the reference check fires as well.",
        "PES-HDR-011",
        "ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
        "signature",
        _bordereau_without_id,
        also=("PES-SIG-003",),
    ),
    Mutation(
        "sig.bordereau_left_unsigned",
        "One bordereau's signature is removed while the others of its domain stay signed "
        "(no global signature).",
        "PES-HDR-012",
        None,
        "signature",
        _left_unsigned,
        structural=True,
    ),
    Mutation(
        "sig.global_second_signature",
        "A second global signature follows the first one. The XSD allows one, and the "
        "first signature's digest covers the second (only the first is enveloped).",
        "PES-SIG-101",
        "ERREUR_PES_SIGNATURE",
        "signature",
        _global_second,
        also=("PES-XSD-003", "PES-SIG-104"),
        structural=True,
    ),
    Mutation(
        "sig.global_unknown_c14n",
        "The global signature's CanonicalizationMethod is Canonical XML 1.1.",
        "PES-SIG-102",
        "ERREUR_SIGNATURE_ILLISIBLE",
        "signature",
        _global_unknown_c14n,
    ),
    Mutation(
        "sig.global_reference_bordereau",
        "The global signature's first reference designates a bordereau, not PES_Aller.",
        "PES-SIG-103",
        "ERREUR_SIGNATURE_INVALIDE",
        "signature",
        _global_other_reference,
    ),
    Mutation(
        "sig.global_content_changed",
        "EnTetePES/LibellePoste changed after the whole flow was signed.",
        "PES-SIG-104",
        "ERREUR_SIGNATURE_INVALIDE",
        "signature",
        _global_content_changed,
    ),
    Mutation(
        "sig.global_value_altered",
        "One character of the global SignatureValue changed.",
        "PES-SIG-105",
        "ERREUR_SIGNATURE_INVALIDE",
        "signature",
        _global_value_altered,
    ),
    Mutation(
        "sig.global_sha1",
        "The whole flow signed with rsa-sha1 and sha1 digests.",
        "PES-SIG-106",
        "ERREUR_SIGNATURE_INVALIDE",
        "signature",
        _global_first(f"{DS}SignedInfo/{DS}SignatureMethod", digest=A.SHA1, method=A.RSA_SHA1),
    ),
    Mutation(
        "sig.global_signer_role_missing",
        "The whole flow signed without SignerRole.",
        "PES-SIG-107",
        "ERREUR_SIGNATURE_INCOMPLETE",
        "signature",
        _global_first(f".//{XAD}SignedSignatureProperties", omit=frozenset({"SignerRole"})),
        structural=True,
    ),
    Mutation(
        "sig.global_signing_time_local",
        "The global SigningTime written with a +01:00 offset, not UTC.",
        "PES-SIG-108",
        "ERREUR_SIGNATURE_INVALIDE",
        "signature",
        _global_first(f".//{XAD}SigningTime", signing_time="2024-03-01T10:30:00+01:00"),
    ),
    Mutation(
        "sig.global_signing_cert_digest",
        "The global signature's SigningCertificate digest is not the certificate's.",
        "PES-SIG-109",
        "ERREUR_SIGNATURE_INVALIDE",
        "signature",
        _global_first(
            f".//{XAD}CertDigest", cert_digest="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        ),
    ),
    Mutation(
        "sig.global_old_policy",
        "The whole flow signed under policy 1.2.250.1.131.1.5.18.21.1.4 (old).",
        "PES-SIG-110",
        "ERREUR_SIGNATURE_INVALIDE",
        "signature",
        _global_first(f".//{XAD}SigPolicyId/{XAD}Identifier", policy_oid=A.OLD_POLICY_OID),
    ),
    Mutation(
        "sig.global_policy_hash",
        "The global signature's SigPolicyHash is not the policy document's digest.",
        "PES-SIG-111",
        "ERREUR_SIGNATURE_INVALIDE",
        "signature",
        _global_first(
            f".//{XAD}SigPolicyHash/{XAD}DigestValue", policy_hash="Jkdb+aba0Hz6+ZPKmKNhPByzQ+Q="
        ),
    ),
    Mutation(
        "sig.global_expired_certificate",
        "The whole flow signed with a certificate expired at SigningTime.",
        "PES-SIG-112",
        "ERREUR_CERTIFICAT",
        "signature",
        _global_first(f"{DS}KeyInfo", "expired"),
    ),
    Mutation(
        "sig.global_certificate_may_not_sign",
        "The whole flow signed with a certificate whose key usage is keyEncipherment only.",
        "PES-SIG-113",
        "ERREUR_CERTIFICAT",
        "signature",
        _global_first(f"{DS}KeyInfo", "no_usage"),
    ),
    Mutation(
        "sig.global_weak_key",
        "The whole flow signed with a 768-bit RSA key.",
        "PES-SIG-114",
        "ERREUR_SIGNATURE_ILLISIBLE",
        "signature",
        _global_first(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate", "weak"),
    ),
    Mutation(
        "sig.global_wrapped_copy",
        "An element named PES_Aller with the root's Id (a forged header inside) hidden in "
        "the global signature's ds:Object.",
        "PES-SIG-115",
        "ERREUR_SIGNATURE_INVALIDE",
        "signature",
        _global_wrapped_copy,
        structural=True,
    ),
)
"""Mutations added to :data:`pes_v2.testing.MUTATIONS`, after the core ones."""
