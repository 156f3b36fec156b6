"""A test PKI and a signer producing DGFiP-shaped XAdES-EPES signatures.

Everything is made at test time with ``cryptography``, deterministically: the RSA primes
come from a seeded generator, so the same seed gives the same keys, certificates and
signatures (RSA PKCS#1 v1.5 is deterministic), and generated fixtures are stable.
These keys are for tests only: their "randomness" is public.

>>> from pes_v2.testing import FlowSpec, build_flow
>>> from pes_v2.testing.signing import DgfipSigner, sign_flow, test_pki
>>> pki = test_pki()
>>> data = build_flow(FlowSpec(seed=1, signed=True, signer=DgfipSigner.for_pki(pki)))
>>> whole = sign_flow(build_flow(FlowSpec(seed=1)), DgfipSigner.for_pki(pki))  # global only
"""

from __future__ import annotations

import base64
import dataclasses
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from cryptography.x509.oid import NameOID
from lxml import etree

from ..signatures import algorithms as A

__all__ = [
    "DgfipSigner",
    "TestPKI",
    "deterministic_rsa_key",
    "sign_flow",
    "sign_root",
    "test_pki",
]

DS = A.DS
XAD = A.XADES_111
_NSMAP = {"ds": DS}
_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def _probable_prime(n: int, rng: random.Random) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random, e: int) -> int:
    while True:
        n = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (n - 1) % e and _probable_prime(n, rng):
            return n


@cache
def deterministic_rsa_key(seed: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """An RSA key that depends only on ``seed`` (tests only)."""
    rng = random.Random(f"pes-v2 test key {seed}")
    e = 65537
    while True:
        p, q = _prime(bits // 2, rng, e), _prime(bits // 2, rng, e)
        if p != q and (p * q).bit_length() == bits:
            break
    p, q = max(p, q), min(p, q)
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q)
    )
    return numbers.private_key()


