"""Signature verification: interoperability with xmlsec1, mutations, wrapping, chains."""

from __future__ import annotations

import base64
import copy
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

import pes_v2
from pes_v2.findings import Severity
from pes_v2.signatures import Indication, SubIndication, verify_bytes, verify_chain
from pes_v2.signatures import algorithms as A
from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate
from pes_v2.testing.signing import DgfipSigner, sign_flow, sign_root
from pes_v2.testing.signing import test_pki as make_pki

XMLSEC1 = shutil.which("xmlsec1")
IN_CI = os.environ.get("CI") == "true"
needs_xmlsec1 = pytest.mark.skipif(
    XMLSEC1 is None and not IN_CI, reason="xmlsec1 is not installed (under CI=true: a failure)"
)
DS = "{" + A.DS + "}"
PES_NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
SIGNED_CORPUS = {
    # README §2.5: reference digests per signature, as the reference check found them.
    "s2low/2.3.1rev863__test__PHPUnit__lib__fixtures__HELIOS_SIMU_ALR2_bad_signature.xml": [False],
    "s2low/2.3.1rev863__test__PHPUnit__lib__fixtures__signature_bordereau_bad.xml": [False, False],
    "s2low/2.5.0__test__PHPUnit__helios__fixtures__pes_signe.xml": [False],
    "s2low/2.5.1__test__PHPUnit__lib__fixtures__HELIOS_SIMU_ALR2_1445334258_694103934.xml": [True],
    "s2low/test__PHPUnit__lib__fixtures__plusieurs_signatures.xml": [False, False, False],
    "s2low/test__PHPUnit__lib__fixtures__signature_bordereau.xml": [False, False],
    "s2low/test__PHPUnit__lib__fixtures__signature_bordereau2.xml": [True],
    "s2low/test__PHPUnit__lib__fixtures__signature_bordereau_double.xml": [True, True],
    "megalis-bretagne__pastell/test__PHPUnit__connecteur__glaneur-local__fixtures__pes_depot_"
    "vrac__PESALR2_49101169800000_171227_2045.xml": [True],
    "megalis-bretagne__pastell/test__PHPUnit__connecteur__libersign__fixtures__SHA256_bordereau"
    ".xml": [True],
    "megalis-bretagne__pastell/test__PHPUnit__connecteur__libersign__fixtures__fichier_signe.xml": [
        True
    ],
}


@pytest.fixture(scope="module")
def pki() -> Any:
    return make_pki()


@pytest.fixture(scope="module")
def signer(pki: Any) -> DgfipSigner:
    return DgfipSigner.for_pki(pki)


@pytest.fixture(scope="module")
def signed_flow(signer: DgfipSigner) -> bytes:
    spec = FlowSpec(
        seed=5, depense=2, recette=1, pieces=2, lines=2, pj=1, signed=True, signer=signer
    )
    return build_flow(spec)


@pytest.fixture(scope="module")
def global_flow(signed_flow: bytes, signer: DgfipSigner) -> bytes:
    return sign_flow(signed_flow, signer)


def xmlsec1_verdict(path: Path, index: int, trusted: Path | None = None) -> bool:
    if XMLSEC1 is None:
        pytest.fail("CI: xmlsec1 is missing (apt-get install -y xmlsec1)")
    root = etree.parse(str(path)).getroot()
    cmd = [str(XMLSEC1), "--verify", "--id-attr:Id", "Bordereau"]
    cmd += ["--id-attr:Id", f"{etree.QName(root).namespace}:PES_Aller"]
    for ns in A.XADES_NAMESPACES:
        cmd += ["--id-attr:Id", f"{ns}:SignedProperties"]
    cmd += ["--trusted-pem", str(trusted)] if trusted else ["--insecure"]
    xpath = f"(//*[local-name()='Signature' and namespace-uri()='{A.DS}'])[{index}]"
    cmd += ["--node-xpath", xpath, str(path)]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def _errors(report: pes_v2.Report) -> set[tuple[str, str | None]]:
    return {(f.rule, f.xpath) for f in report.findings if f.severity is Severity.ERROR}


# -- signer ------------------------------------------------------------------------------


