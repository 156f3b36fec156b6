"""Signature rules that depend on how a flow is validated, not on its content.

PES-SIG-016/116 need trust anchors that the signer's chain does not reach, PES-SIG-030
fires when no anchor is given, and PES-SIG-120 when a global signature's digest cannot be
recomputed (the flow is a caller's stream, or too large to be read again whole). No
mutation can express these; they are covered here. Also: the unsigned-bordereau path of
the signature rules, the signer's own validity versus its chain, and global signing.
"""

from __future__ import annotations

import base64
import copy
import io
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from lxml import etree

import pes_v2
from pes_v2.findings import Severity
from pes_v2.rules import signature as signature_rules
from pes_v2.signatures import Indication, SubIndication, verify_chain
from pes_v2.signatures import algorithms as A
from pes_v2.testing import FlowSpec, build_flow, mutate
from pes_v2.testing.signing import DgfipSigner, sign_flow, sign_root
from pes_v2.testing.signing import test_pki as make_pki

DS = "{" + A.DS + "}"
ROOT = "/n:PES_Aller"
GLOBAL_SIG = f"{ROOT}/ds:Signature[1]"


@pytest.fixture(scope="module")
def pki() -> Any:
    return make_pki()


@pytest.fixture(scope="module")
def bordereau_flow(pki: Any) -> bytes:
    signer = DgfipSigner.for_pki(pki)
    spec = FlowSpec(seed=21, depense=2, recette=1, pieces=2, lines=1, signed=True, signer=signer)
    return build_flow(spec)


@pytest.fixture(scope="module")
def global_flow(pki: Any) -> bytes:
    """Signed as a whole only (no bordereau signature)."""
    unsigned = build_flow(FlowSpec(seed=22, depense=1, recette=1, pieces=2, lines=1, pj=1))
    return sign_flow(unsigned, DgfipSigner.for_pki(pki))


def _reported(report: pes_v2.Report) -> set[tuple[str, str | None]]:
    return {(f.rule, f.xpath) for f in report.findings if f.severity is not Severity.INFO}


def _infos(report: pes_v2.Report, rule: str) -> list[Any]:
    return [f for f in report.findings if f.rule == rule and f.severity is Severity.INFO]


def _tree(data: bytes) -> Any:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _bytes(root: Any) -> bytes:
    return b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + etree.tostring(
        root, encoding="ISO-8859-1", xml_declaration=False
    )


# -- PES-SIG-016 / PES-SIG-116: chain not reaching the anchors given ----------------------


def test_bordereau_chain_not_trusted(bordereau_flow: bytes, pki: Any) -> None:
    report = pes_v2.validate(
        bordereau_flow, schemas="embedded", trust=[pki.foreign_root.cert_pem()]
    )
    bordereaux = [
        f"{ROOT}/PES_DepenseAller[1]/Bordereau[1]",
        f"{ROOT}/PES_DepenseAller[1]/Bordereau[2]",
        f"{ROOT}/PES_RecetteAller[1]/Bordereau[1]",
    ]
    assert _reported(report) == {
        ("PES-SIG-016", f"{b}/ds:Signature[1]/ds:KeyInfo[1]") for b in bordereaux
    }
    assert {s.sub_indication for s in report.signatures} == {
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    }
    trusted = pes_v2.validate(bordereau_flow, schemas="embedded", trust=[pki.root.cert_pem()])
    assert _reported(trusted) == set()
    assert {s.indication for s in trusted.signatures} == {Indication.PASSED}


