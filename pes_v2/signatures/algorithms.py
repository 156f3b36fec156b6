"""Algorithm identifiers (W3C URIs), namespaces and the DGFiP signature policy constants."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES_111 = "http://uri.etsi.org/01903/v1.1.1#"
XADES_122 = "http://uri.etsi.org/01903/v1.2.2#"
XADES_132 = "http://uri.etsi.org/01903/v1.3.2#"
XADES_NAMESPACES = (XADES_111, XADES_132, XADES_122)
"""XAdES namespaces accepted: 1.1.1 (the PES one), 1.3.2, and 1.2.2 (seen in real flows)."""

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_COMMENTS = C14N + "#WithComments"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_COMMENTS = EXC_C14N + "WithComments"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
CANONICALIZATIONS = {
    C14N: (False, False),
    C14N_COMMENTS: (False, True),
    EXC_C14N: (True, False),
    EXC_C14N_COMMENTS: (True, True),
}
"""Accepted canonicalisation URIs → (exclusive, with comments) (the Axyus verifier's list)."""

SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    SHA1: lambda data: hashlib.sha1(data).digest(),
    "http://www.w3.org/2001/04/xmldsig-more#sha224": lambda data: hashlib.sha224(data).digest(),
    SHA256: lambda data: hashlib.sha256(data).digest(),
    "http://www.w3.org/2001/04/xmldsig-more#sha384": lambda data: hashlib.sha384(data).digest(),
    "http://www.w3.org/2001/04/xmlenc#sha512": lambda data: hashlib.sha512(data).digest(),
}
"""Digest URIs → function."""

RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SIGNATURES: dict[str, hashes.HashAlgorithm] = {
    RSA_SHA1: hashes.SHA1(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha224": hashes.SHA224(),
    RSA_SHA256: hashes.SHA256(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512(),
}
"""RSA PKCS#1 v1.5 signature URIs → hash (the only key type PES signatures use)."""
WEAK = frozenset({SHA1, RSA_SHA1})
"""Refused by the DGFiP policy since 2018-09-01, still verified cryptographically."""

POLICY_OID = "1.2.250.1.131.1.5.18.21.1.7"
"""Politique de signature Hélios de la DGFiP, version 3 (18/05/2018)."""
POLICY_HASHES = {
    SHA256: "roF9+cfRHNPtVJolhdqfIqGMVuUXX8aR4rpiquf0u5E=",
    SHA1: "Ag9eHnx6opvWHDh9kR8QbRYDPRA=",
}
"""Digest of the policy document (the PDF), per algorithm (pes-rules §5.2)."""
POLICY_DESCRIPTION = "Politique de signature Helios de la DGFiP"
POLICY_SPURI = (
    "https://www.collectivites-locales.gouv.fr/files/files/finances_locales/"
    "dematerialisation/ps_helios_dgfip.pdf"
)
OLD_POLICY_OID = "1.2.250.1.131.1.5.18.21.1.4"
"""The SHA-1 era policy, refused since 2018-09-01."""
