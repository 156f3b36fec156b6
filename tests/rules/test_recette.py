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


# -- ORMC keys -------------------------------------------------------------------------
# Rôle 5 of collectivité 002, exercice 2013; debt number 2013000017, période 9. Cle1 over
# "002" + code + "13" + "9" + "0002013000017" (the leading zeros weigh nothing): 8 with
# IdBord 5 (see test_identifiers), 9 with NatPce 01, 2 with the lines' Nature 70632.
# Cle2 over 139000002013000017: C.


def ormc(root: Any, **fields: str | None) -> Any:
    """Piece 1 becomes a titre ORMC (06-15-01 style, here 01-15-01) with these BlocPiece
    fields, written in XSD order after ObjPce; returns its BlocPiece."""
    root.find("EnTetePES/CodCol").set("V", "002")
    bloc = root.find("PES_RecetteAller/Bordereau/BlocBordereau")
    bloc.find("Exer").set("V", "2013")
    bloc.find("IdBord").set("V", "5")
    b = piece(root, "01", "15", "01").find("BlocPiece")
    for nature in b.getparent().iterfind("LigneDePiece/BlocLignePiece/InfoLignePiece/Nature"):
        nature.set("V", "70632")
    values = {"NumDette": "2013000017", "Per": "9", "Cle1": "8", "Cle2": "C"} | fields
    anchor = b.find("ObjPce")
    for tag in ("NumDette", "Per", "Cle1", "Cle2"):
        if values[tag] is not None:
            anchor.addnext(etree.Element(tag, V=values[tag]))
            anchor = anchor.getnext()
    return b


def test_ormc_keys_accepted() -> None:
    for cle1 in ("8", "9", "2"):  # IdBord, NatPce and line Nature inputs
        root = tree()
        ormc(root, Cle1=cle1)
        assert run(root) == []


def test_ormc_cle1_wrong() -> None:
    root = tree()
    ormc(root, Cle1="3")
    (f,) = run(root, "en")
    assert (f.rule, f.xpath, f.value, f.severity.value, f.ack) == (
        "PES-REC-012",
        f"{BORD}/Piece[1]/BlocPiece[1]/Cle1[1]",
        "3",
        "warning",
        None,
    )
    assert "8 (IdBord), 9 (NatPce), 2 (Nature 70632)" in f.message


def test_ormc_cle2_wrong() -> None:
    for wrong in ("D", "c"):
        root = tree()
        ormc(root, Cle2=wrong)
        (f,) = run(root, "en")
        assert (f.rule, f.xpath, f.value, f.severity.value, f.ack) == (
            "PES-REC-013",
            f"{BORD}/Piece[1]/BlocPiece[1]/Cle2[1]",
            wrong,
            "warning",
            None,
        )
        assert "year 13, période 9 and debt number 2013000017 is C" in f.message


def test_ormc_keys_follow_their_inputs() -> None:
    root = tree()
    b = ormc(root)
    b.find("Per").set("V", "8")  # both keys were computed with période 9
    assert {f.rule for f in run(root)} == {"PES-REC-012", "PES-REC-013"}
    b.find("TypPce").set("V", "01")  # not an ORMC titre: Hélios does not read the keys
    assert run(root) == []


def test_ormc_keys_without_computable_input() -> None:
    cases: list[dict[str, str | None]] = [
        {"Per": None, "Cle1": "3", "Cle2": "D"},
        {"Per": "", "Cle1": "3", "Cle2": "D"},
        {"NumDette": None, "Cle1": "3", "Cle2": "D"},
        {"NumDette": "20130A0017", "Cle1": "3", "Cle2": "D"},
        {"NumDette": "1234567890123456", "Cle1": "3", "Cle2": "D"},
        {"Cle1": "", "Cle2": ""},
    ]
    for fields in cases:
        root = tree()
        ormc(root, **fields)
        assert run(root) == [], fields
    root = tree()
    ormc(root, Cle1="3", Cle2="D")
    root.find("EnTetePES/CodCol").set("V", " ")  # no code collectivité: Cle1 stands aside
    assert [f.rule for f in run(root)] == ["PES-REC-013"]
    root = tree()
    ormc(root, Cle1="3", Cle2="D")
    root.find("PES_RecetteAller/Bordereau/BlocBordereau/Exer").set("V", "20X3")
    assert run(root) == []


def test_ormc_debt_number_spellings() -> None:
    root = tree()
    ormc(root, NumDette="+2013000017")  # a decimal spelling: its digits
    assert run(root) == []
    root = tree()
    ormc(root, NumDette="0002013000017")  # zeros on the left: the same 13 digits
    assert run(root) == []