def test_global_chain_not_trusted(global_flow: bytes, pki: Any) -> None:
    report = pes_v2.validate(global_flow, schemas="embedded", trust=[pki.foreign_root.cert_pem()])
    assert _reported(report) == {("PES-SIG-116", f"{GLOBAL_SIG}/ds:KeyInfo[1]")}
    (status,) = report.signatures
    assert (status.target, status.sub_indication) == (
        "flux",
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    trusted = pes_v2.validate(global_flow, schemas="embedded", trust=[pki.root.cert_pem()])
    assert _reported(trusted) == set()
    assert [s.indication for s in trusted.signatures] == [Indication.PASSED]


# -- PES-SIG-030: chains not checked without anchors --------------------------------------


def test_chains_not_checked_is_said_once_without_anchors(
    bordereau_flow: bytes, global_flow: bytes, pki: Any
) -> None:
    for data, count in (
        (bordereau_flow, 3),
        (sign_flow(bordereau_flow, DgfipSigner.for_pki(pki)), 4),
    ):
        report = pes_v2.validate(data, schemas="embedded")
        (info,) = _infos(report, "PES-SIG-030")
        assert info.xpath == ROOT and f"{count} signature" in info.message
        assert _reported(report) == set()
        trusted = pes_v2.validate(data, schemas="embedded", trust=[pki.root.cert_pem()])
        assert _infos(trusted, "PES-SIG-030") == []
    unsigned = build_flow(FlowSpec(seed=21, depense=2, recette=1, pieces=2, lines=1))
    assert _infos(pes_v2.validate(unsigned, schemas="embedded"), "PES-SIG-030") == []


# -- PES-SIG-120: global digest not recomputed ---------------------------------------------


def _not_recomputed(report: pes_v2.Report) -> list[Any]:
    found = [f for f in report.findings if f.rule == "PES-SIG-120"]
    # A signature half checked is not to be taken for a checked one.
    assert all(f.severity is Severity.WARNING for f in found)
    return found


def test_global_digest_not_recomputed_from_a_stream(global_flow: bytes) -> None:
    report = pes_v2.validate(io.BytesIO(global_flow), schemas="embedded")
    (warning,) = _not_recomputed(report)
    assert warning.xpath == f"{GLOBAL_SIG}/ds:SignedInfo[1]/ds:Reference[1]"
    assert _reported(report) == {("PES-SIG-120", warning.xpath)}
    (status,) = report.signatures
    assert (status.indication, status.sub_indication, status.intact) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
        None,
    )
    again = pes_v2.validate(global_flow, schemas="embedded")
    assert _not_recomputed(again) == []
    assert again.signatures[0].intact is True


def test_global_digest_not_recomputed_beyond_the_in_memory_limit(global_flow: bytes) -> None:
    small = pes_v2.Limits(max_signed_document_bytes=len(global_flow) - 1)
    report = pes_v2.validate(global_flow, schemas="embedded", limits=small)
    assert [f.xpath for f in _not_recomputed(report)] == [
        f"{GLOBAL_SIG}/ds:SignedInfo[1]/ds:Reference[1]"
    ]
    # A change the digest would have caught goes unseen, and the status says so.
    tampered = global_flow.replace(b'<Version V="2"/>', b'<Version V="1"/>', 1)
    report = pes_v2.validate(tampered, schemas="embedded", limits=small)
    assert "PES-SIG-104" not in {f.rule for f in report.findings}
    assert report.signatures[0].sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND
    # The limit raised: the same flow has its digest recomputed, and the change is found;
    # at its ceiling too (a buffer of the limit's size was allocated: MemoryError).
    for limits in (pes_v2.Limits(), pes_v2.Limits(max_signed_document_bytes=1 << 53)):
        report = pes_v2.validate(tampered, schemas="embedded", limits=limits)
        assert "PES-SIG-104" in {f.rule for f in report.findings}


def _tampered(flow: bytes) -> bytes:
    tampered = flow.replace(b'<Version V="2"/>', b'<Version V="1"/>', 1)
    assert tampered != flow
    return tampered


@pytest.mark.parametrize(
    "before_root",
    [b"<!--" + b"x" * 70_000 + b"-->\n", b"\n" * 70_000],
    ids=["long-comment", "many-blank-lines"],
)
def test_global_digest_recomputed_after_a_long_prolog(
    global_flow: bytes, before_root: bytes
) -> None:
    """What comes before the root counts in the streaming read's limit (1 MiB), not in a
    smaller one of the second read: a tampered flow with 70 KB there was found intact."""
    declaration, rest = _tampered(global_flow).split(b"?>", 1)
    report = pes_v2.validate(declaration + b"?>" + before_root + rest, schemas="embedded")
    assert _not_recomputed(report) == []
    assert ("PES-SIG-104", f"{GLOBAL_SIG}/ds:SignedInfo[1]/ds:Reference[1]") in _reported(report)


def test_the_two_reads_agree_on_the_prolog_bound(global_flow: bytes) -> None:
    """The streaming read took a root a chunk past ``max_prolog``, the second read did not:
    a tampered flow then passed with only PES-SIG-120. Now the root may start at
    ``max_prolog`` at most, for both."""
    declaration, rest = _tampered(global_flow).split(b"?>", 1)
    rest = rest[rest.index(b"<n:PES_Aller") :]
    limits = pes_v2.Limits(max_prolog=1024)
    for root_at, expected in ((1023, "PES-SIG-104"), (1024, "PES-SIG-104"), (1025, "PES-XML-007")):
        filler = b"x" * (root_at - len(declaration) - 2 - len(b"<!---->"))
        flow = declaration + b"?><!--" + filler + b"-->" + rest
        assert flow.index(b"<n:PES_Aller") == root_at
        report = pes_v2.validate(flow, schemas="embedded", limits=limits)
        rules = {f.rule for f in report.findings}
        assert expected in rules and "PES-SIG-120" not in rules, root_at


