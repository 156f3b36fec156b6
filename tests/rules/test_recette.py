"""PES-REC-*: recette code lists, triplets, RattachPiece and majoration."""

from __future__ import annotations

from typing import Any

from lxml import etree

import pes_v2
from pes_v2.testing import FlowSpec, build_flow

BASE = build_flow(FlowSpec(seed=8, depense=0, recette=1, pieces=2, lines=2))
BORD = "/n:PES_Aller/PES_RecetteAller[1]/Bordereau[1]"


def tree() -> Any:
    return etree.fromstring(BASE)


def run(root: Any, lang: str = "fr") -> list[pes_v2.Finding]:
    data = etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")
    report = pes_v2.validate(data, schemas="embedded", lang=lang)
    return [f for f in report.findings if f.rule.startswith("PES-REC-")]


def piece(root: Any, typbord: str, typpce: str, natpce: str) -> Any:
    root.find("PES_RecetteAller/Bordereau/BlocBordereau/TypBord").set("V", typbord)
    p = root.find("PES_RecetteAller/Bordereau/Piece")
    p.find("BlocPiece/TypPce").set("V", typpce)
    p.find("BlocPiece/NatPce").set("V", natpce)
    return p


def rattach(p: Any, nat: str, exer: str, idligne: str | None) -> None:
    for bloc in p.iterfind("LigneDePiece/BlocLignePiece"):
        r = etree.SubElement(bloc, "RattachPiece")
        etree.SubElement(r, "NatPceOrig", V=nat)
        etree.SubElement(r, "ExerRat", V=exer)
        etree.SubElement(r, "IdPceOrig", V="42")
        if idligne is not None:
            etree.SubElement(r, "IdLigneOrig", V=idligne)


def exer(root: Any) -> int:
    return int(root.find("PES_RecetteAller/Bordereau/BlocBordereau/Exer").get("V"))


def test_generated_flow_is_clean() -> None:
    assert run(tree()) == []


def test_typbord_04_05() -> None:
    for value in ("04", "05"):
        root = tree()
        root.find("PES_RecetteAller/Bordereau/BlocBordereau/TypBord").set("V", value)
        (f,) = run(root)
        assert (f.rule, f.xpath, f.value) == (
            "PES-REC-001",
            f"{BORD}/BlocBordereau[1]/TypBord[1]",
            value,
        )


def test_idrol_only_with_01_06_01() -> None:
    root = tree()
    p = piece(root, "01", "01", "01")
    p.find("BlocPiece/NatPce").addnext(etree.Element("IdRol", V="12"))
    (f,) = run(root)
    assert (f.rule, f.xpath) == ("PES-REC-002", f"{BORD}/Piece[1]/BlocPiece[1]/IdRol[1]")
    p.find("BlocPiece/TypPce").set("V", "06")
    assert run(root) == []


def test_rattachpiece_rules() -> None:
    root = tree()
    piece(root, "01", "14", "01")
    assert [(f.rule, f.value) for f in run(root)] == [("PES-REC-003", "01-14-01")]
    root = tree()
    p = piece(root, "01", "14", "01")
    rattach(p, "03", str(exer(root)), None)
    assert {f.rule for f in run(root)} == {"PES-REC-004"}
    root = tree()
    p = piece(root, "02", "02", "06")
    rattach(p, "01", str(exer(root)), None)
    assert {f.rule for f in run(root)} == {"PES-REC-005"}
    root = tree()
    p = piece(root, "02", "02", "06")
    rattach(p, "01", str(exer(root) - 1), "1")
    assert {f.rule for f in run(root)} == {"PES-REC-006"}
    root = tree()
    p = piece(root, "01", "02", "09")
    rattach(p, "02", str(exer(root) - 1), "1")
    assert run(root) == []


def _info(p: Any) -> Any:
    return p.find("LigneDePiece/BlocLignePiece/InfoLignePiece")


def test_majo_chain() -> None:
    root = tree()
    p = piece(root, "01", "01", "01")
    majo = _info(p).find("Majo")
    majo.set("V", "1")
    (f,) = run(root, "en")
    assert (f.rule, f.xpath.rsplit("/", 1)[-1]) == ("PES-REC-007", "Majo[1]")
    assert "DteMajo, TxMajo, RattachPiece" in f.message
    # complete majoration: 01-09-01 with NatPceOrig 05
    p = piece(root, "01", "09", "01")
    majo.addnext(etree.Element("DteMajo", V=f"{exer(root)}-03-01"))
    majo.getnext().addnext(etree.Element("TxMajo", V="10.00"))
    rattach(p, "05", str(exer(root)), None)
    assert run(root) == []
    majo.set("V", "0")
    assert [(f.rule, f.value) for f in run(root)] == [
        ("PES-REC-008", f"{exer(root)}-03-01"),
        ("PES-REC-008", "10.00"),
    ]


def test_idconv_and_edition_and_rate() -> None:
    root = tree()
    piece(root, "01", "10", "01")
    (f,) = run(root)
    assert (f.rule, f.severity.value) == ("PES-REC-009", "warning")
    root = tree()
    p = piece(root, "01", "01", "01")
    p.find("BlocPiece/NatPce").addnext(etree.Element("Edition", V="01"))
    for ref in p.findall("BlocPiece/PJRef"):
        p.find("BlocPiece").remove(ref)
    (f,) = run(root)
    assert (f.rule, f.xpath) == ("PES-REC-010", f"{BORD}/Piece[1]/BlocPiece[1]/Edition[1]")
    root = tree()
    rate = root.find(".//InfoLignePiece/TxTva")
    rate.getparent().remove(rate)
    (f,) = run(root)
    assert (f.rule, f.severity.value) == ("PES-REC-011", "warning")