def test_signed_flows_are_xsd_valid_and_clean(
    signed_flow: bytes, global_flow: bytes, official_v530: Path
) -> None:
    for data in (signed_flow, global_flow):
        report = pes_v2.validate(data, schemas=official_v530)
        assert [f for f in report.findings if f.severity is not Severity.INFO] == []
        infos = {f.rule for f in report.findings if f.severity is Severity.INFO}
        assert "PES-SIG-030" in infos  # chains not checked without trust anchors
    # A flow given as bytes or a path is read again whole: the global digest is verified.
    report = pes_v2.validate(global_flow, schemas="embedded")
    assert "PES-SIG-120" not in {f.rule for f in report.findings}
    assert report.signatures and {(s.indication, s.sub_indication) for s in report.signatures} == {
        (Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND)
    }
    # A caller's stream cannot be read twice: the digest is reported as not recomputed.
    report = pes_v2.validate(io.BytesIO(global_flow), schemas="embedded")
    assert "PES-SIG-120" in {f.rule for f in report.findings}


def test_global_digest_mismatch_found_by_the_second_read(global_flow: bytes) -> None:
    tampered = global_flow.replace(b'<Version V="2"/>', b'<Version V="1"/>', 1)
    assert tampered != global_flow
    report = pes_v2.validate(tampered, schemas="embedded")
    digest = [f for f in report.findings if f.rule == "PES-SIG-104"]
    assert len(digest) == 1
    assert digest[0].xpath == "/n:PES_Aller/ds:Signature[1]/ds:SignedInfo[1]/ds:Reference[1]"
    (status,) = [s for s in report.signatures if s.target == "flux"]
    assert status.sub_indication is SubIndication.HASH_FAILURE


def test_trust_anchors_make_a_good_signature_pass(signed_flow: bytes, tmp_path: Path) -> None:
    pki = make_pki()
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(pki.root.cert_pem())
    report = pes_v2.validate(signed_flow, schemas="embedded", trust=[root_pem])
    assert report.signatures and all(
        s.indication is Indication.PASSED for s in report.signatures
    ), report.signatures
    foreign = pes_v2.validate(signed_flow, schemas="embedded", trust=[pki.foreign_root.cert_pem()])
    assert {f.rule for f in foreign.errors} == {"PES-SIG-016"}


def test_signing_is_deterministic(signer: DgfipSigner) -> None:
    spec = FlowSpec(seed=9, depense=1, pieces=1, lines=1, signed=True, signer=signer)
    assert build_flow(spec) == build_flow(spec)


@needs_xmlsec1
def test_own_signatures_verify_with_xmlsec1(
    signed_flow: bytes, global_flow: bytes, pki: Any, tmp_path: Path
) -> None:
    trusted = tmp_path / "root.pem"
    trusted.write_bytes(pki.root.cert_pem())
    for name, data in (("bord.xml", signed_flow), ("global.xml", global_flow)):
        path = tmp_path / name
        path.write_bytes(data)
        found = verify_bytes(data)
        assert len(found) == (3 if name == "bord.xml" else 4)
        for item in found:
            assert item.verification.intact is True
            assert item.verification.problems == []
            assert xmlsec1_verdict(path, item.index, trusted)


# -- interoperability on the corpus ------------------------------------------------------


@needs_xmlsec1
@pytest.mark.parametrize("name", sorted(SIGNED_CORPUS))
def test_corpus_verdict_equals_xmlsec1(name: str, corpus_dir: Path) -> None:
    path = corpus_dir / name
    assert path.exists(), f"corpus file {name} missing from {corpus_dir}"
    found = verify_bytes(path.read_bytes())
    assert [f.verification.intact for f in found] == SIGNED_CORPUS[name]
    for item in found:
        assert item.verification.intact is xmlsec1_verdict(path, item.index), item.xpath


# -- mutations -----------------------------------------------------------------------------

SIGNATURE_MUTATIONS = sorted(n for n, m in MUTATIONS.items() if m.kind == "signature")
WITH_TRUST = {"sig.certificate_swapped": {"PES-SIG-016"}}
"""Rules that fire besides ``also`` once the test root is trusted: the certificate swapped
in is the foreign PKI's, which chains to no anchor given."""


def _reported(report: pes_v2.Report) -> set[tuple[str, str | None]]:
    return {(f.rule, f.xpath) for f in report.findings if f.severity is not Severity.INFO}


@pytest.mark.parametrize("name", SIGNATURE_MUTATIONS)
def test_signature_mutation_is_detected(name: str, signed_flow: bytes, pki: Any) -> None:
    unsigned = build_flow(FlowSpec(seed=4, depense=2, recette=1, pieces=2, lines=2))
    for base in (unsigned, signed_flow):
        for seed in (0, 1):
            result = mutate(base, name, seed=seed)
            for trust in ((), (pki.root.cert_pem(),)):
                report = pes_v2.validate(result.data, schemas="embedded", trust=trust)
                found = _reported(report)
                assert (result.rule, result.xpath) in found, (trust != (), sorted(found))
                extra = WITH_TRUST.get(name, set()) if trust else set()
                expected = {result.rule, *result.also} | extra
                assert {rule for rule, _ in found} == expected, (trust != (), sorted(found))