def test_global_digest_recomputed_from_standard_input(global_flow: bytes) -> None:
    """The command line copies standard input to a temporary file, which can be read again."""
    from click.testing import CliRunner

    from pes_v2.cli.main import cli

    result = CliRunner().invoke(
        cli, ["validate", "--format", "json", "-"], input=_tampered(global_flow)
    )
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)["files"]
    rules = {f["rule"] for f in entry["findings"]}
    assert "PES-SIG-104" in rules and "PES-SIG-120" not in rules
    assert entry["path"] == "-"
    result = CliRunner().invoke(cli, ["validate", "-"], input=global_flow)
    assert result.exit_code == 0, result.stdout


# -- the first of two global signatures is verified whole ---------------------------------


def test_first_of_two_global_signatures_has_its_digest_checked(global_flow: bytes) -> None:
    """The re-read flow's counterpart of the first global signature is the first one, not
    the last: appending a second signature changes what the first one signed."""
    result = mutate(global_flow, "sig.global_second_signature", seed=0)
    report = pes_v2.validate(result.data, schemas="embedded")
    assert _not_recomputed(report) == []
    assert ("PES-SIG-104", f"{GLOBAL_SIG}/ds:SignedInfo[1]/ds:Reference[1]") in _reported(report)
    assert ("PES-SIG-101", f"{ROOT}/ds:Signature[2]") in _reported(report)
    (status,) = report.signatures
    assert status.sub_indication is SubIndication.HASH_FAILURE


# -- the signer's own validity is PES-SIG-012, not a chain failure ------------------------


def test_expired_signer_is_not_also_an_untrusted_chain(pki: Any) -> None:
    signer = DgfipSigner.for_pki(pki, key=pki.expired.key, cert=pki.expired.cert)
    data = build_flow(FlowSpec(seed=23, depense=1, pieces=1, lines=1, signed=True, signer=signer))
    report = pes_v2.validate(data, schemas="embedded", trust=[pki.root.cert_pem()])
    key_info = f"{ROOT}/PES_DepenseAller[1]/Bordereau[1]/ds:Signature[1]/ds:KeyInfo[1]"
    assert _reported(report) == {("PES-SIG-012", key_info)}
    assert report.signatures[0].sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE
    # Expired and foreign: both are reported.
    foreign = pes_v2.validate(data, schemas="embedded", trust=[pki.foreign_root.cert_pem()])
    assert _reported(foreign) == {("PES-SIG-012", key_info), ("PES-SIG-016", key_info)}


def test_chain_leaf_validity_can_be_left_to_the_caller(pki: Any) -> None:
    at = datetime(2024, 3, 1, tzinfo=timezone.utc)
    anchors = [pki.root.cert_pem()]
    assert verify_chain(pki.expired.cert, anchors, at=at).sub_indication is (
        SubIndication.OUT_OF_BOUNDS_NO_POE
    )
    judged = verify_chain(pki.expired.cert, anchors, at=at, leaf_validity=False)
    assert judged.indication is Indication.PASSED and len(judged.path) == 2
    foreign = verify_chain(pki.foreign_signer.cert, anchors, at=at, leaf_validity=False)
    assert foreign.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND


# -- unsigned bordereaux: read from their children only ------------------------------------


