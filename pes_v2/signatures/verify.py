"""Verification of one ``ds:Signature`` of a PES flow, the way Hélios does it.

The verifier never resolves a reference by itself: the caller says which element the
signature signs (its parent: a ``Bordereau`` or ``PES_Aller``), and the first reference
must designate exactly that element by its ``Id``; the second must designate this
signature's own ``xad:SignedProperties``. Anything else (other URIs, XPath or XSLT
transforms, external references) is refused, which defeats signature wrapping. Digests
and the signature value are computed with lxml's C14N and ``cryptography``; nothing is
fetched from the network.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from ..identifiers import natural_number
from . import algorithms as A
from .certs import (
    MAX_CERT_BYTES,
    common_name,
    key_problem,
    load_certificate,
    may_sign,
    not_after,
    not_before,
    same_name,
)
from .status import Indication, SubIndication

Element = Any

MAX_REFERENCES = 8
"""More references than this in one SignedInfo is refused (PES signatures have two)."""
MAX_CERTIFICATES = 10
"""More certificates than this in one KeyInfo is refused."""
MAX_BASE64_CHARS = 64 * 1024
"""Longest SignatureValue / DigestValue text read."""

_DS = "{" + A.DS + "}"
_SIGNATURE = _DS + "Signature"
_TIME = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
_OID_PREFIX = re.compile(r"^(urn:oid:|oid:)", re.IGNORECASE)

# Check codes: the rule id is PES-SIG-0NN for a bordereau signature, PES-SIG-1NN for a
# global one (see pes_v2.rules.signature).
PLACEMENT = 1
UNREADABLE = 2
REFERENCE = 3
DIGEST = 4
VALUE = 5
WEAK = 6
PROPERTIES = 7
NOT_UTC = 8
SIGNING_CERT = 9
POLICY_ID = 10
POLICY_HASH = 11
VALIDITY = 12
KEY_USAGE = 13
LIMITS = 14
NOT_RECOMPUTED = 20

_FAILED = {
    PLACEMENT: SubIndication.FORMAT_FAILURE,
    UNREADABLE: SubIndication.FORMAT_FAILURE,
    LIMITS: SubIndication.FORMAT_FAILURE,
    REFERENCE: SubIndication.FORMAT_FAILURE,
    DIGEST: SubIndication.HASH_FAILURE,
    VALUE: SubIndication.SIG_CRYPTO_FAILURE,
    WEAK: SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    PROPERTIES: SubIndication.SIG_CONSTRAINTS_FAILURE,
    NOT_UTC: SubIndication.SIG_CONSTRAINTS_FAILURE,
    POLICY_ID: SubIndication.SIG_CONSTRAINTS_FAILURE,
    POLICY_HASH: SubIndication.SIG_CONSTRAINTS_FAILURE,
}
_INDETERMINATE = {
    SIGNING_CERT: SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    KEY_USAGE: SubIndication.CHAIN_CONSTRAINTS_FAILURE,
    NOT_RECOMPUTED: SubIndication.SIGNED_DATA_NOT_FOUND,
}


@dataclass
class Problem:
    """One thing wrong with a signature: a check code, where, and why (fr, en)."""

    check: int
    element: Element
    value: str | None
    why_fr: str
    why_en: str
    sub: SubIndication | None = None


@dataclass
class Verification:
    """Everything learnt about one signature (the rule module turns it into findings)."""

    signature: Element
    target: str
    problems: list[Problem] = field(default_factory=list)
    referenced_id: str | None = None
    certificate: x509.Certificate | None = None
    signing_time: str | None = None
    signing_moment: datetime | None = None
    algorithms: list[str] = field(default_factory=list)
    digests_ok: bool | None = None
    """All reference digests match (None: one could not be recomputed)."""
    value_ok: bool | None = None
    """The SignatureValue verifies (None: no key to verify it with)."""

    def add(self, check: int, element: Element, value: str | None, fr: str, en: str) -> None:
        self.problems.append(Problem(check, element, value, fr, en))

    @property
    def intact(self) -> bool | None:
        """The cryptographic verdict: every digest and the signature value verify."""
        if self.digests_ok is False or self.value_ok is False:
            return False
        if self.digests_ok is None or self.value_ok is None:
            return None
        return True

    def indication(self, chain: SubIndication | None) -> tuple[Indication, SubIndication | None]:
        """The ETSI status; ``chain`` is the chain sub-indication (None when it passed)."""
        checks = {p.check: p for p in self.problems}
        for code in (PLACEMENT, UNREADABLE, LIMITS, REFERENCE, DIGEST, VALUE, WEAK):
            if code in checks:
                return Indication.FAILED, _FAILED[code]
        for code in (PROPERTIES, NOT_UTC, POLICY_ID, POLICY_HASH):
            if code in checks:
                return Indication.FAILED, _FAILED[code]
        if VALIDITY in checks:
            sub = checks[VALIDITY].sub or SubIndication.OUT_OF_BOUNDS_NO_POE
            return Indication.INDETERMINATE, sub
        for code in (SIGNING_CERT, KEY_USAGE, NOT_RECOMPUTED):
            if code in checks:
                return Indication.INDETERMINATE, _INDETERMINATE[code]
        if self.value_ok is None:
            return Indication.INDETERMINATE, SubIndication.NO_SIGNING_CERTIFICATE_FOUND
        if chain is not None:
            return Indication.INDETERMINATE, chain
        return Indication.PASSED, None


def _local(element: Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(element: Element | None, name: str) -> Element | None:
    """First child named ``name`` whatever its namespace (ds: or xad:, tools differ)."""
    if element is None:
        return None
    for child in element:
        if _local(child) == name:
            return child
    return None


def _path(element: Element | None, *names: str) -> Element | None:
    for name in names:
        element = _child(element, name)
    return element


def _text(element: Element | None) -> str:
    return "" if element is None or element.text is None else element.text.strip()


def _b64(element: Element | None) -> bytes | None:
    text = "" if element is None or element.text is None else element.text
    if len(text) > MAX_BASE64_CHARS:
        return None
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def canonical(
    element: Element,
    algorithm: str,
    prefixes: list[str] | None = None,
    without: Element | None = None,
) -> bytes:
    """C14N of ``element`` (``algorithm`` one of :data:`algorithms.CANONICALIZATIONS`),
    leaving out ``without`` (the enveloped-signature transform) when it lies inside."""
    exclusive, comments = A.CANONICALIZATIONS[algorithm]

    def render() -> bytes:
        return etree.tostring(  # type: ignore[no-any-return]
            element,
            method="c14n",
            exclusive=exclusive,
            with_comments=comments,
            inclusive_ns_prefixes=prefixes if exclusive and prefixes else None,
        )

    if without is None or not any(a is element for a in without.iterancestors()):
        return render()
    parent = without.getparent()
    index = parent.index(without)
    tail = without.tail
    previous = without.getprevious()
    saved = previous.tail if previous is not None else parent.text
    if tail:  # the Signature's tail text stays in the node-set: keep it in place
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(without)
    try:
        return render()
    finally:
        if previous is not None:
            previous.tail = saved
        else:
            parent.text = saved
        parent.insert(index, without)
        without.tail = tail


def _prefixes(method: Element | None) -> list[str] | None:
    inclusive = _child(method, "InclusiveNamespaces")
    if inclusive is None:
        return None
    return [p if p != "#default" else "" for p in (inclusive.get("PrefixList") or "").split()]


def parse_time(text: str) -> datetime | None:
    """An xs:dateTime as an aware datetime (UTC when no offset is written)."""
    match = _TIME.match(text)
    if match is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def verify_signature(
    signature: Element,
    signed: Element,
    *,
    target: str,
    content: bool = True,
) -> Verification:
    """Verify ``signature``, which must sign its parent ``signed`` (a Bordereau, or the
    PES_Aller root for a ``target="flux"`` signature). ``content=False`` says the signed
    element's content is not available (streamed away): its digest is then not
    recomputed and reported as such."""
    v = Verification(signature, target)
    signed_info = signature.find(_DS + "SignedInfo")
    value_el = signature.find(_DS + "SignatureValue")
    if signed_info is None or value_el is None:
        missing = "ds:SignedInfo" if signed_info is None else "ds:SignatureValue"
        v.add(UNREADABLE, signature, missing, f"{missing} absent", f"{missing} missing")
        return v
    c14n_el = signed_info.find(_DS + "CanonicalizationMethod")
    c14n = c14n_el.get("Algorithm") if c14n_el is not None else None
    if c14n not in A.CANONICALIZATIONS:
        v.add(
            UNREADABLE,
            c14n_el if c14n_el is not None else signed_info,
            c14n,
            "canonicalisation non reconnue",
            "unknown canonicalisation",
        )
        return v
    method_el = signed_info.find(_DS + "SignatureMethod")
    method = method_el.get("Algorithm") if method_el is not None else None
    if method not in A.SIGNATURES:
        v.add(
            UNREADABLE,
            method_el if method_el is not None else signed_info,
            method,
            "algorithme de signature non reconnu (RSA attendu)",
            "unknown signature algorithm (RSA expected)",
        )
        return v
    v.algorithms.append(method)
    references = signed_info.findall(_DS + "Reference")
    if len(references) > MAX_REFERENCES:
        v.add(
            LIMITS,
            references[MAX_REFERENCES],
            str(len(references)),
            f"{len(references)} références (au plus {MAX_REFERENCES})",
            f"{len(references)} references (at most {MAX_REFERENCES})",
        )
        return v
    properties, signed_props = _qualifying(signature, v)
    _references(v, signature, signed, references, signed_props, content)
    cert, key = _key(v, signature, signed_props)
    if key is not None:
        _value(v, signed_info, value_el, c14n, method, key)
    _weak(v, signed_info, signed_props)
    if properties is not None:
        _properties(v, signature, properties, signed_props, cert)
    if cert is not None:
        try:
            _certificate(v, cert)
        except ValueError:  # cryptography parses extensions lazily: a damaged one raises here
            v.add(
                UNREADABLE,
                signature,
                None,
                "extension de certificat illisible",
                "unreadable certificate extension",
            )
    return v


def _qualifying(signature: Element, v: Verification) -> tuple[Element | None, Element | None]:
    for obj in signature.iterfind(_DS + "Object"):
        for qp in obj:
            if _local(qp) == "QualifyingProperties" and etree.QName(qp).namespace in (
                A.XADES_NAMESPACES
            ):
                props = _child(qp, "SignedProperties")
                if props is None:
                    v.add(
                        PROPERTIES,
                        qp,
                        "SignedProperties",
                        "SignedProperties absent",
                        "SignedProperties missing",
                    )
                return qp, props
    v.add(
        PROPERTIES,
        signature,
        "QualifyingProperties",
        "pas de propriétés XAdES (QualifyingProperties)",
        "no XAdES properties (QualifyingProperties)",
    )
    return None, None


def _references(
    v: Verification,
    signature: Element,
    signed: Element,
    references: list[Element],
    signed_props: Element | None,
    content: bool,
) -> None:
    signed_id = signed.get("Id")
    props_id = signed_props.get("Id") if signed_props is not None else None
    label_fr = "du bordereau" if v.target == "bordereau" else "de PES_Aller"
    label_en = "the bordereau's" if v.target == "bordereau" else "PES_Aller's"
    content_ref = props_ref = None
    ok: bool | None = True
    for ref in references:
        uri = ref.get("URI")
        if uri is not None and uri.startswith("#") and props_id and uri[1:] == props_id:
            if props_ref is not None:
                v.add(
                    REFERENCE,
                    ref,
                    uri,
                    "propriétés signées référencées deux fois",
                    "signed properties referenced twice",
                )
                continue
            props_ref = ref
            target: Element = signed_props
        elif (uri is not None and signed_id and uri == "#" + signed_id) or (
            uri == "" and v.target == "flux"
        ):
            if content_ref is not None:
                v.add(
                    REFERENCE,
                    ref,
                    uri,
                    "élément signé référencé deux fois",
                    "signed element referenced twice",
                )
                continue
            content_ref = ref
            v.referenced_id = signed_id
            if not content:
                v.add(
                    NOT_RECOMPUTED,
                    ref,
                    uri,
                    "empreinte du flux entier non recalculée pendant la lecture en flux",
                    "digest of the whole flow not recomputed by the streaming pass",
                )
                ok = None
                continue
            target = signed
        else:
            v.add(
                REFERENCE,
                ref,
                uri,
                f"la référence ne désigne ni l'Id {label_fr} qui porte la signature ni ses "
                "propriétés signées",
                f"the reference designates neither {label_en} Id nor its signed properties",
            )
            ok = False
            continue
        result = _digest(v, ref, target, signature)
        if result is False:
            ok = False
        elif result is None and ok is True:
            ok = None
    if content_ref is None:
        what_fr = (
            f"Id {label_fr} (« {signed_id} »)" if signed_id else f"l'élément {label_fr} sans Id"
        )
        what_en = f"{label_en} Id ('{signed_id}')" if signed_id else f"{label_en} element (no Id)"
        v.add(
            REFERENCE,
            signature.find(_DS + "SignedInfo"),
            signed_id,
            f"aucune référence ne désigne {what_fr}",
            f"no reference designates {what_en}",
        )
        ok = False
    if signed_props is not None and props_ref is None:
        v.add(
            REFERENCE,
            signature.find(_DS + "SignedInfo"),
            props_id,
            "les propriétés signées XAdES ne sont couvertes par aucune référence",
            "the XAdES signed properties are covered by no reference",
        )
        ok = False
    v.digests_ok = ok


def _digest(v: Verification, ref: Element, target: Element, signature: Element) -> bool | None:
    algorithm = A.C14N
    prefixes: list[str] | None = None
    enveloped = False
    for transform in ref.iterfind(f"{_DS}Transforms/{_DS}Transform"):
        name = transform.get("Algorithm")
        if name == A.ENVELOPED:
            enveloped = True
        elif name in A.CANONICALIZATIONS:
            algorithm = name
            prefixes = _prefixes(transform)
        else:
            v.add(
                REFERENCE,
                transform,
                name,
                "transformation refusée (seules enveloped-signature et C14N sont admises)",
                "transform refused (only enveloped-signature and C14N are accepted)",
            )
            return False
    method_el = ref.find(_DS + "DigestMethod")
    method = method_el.get("Algorithm") if method_el is not None else None
    if method not in A.DIGESTS:
        v.add(
            UNREADABLE,
            method_el if method_el is not None else ref,
            method,
            "algorithme d'empreinte non reconnu",
            "unknown digest algorithm",
        )
        return None
    v.algorithms.append(method)
    expected = _b64(ref.find(_DS + "DigestValue"))
    if not expected:
        v.add(
            UNREADABLE,
            ref,
            None,
            "DigestValue absente ou illisible",
            "DigestValue missing or unreadable",
        )
        return None
    try:
        data = canonical(target, algorithm, prefixes, signature if enveloped else None)
    except etree.C14NError:  # e.g. a namespace prefix left undeclared by a damaged file
        v.add(UNREADABLE, ref, None, "canonicalisation impossible", "canonicalisation failed")
        return None
    if A.DIGESTS[method](data) != expected:
        what_fr = (
            "le contenu signé a été modifié"
            if _local(target) != "SignedProperties"
            else "les propriétés signées ont été modifiées"
        )
        what_en = (
            "the signed content"
            if _local(target) != "SignedProperties"
            else "the signed properties"
        )
        v.add(
            DIGEST,
            ref,
            ref.get("URI"),
            f"l'empreinte ne correspond plus : {what_fr} après la signature",
            f"the digest does not match: {what_en} changed after signing",
        )
        return False
    return True


def _key(
    v: Verification, signature: Element, signed_props: Element | None
) -> tuple[x509.Certificate | None, Any]:
    key_info = signature.find(_DS + "KeyInfo")
    cert_els = [] if key_info is None else key_info.findall(f"{_DS}X509Data/{_DS}X509Certificate")
    if len(cert_els) > MAX_CERTIFICATES:
        v.add(
            LIMITS,
            cert_els[MAX_CERTIFICATES],
            str(len(cert_els)),
            f"{len(cert_els)} certificats dans KeyInfo (au plus {MAX_CERTIFICATES})",
            f"{len(cert_els)} certificates in KeyInfo (at most {MAX_CERTIFICATES})",
        )
        return None, None
    certs: list[tuple[Element, x509.Certificate, bytes]] = []
    for el in cert_els:
        der = _b64(el) if len(el.text or "") <= 2 * MAX_CERT_BYTES else None
        try:
            if not der:
                raise ValueError("empty")
            certs.append((el, load_certificate(der), der))
        except ValueError:
            v.add(UNREADABLE, el, None, "certificat X509 illisible", "unreadable X509 certificate")
    if not certs:
        if not cert_els:
            v.add(
                SIGNING_CERT,
                key_info if key_info is not None else signature,
                None,
                "pas de certificat du signataire (KeyInfo/X509Data/X509Certificate)",
                "no signer certificate (KeyInfo/X509Data/X509Certificate)",
            )
        return None, _key_value(key_info)
    chosen = certs[0]
    cert_el, _v2 = _signing_cert(_child(signed_props, "SignedSignatureProperties"))
    wanted = _child(cert_el, "CertDigest")
    method_el = _child(wanted, "DigestMethod")
    method = (method_el.get("Algorithm") or "") if method_el is not None else ""
    digest = _b64(_child(wanted, "DigestValue"))
    if digest and method in A.DIGESTS:
        for item in certs:
            if A.DIGESTS[method](item[2]) == digest:
                chosen = item
                break
    el, cert, _der = chosen
    for other_el, other, _ in certs:
        if other is cert:
            continue
        if not _issues_chain(other, cert, [c for _, c, _ in certs]):
            v.add(
                SIGNING_CERT,
                other_el,
                other.subject.rfc4514_string(),
                "KeyInfo contient un autre certificat que celui du signataire et de ses AC",
                "KeyInfo holds a certificate that is neither the signer's nor one of its CAs",
            )
    problem: str | None
    try:
        public_key = cert.public_key()
    # ValueError: e.g. an RSA exponent of 1; UnsupportedAlgorithm: a key type cryptography
    # does not know (KeyInfo is not signed: anyone can put such a certificate there).
    except (ValueError, UnsupportedAlgorithm) as exc:
        public_key, problem = None, f"unusable public key ({exc})"
    else:
        problem = key_problem(public_key)
    if problem is not None:
        v.add(LIMITS, el, None, f"clé refusée : {problem}", f"key refused: {problem}")
        return cert, None
    v.certificate = cert
    return cert, public_key


def _issues_chain(
    candidate: x509.Certificate, cert: x509.Certificate, pool: list[x509.Certificate]
) -> bool:
    """True when ``candidate`` is an issuer on the way up from ``cert`` (by names)."""
    current = cert
    for _ in range(len(pool) + 1):
        if current.issuer == candidate.subject:
            return True
        nxt = next((c for c in pool if c.subject == current.issuer and c is not current), None)
        if nxt is None or nxt.subject == nxt.issuer:
            return False
        current = nxt
    return False


def _key_value(key_info: Element | None) -> Any:
    """An RSA key from KeyInfo/KeyValue (used only when there is no certificate)."""
    rsa_el = _path(key_info, "KeyValue", "RSAKeyValue")
    modulus, exponent = _b64(_child(rsa_el, "Modulus")), _b64(_child(rsa_el, "Exponent"))
    if not modulus or not exponent:
        return None
    try:
        key = rsa.RSAPublicNumbers(
            int.from_bytes(exponent, "big"), int.from_bytes(modulus, "big")
        ).public_key()
    except ValueError:
        return None
    return key if key_problem(key) is None else None


def _value(
    v: Verification, signed_info: Element, value_el: Element, c14n: str, method: str, key: Any
) -> None:
    raw = _b64(value_el)
    if not raw:
        v.add(
            UNREADABLE,
            value_el,
            None,
            "SignatureValue absente ou illisible",
            "SignatureValue missing or unreadable",
        )
        return
    data = canonical(signed_info, c14n, _prefixes(signed_info.find(_DS + "CanonicalizationMethod")))
    hash_alg: hashes.HashAlgorithm = A.SIGNATURES[method]
    try:
        key.verify(raw, data, padding.PKCS1v15(), hash_alg)
    except (InvalidSignature, ValueError):
        v.value_ok = False
        v.add(
            VALUE,
            value_el,
            None,
            "la valeur de signature ne se vérifie pas avec la clé du certificat",
            "the signature value does not verify with the certificate's key",
        )
        return
    v.value_ok = True


def _weak(v: Verification, signed_info: Element, signed_props: Element | None) -> None:
    places: list[tuple[Element, str]] = []
    method_el = signed_info.find(_DS + "SignatureMethod")
    if method_el is not None and method_el.get("Algorithm") in A.WEAK:
        places.append((method_el, "SignatureMethod"))
    for ref in signed_info.iterfind(f"{_DS}Reference/{_DS}DigestMethod"):
        if ref.get("Algorithm") in A.WEAK:
            places.append((ref, "Reference/DigestMethod"))
    cert_el, _v2 = _signing_cert(_child(signed_props, "SignedSignatureProperties"))
    cert_digest = _path(cert_el, "CertDigest", "DigestMethod")
    if cert_digest is not None and cert_digest.get("Algorithm") in A.WEAK:
        places.append((cert_digest, "CertDigest/DigestMethod"))
    policy_digest = _path(
        signed_props,
        "SignedSignatureProperties",
        "SignaturePolicyIdentifier",
        "SignaturePolicyId",
        "SigPolicyHash",
        "DigestMethod",
    )
    if policy_digest is not None and policy_digest.get("Algorithm") in A.WEAK:
        places.append((policy_digest, "SigPolicyHash/DigestMethod"))
    if places:
        where = ", ".join(name for _, name in places)
        v.add(
            WEAK,
            places[0][0],
            places[0][0].get("Algorithm"),
            f"SHA-1 ({where}), refusé par la politique DGFiP depuis le 1er septembre 2018 : "
            "rsa-sha256 et sha256 sont exigés",
            f"SHA-1 ({where}), refused by the DGFiP policy since 1 September 2018: "
            "rsa-sha256 and sha256 are required",
        )


def _properties(
    v: Verification,
    signature: Element,
    qp: Element,
    props: Element | None,
    cert: x509.Certificate | None,
) -> None:
    sig_id = signature.get("Id")
    target = qp.get("Target")
    if sig_id and target != "#" + sig_id:
        v.add(
            PROPERTIES,
            qp,
            target,
            f"QualifyingProperties/@Target ne désigne pas « #{sig_id} »",
            f"QualifyingProperties/@Target does not designate '#{sig_id}'",
        )
    ssp = _child(props, "SignedSignatureProperties")
    if props is None:
        return
    missing: list[str] = []
    if ssp is None:
        v.add(
            PROPERTIES,
            props,
            "SignedSignatureProperties",
            "SignedSignatureProperties absent",
            "SignedSignatureProperties missing",
        )
        return
    time_el = _child(ssp, "SigningTime")
    if time_el is None or not _text(time_el):
        missing.append("SigningTime")
    else:
        text = _text(time_el)
        v.signing_time = text
        v.signing_moment = parse_time(text)
        if v.signing_moment is None or not text.endswith("Z"):
            v.add(
                NOT_UTC,
                time_el,
                text,
                "SigningTime doit être en UTC, au format AAAA-MM-JJThh:mm:ssZ",
                "SigningTime must be in UTC, written YYYY-MM-DDThh:mm:ssZ",
            )
    _signing_certificate(v, ssp, cert, missing)
    _policy(v, ssp, missing)
    place = _child(ssp, "SignatureProductionPlace")
    if place is None:
        missing.append("SignatureProductionPlace")
    else:
        for name in ("City", "PostalCode", "CountryName"):
            if not _text(_child(place, name)):
                missing.append(f"SignatureProductionPlace/{name}")
    roles = _path(ssp, "SignerRole", "ClaimedRoles")
    if roles is None:  # ETSI EN 319 132 (XAdES 1.3.2 namespace)
        roles = _path(ssp, "SignerRoleV2", "ClaimedRoles")
    if roles is None or not any(
        _local(r) == "ClaimedRole" and "".join(r.itertext()).strip() for r in roles
    ):
        missing.append("SignerRole/ClaimedRoles/ClaimedRole")
    if missing:
        text = ", ".join(missing)
        v.add(
            PROPERTIES,
            ssp,
            text,
            f"propriétés signées obligatoires absentes : {text}",
            f"mandatory signed properties missing: {text}",
        )


def _signing_cert(ssp: Element | None) -> tuple[Element | None, bool]:
    """The ``Cert`` of SigningCertificate, else of SigningCertificateV2 (ETSI EN 319 132, XAdES
    1.3.2 namespace: its IssuerSerialV2 is optional, the CertDigest names the certificate all
    the same), and whether it is the latter."""
    cert_el = _path(ssp, "SigningCertificate", "Cert")
    if cert_el is not None:
        return cert_el, False
    cert_el = _path(ssp, "SigningCertificateV2", "Cert")
    return cert_el, cert_el is not None


def _signing_certificate(
    v: Verification, ssp: Element, cert: x509.Certificate | None, missing: list[str]
) -> None:
    cert_el, v2 = _signing_cert(ssp)
    digest_el = _child(cert_el, "CertDigest")
    serial_el = _path(cert_el, "IssuerSerial", "X509SerialNumber")
    issuer_el = _path(cert_el, "IssuerSerial", "X509IssuerName")
    if (
        cert_el is None
        or digest_el is None
        or (not v2 and (serial_el is None or issuer_el is None))
    ):
        missing.append("SigningCertificate")
        return
    if cert is None:
        return
    method_el = _child(digest_el, "DigestMethod")
    method = method_el.get("Algorithm") if method_el is not None else None
    expected = _b64(_child(digest_el, "DigestValue"))
    der = cert.public_bytes(Encoding.DER)
    if method not in A.DIGESTS or not expected or A.DIGESTS[method](der) != expected:
        v.add(
            SIGNING_CERT,
            digest_el,
            None,
            "l'empreinte de SigningCertificate ne correspond pas au certificat de KeyInfo",
            "the SigningCertificate digest does not match the KeyInfo certificate",
        )
        return
    if serial_el is None or issuer_el is None:  # SigningCertificateV2: the digest was checked
        return
    serial_text = _text(serial_el)
    serial = natural_number(serial_text)  # a serial number has 20 bytes: 49 digits
    if serial is None or serial != cert.serial_number:
        v.add(
            SIGNING_CERT,
            serial_el,
            serial_text,
            f"X509SerialNumber ne correspond pas au certificat ({cert.serial_number})",
            f"X509SerialNumber does not match the certificate ({cert.serial_number})",
        )
    if not same_name(_text(issuer_el), cert.issuer):
        v.add(
            SIGNING_CERT,
            issuer_el,
            _text(issuer_el),
            f"X509IssuerName ne correspond pas à l'émetteur du certificat "
            f"({cert.issuer.rfc4514_string()})",
            f"X509IssuerName does not match the certificate's issuer "
            f"({cert.issuer.rfc4514_string()})",
        )


def _policy(v: Verification, ssp: Element, missing: list[str]) -> None:
    spi = _child(ssp, "SignaturePolicyIdentifier")
    if spi is None:
        missing.append("SignaturePolicyIdentifier")
        return
    pid = _child(spi, "SignaturePolicyId")
    if pid is None:
        v.add(
            POLICY_ID,
            spi,
            "SignaturePolicyImplied",
            "politique de signature implicite : la politique Hélios de la DGFiP "
            f"({A.POLICY_OID}) doit être identifiée",
            f"implied signature policy: the DGFiP Hélios policy ({A.POLICY_OID}) must be "
            "identified",
        )
        return
    ident_el = _path(pid, "SigPolicyId", "Identifier")
    oid = _OID_PREFIX.sub("", _text(ident_el))
    if not oid:
        missing.append("SigPolicyId/Identifier")
        return
    if oid != A.POLICY_OID:
        if oid == A.OLD_POLICY_OID:
            fr = (
                f"ancienne politique {oid} (SHA-1), refusée depuis le 1er septembre 2018 : "
                f"{A.POLICY_OID} attendue"
            )
            en = (
                f"old policy {oid} (SHA-1), refused since 1 September 2018: {A.POLICY_OID} expected"
            )
        else:
            fr = f"politique {oid} inconnue : la politique Hélios {A.POLICY_OID} est attendue"
            en = f"unknown policy {oid}: the Hélios policy {A.POLICY_OID} is expected"
        v.add(POLICY_ID, ident_el, _text(ident_el), fr, en)
        return
    hash_el = _child(pid, "SigPolicyHash")
    method_el = _child(hash_el, "DigestMethod")
    method = method_el.get("Algorithm") if method_el is not None else None
    value = _text(_child(hash_el, "DigestValue"))
    expected = A.POLICY_HASHES.get(method or "")
    if hash_el is None or not value:
        missing.append("SigPolicyHash")
    elif expected is None or "".join(value.split()) != expected:
        v.add(
            POLICY_HASH,
            _child(hash_el, "DigestValue")
            if _child(hash_el, "DigestValue") is not None
            else hash_el,
            value,
            f"empreinte de la politique incorrecte : {A.POLICY_HASHES[A.SHA256]} (SHA-256) "
            "attendue",
            f"wrong policy digest: {A.POLICY_HASHES[A.SHA256]} (SHA-256) expected",
        )


def _certificate(v: Verification, cert: x509.Certificate) -> None:
    moment = v.signing_moment
    key_info = v.signature.find(_DS + "KeyInfo")
    where = key_info if key_info is not None else v.signature
    if moment is not None and not not_before(cert) <= moment <= not_after(cert):
        early = moment < not_before(cert)
        bound = (not_before(cert) if early else not_after(cert)).strftime("%Y-%m-%dT%H:%M:%SZ")
        v.add(
            VALIDITY,
            where,
            v.signing_time,
            ("certificat pas encore valide" if early else "certificat expiré")
            + f" à la date de signature (valide {'à partir du' if early else 'jusqu’au'} {bound})",
            ("certificate not yet valid" if early else "certificate expired")
            + f" at the signing time (valid {'from' if early else 'until'} {bound})",
        )
        v.problems[-1].sub = (
            SubIndication.NOT_YET_VALID if early else SubIndication.OUT_OF_BOUNDS_NO_POE
        )
    if not may_sign(cert):
        v.add(
            KEY_USAGE,
            where,
            None,
            "l'usage de clé du certificat n'autorise pas la signature (nonRepudiation ou "
            "digitalSignature)",
            "the certificate's key usage does not allow signing (nonRepudiation or "
            "digitalSignature)",
        )


def signer_name(
    cert: x509.Certificate | None,
) -> tuple[str | None, str | None, str | None, str | None]:
    """(common name or subject, subject, issuer, serial) of a certificate."""
    if cert is None:
        return None, None, None, None
    subject = cert.subject.rfc4514_string()
    return (
        common_name(cert.subject) or subject,
        subject,
        cert.issuer.rfc4514_string(),
        str(cert.serial_number),
    )


def signatures_in(element: Element) -> Iterator[Element]:
    """Every ds:Signature at or below ``element``."""
    return element.iter(_SIGNATURE)  # type: ignore[no-any-return]