@pytest.mark.parametrize("name", SIGNATURE_MUTATIONS)
def test_structural_flag_says_whether_elements_change(name: str) -> None:
    """``structural`` is True exactly when the mutated flow's elements differ from the same
    flow signed the same way without the defect."""
    from pes_v2.testing.mutations_signature import sign_all

    base = build_flow(FlowSpec(seed=4, depense=2, recette=1, pieces=2, lines=2))
    reference = _tree(base)
    if name.startswith("sig.global_"):
        sign_root(reference, DgfipSigner.for_pki(make_pki()))
    else:
        sign_all(reference)
    mutated = _tree(mutate(base, name, seed=0).data)
    tags = [str(el.tag) for el in mutated.iter()]
    assert (tags != [str(el.tag) for el in reference.iter()]) is MUTATIONS[name].structural


def test_global_mutations_keep_bordereau_signatures(signed_flow: bytes) -> None:
    """On a flow signed per bordereau, a global mutation adds the global signature and
    leaves the bordereau signatures intact (shape: métier signatures plus a technical
    one)."""
    result = mutate(signed_flow, "sig.global_old_policy", seed=0)
    found = verify_bytes(result.data)
    assert [f.target for f in found] == ["bordereau"] * 3 + ["flux"]
    assert all(f.verification.intact for f in found)
    assert [p.check for p in found[-1].verification.problems] == [10]


# -- wrapping ------------------------------------------------------------------------------


def _tree(data: bytes) -> Any:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _bytes(root: Any) -> bytes:
    return b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + etree.tostring(
        root, encoding="ISO-8859-1", xml_declaration=False
    )


def _wrap_duplicate_id_elsewhere(root: Any) -> None:
    first, second = list(root.iter("Bordereau"))[:2]
    second.set("Id", first.get("Id"))


def _wrap_signed_copy_moved(root: Any) -> None:
    # The original signed bordereau moves into another's signature Object; a forged one
    # with the same Id takes its place and keeps the original signature.
    first = next(root.iter("Bordereau"))
    original = copy.deepcopy(first)
    first.find("BlocBordereau/IdBord").set("V", "4242")
    holder = list(root.iter("Bordereau"))[1].find(f"{DS}Signature")
    obj = holder.makeelement(f"{DS}Object", {})
    obj.append(original)
    holder.append(obj)


def _wrap_whitespace_injection(root: Any) -> None:
    first = next(root.iter("Bordereau"))
    bloc = first.find("BlocBordereau")
    bloc.text = bloc.text + " "


def _wrap_reference_to_ancestor(root: Any) -> None:
    first = next(root.iter("Bordereau"))
    first.remove(first.find(f"{DS}Signature"))
    DgfipSigner.for_pki(indent=False).sign(first, uri="#" + root.get("Id"))


def _wrap_second_signature(root: Any) -> None:
    first = next(root.iter("Bordereau"))
    extra = copy.deepcopy(first.find(f"{DS}Signature"))
    extra.set("Id", "forged")
    first.append(extra)


def _wrap_extra_certificate(root: Any) -> None:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    first = next(root.iter("Bordereau"))
    data = first.find(f"{DS}Signature/{DS}KeyInfo/{DS}X509Data")
    extra = data.makeelement(f"{DS}X509Certificate", {})
    extra.text = base64.b64encode(
        make_pki().foreign_signer.cert.public_bytes(Encoding.DER)
    ).decode()
    data.insert(0, extra)


WRAPPING = {
    "duplicate_id_elsewhere": (_wrap_duplicate_id_elsewhere, "PES-SIG-015"),
    "signed_copy_moved": (_wrap_signed_copy_moved, "PES-SIG-004"),
    "whitespace_injection": (_wrap_whitespace_injection, "PES-SIG-004"),
    "reference_to_ancestor": (_wrap_reference_to_ancestor, "PES-SIG-003"),
    "second_signature": (_wrap_second_signature, "PES-SIG-001"),
    "extra_certificate": (_wrap_extra_certificate, "PES-SIG-009"),
}


@pytest.mark.parametrize("name", sorted(WRAPPING))
def test_wrapping_variant_is_detected(name: str, signed_flow: bytes) -> None:
    edit, rule = WRAPPING[name]
    root = _tree(signed_flow)
    edit(root)
    report = pes_v2.validate(_bytes(root), schemas="embedded")
    assert rule in {f.rule for (f,) in zip(report.findings) if f.severity is Severity.ERROR}