def test_unsigned_bordereau_content_is_not_walked(
    bordereau_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Id search through a bordereau's content runs for signed bordereaux only."""
    walked: list[str] = []
    original = signature_rules._IDS

    def spy(element: Any) -> Any:
        walked.append(element.get("Id"))
        return original(element)

    monkeypatch.setattr(signature_rules, "_IDS", spy)
    unsigned = build_flow(FlowSpec(seed=21, depense=2, recette=1, pieces=2, lines=1))
    assert _reported(pes_v2.validate(unsigned, schemas="embedded")) == set()
    assert walked == []
    root = _tree(bordereau_flow)
    first = next(root.iter("Bordereau"))
    first.remove(first.find(f"{DS}Signature"))
    pes_v2.validate(_bytes(root), schemas="embedded")
    assert len(walked) == 2 and first.get("Id") not in walked


def test_unsigned_bordereau_sharing_a_signed_ones_id_is_wrapping(bordereau_flow: bytes) -> None:
    root = _tree(bordereau_flow)
    first, second = list(root.iter("Bordereau"))[:2]
    second.remove(second.find(f"{DS}Signature"))
    second.set("Id", first.get("Id"))
    report = pes_v2.validate(_bytes(root), schemas="embedded")
    signature = f"{ROOT}/PES_DepenseAller[1]/Bordereau[1]/ds:Signature[1]"
    assert ("PES-SIG-015", signature) in _reported(report)


def test_signatures_below_a_bordereaus_children(bordereau_flow: bytes) -> None:
    """A ds:Signature deeper than a Bordereau's children is refused by the XSD; next to the
    bordereau's own signature it is also a misplaced signature (PES-SIG-001)."""
    root = _tree(bordereau_flow)
    first = next(root.iter("Bordereau"))
    own = first.find(f"{DS}Signature")
    first.find("Piece").append(copy.deepcopy(own))
    report = pes_v2.validate(_bytes(root), schemas="embedded")
    nested = f"{ROOT}/PES_DepenseAller[1]/Bordereau[1]/Piece[1]/ds:Signature[1]"
    assert {("PES-SIG-001", nested), ("PES-XSD-003", nested)} <= _reported(report)
    # Without a signature child the bordereau is unsigned: its content is not searched, the
    # XSD alone reports the stray signature.
    first.remove(own)
    report = pes_v2.validate(_bytes(root), schemas="embedded")
    assert ("PES-XSD-003", nested) in _reported(report)
    assert not [rule for rule, _ in _reported(report) if rule.startswith("PES-SIG-0")]


# -- global signing ------------------------------------------------------------------------


def test_sign_flow_declares_the_flow_dematerialised(pki: Any) -> None:
    unsigned = build_flow(FlowSpec(seed=24, depense=1, recette=1, pieces=1, lines=1))
    assert unsigned.count(b'<InfoDematerialisee V="0"/>') == 2
    signed = sign_flow(unsigned, DgfipSigner.for_pki(pki))
    assert signed.count(b'<InfoDematerialisee V="1"/>') == 2
    assert _reported(pes_v2.validate(signed, schemas="embedded")) == set()
    kept = sign_flow(unsigned, DgfipSigner.for_pki(pki), dematerialise=False)
    assert {rule for rule, _ in _reported(pes_v2.validate(kept, schemas="embedded"))} == {
        "PES-HDR-010"
    }
    root = _tree(unsigned)
    sig = sign_root(root, DgfipSigner.for_pki(pki))
    assert sig.getparent() is root and root[-1] is sig


def test_signer_can_leave_out_optional_signed_properties(pki: Any) -> None:
    signer = DgfipSigner.for_pki(pki, omit=frozenset({"SignatureProductionPlace", "SignerRole"}))
    data = build_flow(FlowSpec(seed=25, depense=1, pieces=1, lines=1, signed=True, signer=signer))
    report = pes_v2.validate(data, schemas="embedded")
    (finding,) = [f for f in report.findings if f.severity is not Severity.INFO]
    assert finding.rule == "PES-SIG-007"
    assert "SignatureProductionPlace, SignerRole/ClaimedRoles/ClaimedRole" in finding.message
    assert report.signatures[0].intact is True


def test_weak_identity_has_a_short_key_from_the_test_root(pki: Any) -> None:
    assert pki.weak.cert.public_key().key_size == 768
    assert pki.weak.cert.issuer == pki.root.cert.subject


# -- a certificate whose key type cryptography does not know ------------------------------

_RSA_KEY_OID = bytes.fromhex("06092a864886f70d010101")  # 1.2.840.113549.1.1.1
_UNKNOWN_KEY_OID = bytes.fromhex("06092a864886f70d01017f")  # 1.2.840.113549.1.1.127


def _unknown_key_type(cert: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    der = cert.public_bytes(Encoding.DER)
    assert der.count(_RSA_KEY_OID) == 1
    return base64.b64encode(der.replace(_RSA_KEY_OID, _UNKNOWN_KEY_OID)).decode()


def test_signer_certificate_with_an_unknown_key_type(bordereau_flow: bytes, pki: Any) -> None:
    """KeyInfo is not signed: anyone can put such a certificate there. cryptography raises
    UnsupportedAlgorithm for its key, which stopped the validation (exit 3)."""
    root = _tree(bordereau_flow)
    (first, *_) = root.iter(f"{DS}X509Certificate")
    first.text = _unknown_key_type(pki.signer.cert)
    report = pes_v2.validate(_bytes(root), schemas="embedded")
    (refused,) = [f for f in report.findings if f.rule == "PES-SIG-014"]
    assert "clé refusée" in refused.message and refused.xpath.endswith("X509Certificate[1]")


def test_extra_certificate_with_an_unknown_key_type(bordereau_flow: bytes, pki: Any) -> None:
    """The same in a certificate added beside the signer's, looked at as a possible issuer
    when trust anchors are given."""
    root = _tree(bordereau_flow)
    (first, *_) = root.iter(f"{DS}X509Certificate")
    extra = etree.SubElement(first.getparent(), f"{DS}X509Certificate")
    extra.text = _unknown_key_type(pki.root.cert)
    report = pes_v2.validate(_bytes(root), schemas="embedded", trust=[pki.foreign_root.cert_pem()])
    assert "PES-SIG-016" in {f.rule for f in report.findings}
