"""PES-PJ-*: attachment content (base64, gzip, size, MIME type), RefCompta and PJRef."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import pes_v2
from pes_v2.findings import Severity
from pes_v2.limits import DEFAULT_LIMITS
from pes_v2.rules.pj import _read, _sniff
from pes_v2.testing import FlowSpec, build_flow

BASE = build_flow(FlowSpec(seed=5, depense=1, recette=1, pieces=2, lines=1, pj=3, pj_size=500))
PJ1 = "/n:PES_Aller/PES_PJ[1]/PJ[1]"
FICHIER = PJ1 + "/Contenu[1]/Fichier[1]"
REF1 = "/n:PES_Aller/PES_DepenseAller[1]/Bordereau[1]/Piece[1]/BlocPiece[1]/InfoPce[1]/PJRef[1]"


def tree() -> Any:
    return etree.fromstring(BASE)


def run(root: Any, lang: str = "fr") -> list[pes_v2.Finding]:
    data = etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")
    report = pes_v2.validate(data, schemas="embedded", lang=lang)
    return [f for f in report.findings if f.rule.startswith("PES-PJ-")]


def fichier(root: Any) -> Any:
    return root.find("PES_PJ/PJ/Contenu/Fichier")


def b64(payload: bytes) -> str:
    return "\n" + base64.encodebytes(payload).decode("ascii")


def test_generated_flow_has_no_pj_finding() -> None:
    assert run(tree()) == []


def test_bad_base64_character() -> None:
    root = tree()
    el = fichier(root)
    el.text = el.text[:40] + "!" + el.text[40:]
    (f,) = run(root)
    assert (f.rule, f.severity, f.xpath, f.ack) == (
        "PES-PJ-001",
        Severity.ERROR,
        FICHIER,
        "ERREUR_PJ",
    )
    assert f.line == el.sourceline and "'!'" in (f.value or "")


@pytest.mark.parametrize("text", ["QUJD=RA==", "QUJDRA===", "QUJDRB==", "QUJDR"])
def test_bad_base64_padding(text: str) -> None:
    assert _read(text, 1000).b64_error == "padding"


@settings(max_examples=300, deadline=None)
@given(
    payload=st.binary(min_size=1, max_size=40),
    step=st.integers(min_value=1, max_value=12),
    lead=st.integers(min_value=0, max_value=12),
)
def test_base64_padding_wherever_the_steps_cut(payload: bytes, step: int, lead: int) -> None:
    """The text is read in steps (1 MiB): a padding "==" cut between two steps is still
    padding (the second "=" was taken for data after the padding, PES-PJ-001 on a valid PJ)."""
    gzipped = gzip.compress(payload, mtime=0)
    content = _read(" " * lead + base64.b64encode(gzipped).decode("ascii"), 1000, step)
    assert content.b64_error is None and content.decoded == len(gzipped)


def test_base64_read_in_chunks_with_whitespace() -> None:
    payload = gzip.compress(b"%PDF-1.7 " * 300_000)
    content = _read(b64(payload).replace("\n", "\r\n  "), DEFAULT_LIMITS.max_pj_decompressed)
    assert content.readable and content.size == 2_700_000 and content.decoded == len(payload)


def test_not_gzip() -> None:
    root = tree()
    fichier(root).text = b64(b"%PDF-1.4 raw file, not compressed")
    (f,) = run(root, lang="en")
    assert (f.rule, f.xpath) == ("PES-PJ-002", FICHIER)
    assert "33 bytes after base64" in f.message and f.detail == "no magic 1f 8b"


def test_truncated_gzip() -> None:
    root = tree()
    fichier(root).text = b64(gzip.compress(b"%PDF-1.4 " * 100)[:-12])
    (f,) = run(root)
    assert (f.rule, f.detail) == ("PES-PJ-002", "truncated gzip stream")


def test_multi_member_gzip_and_trailing_zeros_are_fine() -> None:
    root = tree()
    fichier(root).text = b64(gzip.compress(b"%PDF-1.4 a") + gzip.compress(b" b") + bytes(8))
    assert run(root) == []


def test_empty_content() -> None:
    root = tree()
    fichier(root).text = b64(gzip.compress(b""))
    (f,) = run(root)
    assert (f.rule, f.severity, f.xpath) == ("PES-PJ-005", Severity.ERROR, FICHIER)
    fichier(root).text = ""
    assert [f.rule for f in run(root)] == ["PES-PJ-005"]


def test_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(bytes(50_000_000), compresslevel=9)
    content = _read(b64(bomb), 1_000_000)
    assert content.over_cap and content.size <= 1_000_000 + (1 << 16)
    root = tree()
    fichier(root).text = b64(bomb)
    assert run(root) == []  # 50 MB of zeros: under the default cap, and no known file type


def test_mime_type_against_content() -> None:
    root = tree()
    fichier(root).set("MIMEType", "image/jpeg")
    (f,) = run(root, lang="en")
    assert (f.rule, f.severity, f.xpath, f.value) == (
        "PES-PJ-009",
        Severity.WARNING,
        FICHIER,
        "image/jpeg",
    )
    assert "PDF" in f.message and "500 bytes" in f.message
    fichier(root).set("MIMEType", "application/octet-stream")  # says nothing: no finding
    assert run(root) == []


def test_sniff() -> None:
    assert _sniff(b"\x89PNG\r\n\x1a\n....") == "png"
    assert _sniff(b"\xef\xbb\xbf<?xml version='1.0'?>") == "xml"
    assert _sniff(b"PK\x03\x04") == "zip"
    assert _sniff(b"hello") is None


def refcompta(root: Any, n: int = 1) -> Any:
    return root.find(f"PES_PJ/PJ[{n}]/RefCompta")


def test_typepj_domaine_incoherent() -> None:
    root = tree()
    refcompta(root).find("Domaine").set("V", "02")  # TypePJ 003 is dépense
    (f,) = run(root)
    assert (f.rule, f.xpath, f.value) == ("PES-PJ-006", PJ1 + "/RefCompta[1]/Domaine[1]", "02")
    assert "003" in f.message


def test_refcompta_domaine_unknown() -> None:
    root = tree()
    refcompta(root).find("Domaine").set("V", "05")
    (f,) = run(root)
    assert (f.rule, f.xpath) == ("PES-PJ-011", PJ1 + "/RefCompta[1]/Domaine[1]")


def test_refcompta_without_identifiant() -> None:
    root = tree()
    ref = refcompta(root)
    ref.remove(ref.find("Identifiant"))
    (f,) = run(root)
    assert (f.rule, f.severity, f.xpath) == ("PES-PJ-007", Severity.ERROR, PJ1 + "/RefCompta[1]")


def test_cfu_without_refcompta() -> None:
    root = tree()
    pj = root.find("PES_PJ/PJ[2]")
    assert pj.find("RefCompta") is None
    pj.find("TypePJ").set("V", "013")
    (f,) = run(root)
    assert (f.rule, f.xpath) == ("PES-PJ-010", "/n:PES_Aller/PES_PJ[1]/PJ[2]/TypePJ[1]")


def test_dangling_pjref_is_a_warning() -> None:
    root = tree()
    root.find(".//PJRef/IdUnique").set("V", "INCONNU0001")
    (f,) = run(root)
    assert (f.rule, f.severity, f.xpath, f.value) == (
        "PES-PJ-003",
        Severity.WARNING,
        REF1 + "/IdUnique[1]",
        "INCONNU0001",
    )
    assert f.piece is not None and f.bordereau is not None


def test_pjref_resolved_when_pj_comes_first() -> None:
    """The XSD puts PES_PJ last; resolution does not depend on that order."""
    root = tree()
    pes_pj = root.find("PES_PJ")
    root.find("PES_DepenseAller").addprevious(pes_pj)
    data = etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")
    report = pes_v2.validate(data, schemas="embedded")  # (the XSD reports the order)
    assert [f.rule for f in report.findings if f.rule.startswith("PES-PJ")] == []


def test_paper_support_with_a_pj_block() -> None:
    """Reported at the PJ sent for a paper reference: Hélios rejects that PJ, not the flow."""
    root = tree()
    ref = root.find(".//PJRef")
    ref.find("Support").set("V", "02")
    ident = ref.find("IdUnique").get("V")
    pjs = [pj.find("IdUnique").get("V") for pj in root.iterfind("PES_PJ/PJ")]
    at = f"/n:PES_Aller/PES_PJ[1]/PJ[{pjs.index(ident) + 1}]"
    data = etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")
    report = pes_v2.validate(data, schemas="embedded")
    (f,) = [f for f in report.findings if f.rule.startswith("PES-PJ-")]
    assert (f.rule, f.severity, f.xpath, f.value) == (
        "PES-PJ-008",
        Severity.ERROR,
        at + "/IdUnique[1]",
        "02",
    )
    piece = ref.getparent().find("IdPce").get("V")
    assert f.piece == piece and f"pièce {piece}" in f.message and ident in f.message
    prediction = report.prediction
    assert not prediction.flux_rejected and prediction.pjs_rejected == (at,)


def test_pjref_typepj_against_piece_domain() -> None:
    root = tree()
    root.find(".//PJRef/TypePJ").set("V", "002")
    (f,) = run(root)
    assert (f.rule, f.severity, f.xpath) == ("PES-PJ-012", Severity.WARNING, REF1 + "/TypePJ[1]")
    assert "pièce de dépense" in f.message and "en dépense" in f.message
    (en,) = run(root, lang="en")
    assert "an expense piece" in en.message and "on the expense side" in en.message