def _name(cn: str, org: str = "pes-v2 tests") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _cert(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    serial: int,
    start: datetime,
    end: datetime,
    *,
    ca: bool,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Identity:
    """A key and its certificate."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    def key_pem(self) -> bytes:
        return self.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(Encoding.PEM)


@dataclass(frozen=True)
class TestPKI:
    """A root CA with its signers, plus a foreign CA nobody trusts."""

    __test__ = False  # not a pytest class

    root: Identity
    signer: Identity
    """Valid 2020–2040, non-repudiation + digitalSignature."""
    expired: Identity
    """Same CA, valid only during 2019."""
    foreign_root: Identity
    foreign_signer: Identity
    """Chains to ``foreign_root``, not to ``root``."""
    no_usage: Identity
    """Same CA, key usage keyEncipherment only (may not sign)."""
    weak: Identity
    """Same CA, valid 2020–2040, but a 768-bit RSA key (below the 1024-bit floor)."""


def _utc(year: int, month: int = 1, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=timezone.utc)


@cache
def test_pki(seed: str = "0") -> TestPKI:
    """The test PKI for ``seed`` (cached; deterministic)."""
    names = ("root", "signer", "foreign", "intruder")
    keys = {n: deterministic_rsa_key(f"{seed}/{n}") for n in names}
    weak_key = deterministic_rsa_key(f"{seed}/weak", bits=768)
    root_name = _name("AC racine de test pes-v2")
    root = Identity(
        keys["root"],
        _cert(root_name, keys["root"], root_name, keys["root"], 1, _utc(2015), _utc(2045), ca=True),
    )

    def leaf(cn: str, serial: int, start: datetime, end: datetime) -> Identity:
        cert = _cert(
            _name(cn, "Commune de Test"),
            keys["signer"],
            root_name,
            keys["root"],
            serial,
            start,
            end,
            ca=False,
        )
        return Identity(keys["signer"], cert)

    signer = leaf("Marie Dupont (maire)", 0x1000_0000_0000_0001_2345, _utc(2020), _utc(2040))
    expired = leaf(
        "Marie Dupont (expiré)", 0x1000_0000_0000_0001_2346, _utc(2019), _utc(2019, 12, 31)
    )
    foreign_name = _name("AC étrangère", "Autre PKI")
    foreign_root = Identity(
        keys["foreign"],
        _cert(
            foreign_name,
            keys["foreign"],
            foreign_name,
            keys["foreign"],
            7,
            _utc(2015),
            _utc(2045),
            ca=True,
        ),
    )
    foreign_signer = Identity(
        keys["intruder"],
        _cert(
            _name("Jean Intrus", "Autre PKI"),
            keys["intruder"],
            foreign_name,
            keys["foreign"],
            8,
            _utc(2020),
            _utc(2040),
            ca=False,
        ),
    )
    usage_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Clé de chiffrement", "Commune de Test"))
        .issuer_name(root_name)
        .public_key(keys["signer"].public_key())
        .serial_number(0x99)
        .not_valid_before(_utc(2020))
        .not_valid_after(_utc(2040))
        .add_extension(
            x509.KeyUsage(False, False, True, False, False, False, False, False, False),
            critical=True,
        )
        .sign(keys["root"], hashes.SHA256())
    )
    weak_cert = _cert(
        _name("Marie Dupont (clé courte)", "Commune de Test"),
        weak_key,
        root_name,
        keys["root"],
        0x1000_0000_0000_0001_2347,
        _utc(2020),
        _utc(2040),
        ca=False,
    )
    return TestPKI(
        root,
        signer,
        expired,
        foreign_root,
        foreign_signer,
        Identity(keys["signer"], usage_cert),
        Identity(weak_key, weak_cert),
    )


test_pki.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _e(parent: Any, ns: str, tag: str, text: str | None = None, **attrib: str) -> Any:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrib)
    if text is not None:
        el.text = text
    return el


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class DgfipSigner:
    """Signs an element (a Bordereau or the PES_Aller root) with a DGFiP-shaped enveloped
    XAdES-EPES signature: exc-c14n, rsa-sha256, sha256, XAdES 1.1.1 signed properties
    (SigningTime, SigningCertificate, policy 1.2.250.1.131.1.5.18.21.1.7 and its hash,
    SignatureProductionPlace, SignerRole). Fields let tests produce defective variants.

    Use it as a :class:`~pes_v2.testing.FlowSpec` ``signer`` (it is called with each
    Bordereau), or through :func:`sign_flow` (bytes) or :func:`sign_root` (a tree) for a
    global signature.
    """

    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    signing_time: str = "2024-03-01T09:30:00Z"
    digest: str = A.SHA256
    method: str = A.RSA_SHA256
    c14n: str = A.EXC_C14N
    policy_oid: str = A.POLICY_OID
    policy_hash: str = A.POLICY_HASHES[A.SHA256]
    policy_digest: str = A.SHA256
    """The SigPolicyHash's DigestMethod (``policy_hash`` must be the policy's digest by it)."""
    city: str = "Rennes"
    postal_code: str = "35000"
    country: str = "FR"
    role: str = "Maire"
    cert_digest: str | None = None
    """Written as SigningCertificate/CertDigest/DigestValue instead of the real digest."""
    key_info_cert: x509.Certificate | None = None
    """Certificate written in KeyInfo instead of ``cert`` (the binding still names ``cert``)."""
    xades: str = XAD
    """Namespace of the XAdES properties (1.1.1, the PES one; 1.3.2 as newer tools write)."""
    v2: bool = False
    """SigningCertificateV2 (no IssuerSerial) and SignerRoleV2, as ETSI EN 319 132 writes
    them in the 1.3.2 namespace, instead of SigningCertificate and SignerRole."""
    omit: frozenset[str] = frozenset()
    """SignedSignatureProperties children left out, by name (e.g. ``SignerRole``). XAdES
    makes SignatureProductionPlace and SignerRole optional; the DGFiP policy requires
    them."""
    indent: bool = True
    """Indent the element before signing (a whole element freshly built, else the signature
    only), so that the builder's pretty printing does not change what was signed."""

    @classmethod
    def for_pki(cls, pki: TestPKI | None = None, **changes: Any) -> DgfipSigner:
        pki = pki or test_pki()
        changes.setdefault("key", pki.signer.key)
        changes.setdefault("cert", pki.signer.cert)
        return cls(**changes)

    def replace(self, **changes: Any) -> DgfipSigner:
        return dataclasses.replace(self, **changes)

    def __call__(self, element: Any) -> Any:
        return self.sign(element)

    def sign(self, element: Any, uri: str | None = None) -> Any:
        """Append the signature to ``element`` (which needs an ``Id``) and return it."""
        ident = element.get("Id")
        if not ident:
            raise ValueError(f"{element.tag} has no Id to sign")
        sid = f"{ident}_SIG"
        sig = etree.SubElement(element, f"{{{DS}}}Signature", nsmap=_NSMAP, Id=sid)
        si = _e(sig, DS, "SignedInfo")
        _e(si, DS, "CanonicalizationMethod", Algorithm=self.c14n)
        _e(si, DS, "SignatureMethod", Algorithm=self.method)
        ref = _e(si, DS, "Reference", URI=f"#{ident}" if uri is None else uri)
        tr = _e(ref, DS, "Transforms")
        _e(tr, DS, "Transform", Algorithm=A.ENVELOPED)
        _e(tr, DS, "Transform", Algorithm=self.c14n)
        _e(ref, DS, "DigestMethod", Algorithm=self.digest)
        ref_value = _e(ref, DS, "DigestValue", "")
        pref = _e(si, DS, "Reference", Type=f"{self.xades}SignedProperties", URI=f"#{sid}_SP")
        tr = _e(pref, DS, "Transforms")
        _e(tr, DS, "Transform", Algorithm=self.c14n)
        _e(pref, DS, "DigestMethod", Algorithm=self.digest)
        pref_value = _e(pref, DS, "DigestValue", "")
        value = _e(sig, DS, "SignatureValue", "")
        ki = _e(sig, DS, "KeyInfo")
        xd = _e(ki, DS, "X509Data")
        shown = self.key_info_cert or self.cert
        _e(xd, DS, "X509Certificate", _b64(shown.public_bytes(Encoding.DER)))
        obj = _e(sig, DS, "Object")
        qp = etree.SubElement(
            obj,
            f"{{{self.xades}}}QualifyingProperties",
            nsmap={"xad": self.xades},
            Target=f"#{sid}",
        )
        sp = _e(qp, self.xades, "SignedProperties", Id=f"{sid}_SP")
        self._signed_properties(_e(sp, self.xades, "SignedSignatureProperties"))
        if self.indent and (element.getparent() is None or element.text is None):
            etree.indent(element)  # a freshly built element, detached or in its stand-in place
        else:
            etree.indent(sig)
            prev = sig.getprevious()
            if prev is not None and prev.tail and "\n" in prev.tail:
                sig.tail, prev.tail = prev.tail, prev.tail + "  "
        self._fill(element, sig, ref_value, sp, pref_value, si, value)
        return sig

    def _signed_properties(self, ssp: Any) -> None:
        """SigningTime, SigningCertificate, the policy, the place and the role (less
        :attr:`omit`)."""
        if "SigningTime" not in self.omit:
            _e(ssp, self.xades, "SigningTime", self.signing_time)
        if "SigningCertificate" not in self.omit:
            name = "SigningCertificateV2" if self.v2 else "SigningCertificate"
            cert_el = _e(_e(ssp, self.xades, name), self.xades, "Cert")
            cd = _e(cert_el, self.xades, "CertDigest")
            _e(cd, self.xades, "DigestMethod", Algorithm=self.digest)
            der = self.cert.public_bytes(Encoding.DER)
            _e(cd, self.xades, "DigestValue", self.cert_digest or _b64(A.DIGESTS[self.digest](der)))
            if not self.v2:  # IssuerSerialV2 is optional; the digest names the certificate
                iss = _e(cert_el, self.xades, "IssuerSerial")
                _e(iss, DS, "X509IssuerName", self.cert.issuer.rfc4514_string())
                _e(iss, DS, "X509SerialNumber", str(self.cert.serial_number))
        if "SignaturePolicyIdentifier" not in self.omit:
            policy = _e(ssp, self.xades, "SignaturePolicyIdentifier")
            pid = _e(policy, self.xades, "SignaturePolicyId")
            spid = _e(pid, self.xades, "SigPolicyId")
            _e(spid, self.xades, "Identifier", f"urn:oid:{self.policy_oid}")
            _e(spid, self.xades, "Description", A.POLICY_DESCRIPTION)
            ph = _e(pid, self.xades, "SigPolicyHash")
            _e(ph, self.xades, "DigestMethod", Algorithm=self.policy_digest)
            _e(ph, self.xades, "DigestValue", self.policy_hash)
            qualifiers = _e(pid, self.xades, "SigPolicyQualifiers")
            q = _e(qualifiers, self.xades, "SigPolicyQualifier")
            _e(q, self.xades, "SPURI", A.POLICY_SPURI)
        if "SignatureProductionPlace" not in self.omit:
            place = _e(ssp, self.xades, "SignatureProductionPlace")
            _e(place, self.xades, "City", self.city)
            _e(place, self.xades, "PostalCode", self.postal_code)
            _e(place, self.xades, "CountryName", self.country)
        if "SignerRole" not in self.omit:
            role = "SignerRoleV2" if self.v2 else "SignerRole"
            roles = _e(_e(ssp, self.xades, role), self.xades, "ClaimedRoles")
            _e(roles, self.xades, "ClaimedRole", self.role)

    def _fill(
        self, element: Any, sig: Any, ref_value: Any, sp: Any, pref_value: Any, si: Any, value: Any
    ) -> None:
        digest = A.DIGESTS[self.digest]
        exclusive = self.c14n.startswith(A.EXC_C14N)

        def c14n(el: Any) -> bytes:
            return etree.tostring(el, method="c14n", exclusive=exclusive)  # type: ignore[no-any-return]

        parent, tail = element, sig.tail
        prev = sig.getprevious()
        saved = prev.tail if prev is not None else parent.text
        if tail:
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        index = parent.index(sig)
        parent.remove(sig)
        try:
            ref_value.text = _b64(digest(c14n(element)))
        finally:
            if prev is not None:
                prev.tail = saved
            else:
                parent.text = saved
            parent.insert(index, sig)
            sig.tail = tail
        pref_value.text = _b64(digest(c14n(sp)))
        hash_alg = A.SIGNATURES[self.method]
        value.text = _b64(self.key.sign(c14n(si), padding.PKCS1v15(), hash_alg))


