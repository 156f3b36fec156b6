"""PES-DEP-*: dépense code lists, triplets and RattachPiece coherence."""

from __future__ import annotations

from typing import Any

from lxml import etree

import pes_v2
from pes_v2.testing import FlowSpec, build_flow

BASE = build_flow(FlowSpec(seed=7, depense=1, pieces=2, lines=2))
BORD = "/n:PES_Aller/PES_DepenseAller[1]/Bordereau[1]"


def tree() -> Any:
    return etree.fromstring(BASE)


def run(root: Any, lang: str = "fr") -> list[pes_v2.Finding]:
    data = etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")
    report = pes_v2.validate(data, schemas="embedded", lang=lang)
    return [f for f in report.findings if f.rule.startswith("PES-DEP-")]


def piece(root: Any, typbord: str, typpce: str, natpce: str) -> Any:
    """The first piece, recoded as (typbord, typpce, natpce)."""
    root.find("PES_DepenseAller/Bordereau/BlocBordereau/TypBord").set("V", typbord)
    p = root.find("PES_DepenseAller/Bordereau/Piece")
    p.find("BlocPiece/InfoPce/TypPce").set("V", typpce)
    p.find("BlocPiece/InfoPce/NatPce").set("V", natpce)
    for other in root.findall("PES_DepenseAller/Bordereau/Piece")[1:]:
        other.find("BlocPiece/InfoPce/NatPce").set("V", "01")
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
    return int(root.find("PES_DepenseAller/Bordereau/BlocBordereau/Exer").get("V"))


def test_generated_flow_is_clean() -> None:
    assert run(tree()) == []


def test_typbord_04() -> None:
    root = tree()
    root.find("PES_DepenseAller/Bordereau/BlocBordereau/TypBord").set("V", "04")
    (f,) = run(root)
    assert (f.rule, f.xpath, f.value, f.severity.value) == (
        "PES-DEP-001",
        f"{BORD}/BlocBordereau[1]/TypBord[1]",
        "04",
        "error",
    )


def test_rattachpiece_required() -> None:
    root = tree()
    piece(root, "01", "13", "01")
    (f,) = run(root)
    assert (f.rule, f.xpath, f.value) == (
        "PES-DEP-002",
        f"{BORD}/Piece[1]/BlocPiece[1]/InfoPce[1]/TypPce[1]",
        "01-13-01",
    )
    assert "2 ligne" in f.message


def test_complete_annulation_is_clean() -> None:
    root = tree()
    p = piece(root, "02", "02", "06")
    rattach(p, "01", str(exer(root)), "1")
    assert run(root) == []


def test_natpceorig_and_idligneorig() -> None:
    root = tree()
    p = piece(root, "01", "13", "01")
    rattach(p, "03", str(exer(root)), None)
    found = {(f.rule, f.xpath.rsplit("/", 1)[-1]) for f in run(root)}
    assert found == {("PES-DEP-003", "NatPceOrig[1]")}
    root = tree()
    p = piece(root, "01", "13", "01")
    rattach(p, "01", str(exer(root)), None)
    findings = run(root, "en")
    assert {(f.rule, f.xpath.rsplit("/", 1)[-1]) for f in findings} == {
        ("PES-DEP-004", "RattachPiece[1]")
    }
    assert "must be 1 or more" in findings[0].message
    root = tree()
    p = piece(root, "01", "05", "01")
    rattach(p, "03", str(exer(root)), "2")
    assert {(f.rule, f.value) for f in run(root)} == {("PES-DEP-004", "2")}


def test_exerrat() -> None:
    root = tree()
    p = piece(root, "02", "02", "06")
    rattach(p, "01", str(exer(root) - 1), "1")
    assert {f.rule for f in run(root)} == {"PES-DEP-005"}
    root = tree()
    p = piece(root, "01", "02", "09")
    rattach(p, "02", str(exer(root)), "1")
    assert {f.rule for f in run(root)} == {"PES-DEP-005"}
    root = tree()
    p = piece(root, "01", "02", "09")
    rattach(p, "02", str(exer(root) - 2), "1")
    assert run(root) == []


def test_mandat_global_and_regie_warnings() -> None:
    root = tree()
    piece(root, "01", "06", "01")
    (f,) = run(root)
    assert (f.rule, f.severity.value) == ("PES-DEP-006", "warning")
    root = tree()
    piece(root, "01", "01", "05")
    (f,) = run(root)
    assert (f.rule, f.severity.value) == ("PES-DEP-007", "warning")
    assert f.xpath.endswith("InfoPce[1]/NatPce[1]")