def test_comment_injection_changes_nothing_signed(signed_flow: bytes) -> None:
    """A comment is not signed content (bare-name references exclude comments) and pes-v2
    drops comments when reading: what the rules read is what was signed."""
    root = _tree(signed_flow)
    bloc = next(root.iter("Bordereau")).find("BlocBordereau")
    bloc.insert(0, etree.Comment(" injecté "))
    data = _bytes(root)
    assert all(item.verification.intact for item in verify_bytes(data))
    report = pes_v2.validate(data, schemas="embedded")
    assert not [
        f
        for f in report.findings
        if f.rule.startswith("PES-SIG-0") and f.severity is not Severity.INFO
    ]


# -- certificates and chains -----------------------------------------------------------


def test_chain_with_anchors(pki: Any) -> None:
    from datetime import datetime, timezone

    at = datetime(2024, 3, 1, tzinfo=timezone.utc)
    anchors = [pki.root.cert_pem()]
    ok = verify_chain(pki.signer.cert, anchors, at=at)
    assert ok.indication is Indication.PASSED and len(ok.path) == 2
    foreign = verify_chain(pki.foreign_signer.cert, anchors, at=at)
    assert foreign.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    expired = verify_chain(pki.expired.cert, anchors, at=at)
    assert expired.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE
    none = verify_chain(pki.signer.cert, None, at=at)
    assert none.indication is Indication.INDETERMINATE


def test_key_usage_and_statuses(pki: Any) -> None:
    from pes_v2.records import FlowFacts
    from pes_v2.rules.signature import statuses

    signer = DgfipSigner.for_pki(pki, key=pki.no_usage.key, cert=pki.no_usage.cert)
    data = build_flow(FlowSpec(seed=2, depense=1, pieces=1, lines=1, signed=True, signer=signer))
    report = pes_v2.validate(data, schemas="embedded")
    assert "PES-SIG-013" in {f.rule for f in report.findings}
    found = verify_bytes(data)
    indication, sub = found[0].verification.indication(None)
    assert (indication, sub) == (Indication.INDETERMINATE, SubIndication.CHAIN_CONSTRAINTS_FAILURE)
    assert statuses(FlowFacts()) == []


def test_limits_are_findings_not_crashes(signed_flow: bytes) -> None:
    root = _tree(signed_flow)
    sig = next(root.iter("Bordereau")).find(f"{DS}Signature")
    info = sig.find(f"{DS}SignedInfo")
    ref = info.find(f"{DS}Reference")
    for _ in range(10):
        info.append(copy.deepcopy(ref))
    report = pes_v2.validate(_bytes(root), schemas="embedded")
    assert "PES-SIG-014" in {f.rule for f in report.findings}
    sig.find(f"{DS}SignatureValue").text = "!!! not base64 !!!"
    found = verify_bytes(_bytes(root))
    assert found[0].verification.intact is not True


def test_a_certificate_damaged_in_a_lazily_parsed_part_is_unreadable() -> None:
    """cryptography parses names lazily: a damaged issuer must be refused when the
    certificate is loaded, not raise later (found by the fuzzer)."""
    import base64

    from pes_v2.signatures.certs import load_certificate

    pki = make_pki()
    der = pki.signer.cert.public_bytes(serialization.Encoding.DER)
    damaged = der.replace(b"\x13\x02FR", b"\x13\x02F@", 1)  # '@' is no PrintableString
    assert damaged != der
    with pytest.raises(ValueError):
        load_certificate(damaged)
    signer = DgfipSigner.for_pki(pki)
    flow = build_flow(FlowSpec(seed=8, depense=1, signed=True, signer=signer))
    good = base64.b64encode(der)
    assert good in flow.replace(b"\n", b"")
    text = flow.decode("latin-1")
    start = text.index("<ds:X509Certificate>") + len("<ds:X509Certificate>")
    end = text.index("</ds:X509Certificate>", start)
    broken = text[:start] + base64.b64encode(damaged).decode() + text[end:]
    report = pes_v2.validate(broken.encode("latin-1"), schemas="embedded")
    assert "PES-SIG-002" in {f.rule for f in report.errors}