DOMAIN_HEADERS = ("EnTeteDepense", "EnTeteRecette")
"""Headers whose ``InfoDematerialisee`` says whether a domain is signed."""


def sign_root(
    root: Any, signer: DgfipSigner, *, dematerialise: bool = True, uri: str | None = None
) -> Any:
    """Append a global signature of the whole PES_Aller ``root`` (an lxml element, which
    needs an ``Id``) and return it. ``dematerialise`` first sets every
    ``InfoDematerialisee`` to 1, as a signed flow must declare (PES-HDR-010); ``uri``
    replaces the first reference's ``#Id`` (to make defective signatures)."""
    if dematerialise:
        for demat in root.iterfind("*/*/InfoDematerialisee"):
            if demat.getparent().tag in DOMAIN_HEADERS:
                demat.set("V", "1")
    return signer.replace(indent=False).sign(root, uri=uri)


def sign_flow(data: bytes, signer: DgfipSigner, *, dematerialise: bool = True) -> bytes:
    """``data`` with a global signature of the whole PES_Aller appended to the root (see
    :func:`sign_root`); the XML declaration and encoding are kept."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    tree = etree.ElementTree(etree.fromstring(data, parser))
    encoding = tree.docinfo.encoding or "UTF-8"
    sign_root(tree.getroot(), signer, dematerialise=dematerialise)
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii")
    body: bytes = etree.tostring(tree.getroot(), encoding=encoding, xml_declaration=False)
    return head + body + b"\n"


def policy_digest() -> str:
    """The SHA-256 policy digest the signer writes (for docs and tests)."""
    return A.POLICY_HASHES[A.SHA256]