@pytest.mark.parametrize("serial", ["²", "9" * 5000, "١٢"])
def test_a_signing_certificate_serial_int_cannot_read_is_a_mismatch(
    signed_flow: bytes, serial: str
) -> None:
    """Python's int() refuses these though str.isdigit() accepts them."""
    text = signed_flow.decode("latin-1")
    tag = "X509SerialNumber>"
    start = text.index(tag) + len(tag)
    end = text.index("<", start)
    changed = (text[:start] + serial + text[end:]).encode("utf-8")
    changed = changed.replace(b'encoding="ISO-8859-1"', b'encoding="UTF-8"', 1)
    found = verify_bytes(changed)
    assert found and found[0].verification.intact is not True
    report = pes_v2.validate(changed, schemas="embedded")
    assert report.errors


def test_sha1_policy_digest_is_refused_as_weak(pki: Any) -> None:
    """The policy's own SHA-1 digest (its right value by that algorithm) was accepted with
    no finding: SHA-1 is refused wherever it is, the policy digest included."""
    signer = DgfipSigner.for_pki(pki, policy_digest=A.SHA1, policy_hash=A.POLICY_HASHES[A.SHA1])
    data = build_flow(FlowSpec(seed=6, depense=1, pieces=1, lines=1, signed=True, signer=signer))
    report = pes_v2.validate(data, schemas="embedded", lang="en")
    (weak,) = [f for f in report.findings if f.rule == "PES-SIG-006"]
    assert "SigPolicyHash/DigestMethod" in weak.message
    assert weak.xpath is not None and weak.xpath.endswith(
        "xad:SigPolicyHash[1]/xad:DigestMethod[1]"
    )
    assert "PES-SIG-011" not in {f.rule for f in report.findings}
    assert not report.valid


@pytest.mark.parametrize(
    "c14n", sorted(A.CANONICALIZATIONS), ids=lambda uri: uri.rsplit("/", 1)[-1]
)
def test_generated_bordereau_signatures_verify_with_every_c14n(
    pki: Any, c14n: str, tmp_path: Path
) -> None:
    """The generator signs each bordereau before writing it: inclusive C14N takes the
    root's namespace declarations in, so it must be signed where it will stand (it was
    signed detached, and every such signature failed)."""
    signer = DgfipSigner.for_pki(pki, c14n=c14n)
    data = build_flow(
        FlowSpec(seed=7, depense=1, recette=1, pieces=1, lines=1, signed=True, signer=signer)
    )
    report = pes_v2.validate(data, schemas="embedded")
    assert [s.intact for s in report.signatures] == [True, True]
    assert not [
        f
        for f in report.findings
        if f.rule.startswith("PES-SIG-0") and f.severity is not Severity.INFO
    ]
    if XMLSEC1 is not None or IN_CI:
        path = tmp_path / "flow.xml"
        path.write_bytes(data)
        trusted = tmp_path / "root.pem"
        trusted.write_bytes(pki.root.cert_pem())
        assert xmlsec1_verdict(path, 1, trusted) and xmlsec1_verdict(path, 2, trusted)


def test_xades_132_with_the_v2_properties_verifies(pki: Any) -> None:
    """ETSI EN 319 132 signers write SigningCertificateV2 (IssuerSerialV2 optional) and
    SignerRoleV2 in the 1.3.2 namespace, which is accepted: they were reported missing
    (PES-SIG-007). The certificate digest is still checked."""
    signer = DgfipSigner.for_pki(pki, xades=A.XADES_132, v2=True)
    data = build_flow(FlowSpec(seed=8, depense=1, pieces=1, lines=1, signed=True, signer=signer))
    assert b"SigningCertificateV2" in data and b"SignerRoleV2" in data
    report = pes_v2.validate(data, schemas="embedded")
    assert _errors(report) == set()
    assert [s.intact for s in report.signatures] == [True]
    # The signer is the certificate its CertDigest names, wherever it is in KeyInfo (which
    # is not signed): with the CA's first, the CA's key was used, and the value failed.
    root = etree.fromstring(data)
    (x509data,) = root.iter(f"{DS}X509Data")
    ca = etree.Element(f"{DS}X509Certificate")
    ca.text = base64.b64encode(pki.root.cert.public_bytes(serialization.Encoding.DER)).decode()
    x509data.insert(0, ca)
    chained = etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")
    report = pes_v2.validate(chained, schemas="embedded", trust=[pki.root.cert_pem()])
    assert _errors(report) == set()
    other = signer.replace(cert_digest="AAAA" + "A" * 40)
    wrong = build_flow(FlowSpec(seed=8, depense=1, pieces=1, lines=1, signed=True, signer=other))
    report = pes_v2.validate(wrong, schemas="embedded")
    assert "PES-SIG-009" in {rule for rule, _xpath in _errors(report)}
