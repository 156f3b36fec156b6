"""Header rules: SIRET, versions, CodBud, context checks, InfoDematerialisee vs signatures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

import pes_v2
from pes_v2.findings import Finding, Severity
from pes_v2.testing import FlowSpec, build_flow

DS = "http://www.w3.org/2000/09/xmldsig#"
BASE = build_flow(FlowSpec(seed=5, depense=2, recette=1, pieces=2, lines=1, pj=1, pj_size=300))
ROOT = "/n:PES_Aller"


def run(
    edit: Callable[[Any], object] | None = None,
    context: Mapping[str, Any] | None = None,
    data: bytes = BASE,
) -> list[Finding]:
    root = etree.fromstring(data)
    if edit is not None:
        edit(root)
    out = etree.tostring(root, encoding="ISO-8859-1", xml_declaration=True)
    return list(pes_v2.validate(out, schemas="embedded", context=context).findings)


def of(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule and f.severity is not Severity.INFO]


def setv(path: str, value: str) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        for el in root.xpath(path):
            el.set("V", value)

    return edit


def sign_bordereaux(root: Any, which: slice = slice(None)) -> None:
    for bord in root.xpath("*/Bordereau")[which]:
        etree.SubElement(bord, f"{{{DS}}}Signature", nsmap={"ds": DS})


def test_generated_flow_has_no_header_finding() -> None:
    found = run()
    assert [
        f for f in found if f.rule.startswith("PES-HDR") and f.severity is not Severity.INFO
    ] == []


def test_idcoll_siret() -> None:
    found = of(run(setv("EnTetePES/IdColl", "21340172200019")), "PES-HDR-001")
    assert [(f.xpath, f.value, f.severity) for f in found] == [
        (f"{ROOT}/EnTetePES[1]/IdColl[1]", "21340172200019", Severity.ERROR)
    ]
    assert of(run(setv("EnTetePES/IdColl", "2134017220001")), "PES-HDR-001")
    # La Poste: digit sum multiple of 5, Luhn not required
    assert not of(run(setv("EnTetePES/IdColl", "35600000000051")), "PES-HDR-001")


def test_domain_idver() -> None:
    found = of(run(setv("PES_RecetteAller/EnTeteRecette/IdVer", "1")), "PES-HDR-002")
    assert [(f.xpath, f.value, f.ack) for f in found] == [
        (f"{ROOT}/PES_RecetteAller[1]/EnTeteRecette[1]/IdVer[1]", "1", "ERREUR_VERSION_PES")
    ]
    assert "EnTeteRecette" in found[0].message


def test_pj_idver() -> None:
    found = of(run(setv("PES_PJ/EnTetePES_PJ/IdVer", "2")), "PES-HDR-003")
    assert [(f.xpath, f.ack) for f in found] == [
        (f"{ROOT}/PES_PJ[1]/EnTetePES_PJ[1]/IdVer[1]", "ERREUR_VERSION_PJ")
    ]


def test_envelope_version_is_a_warning() -> None:
    found = of(run(setv("Enveloppe/Parametres/Version", "1")), "PES-HDR-004")
    assert [(f.xpath, f.severity) for f in found] == [
        (f"{ROOT}/Enveloppe[1]/Parametres[1]/Version[1]", Severity.WARNING)
    ]
    assert not of(run(setv("Enveloppe/Parametres/Version", "02")), "PES-HDR-004")


def test_codbud_present() -> None:
    def drop(root: Any) -> None:
        el = root.find("EnTetePES/CodBud")
        el.getparent().remove(el)

    found = of(run(drop), "PES-HDR-005")
    assert [(f.xpath, f.severity) for f in found] == [(f"{ROOT}/EnTetePES[1]", Severity.WARNING)]
    found = of(run(setv("EnTetePES/CodBud", "")), "PES-HDR-005")
    assert [f.xpath for f in found] == [f"{ROOT}/EnTetePES[1]/CodBud[1]"]


def _header(name: str) -> str:
    return str(etree.fromstring(BASE).find(f"EnTetePES/{name}").get("V"))


def test_idpost_known_needs_context() -> None:
    info = [f for f in run() if f.rule == "PES-HDR-006"]
    assert [f.severity for f in info] == [Severity.INFO]
    assert not of(run(context={"IdPost": [_header("IdPost")]}), "PES-HDR-006")
    found = of(run(context={"IdPost": ["099999"]}), "PES-HDR-006")
    assert [(f.xpath, f.ack) for f in found] == [
        (f"{ROOT}/EnTetePES[1]/IdPost[1]", "ERREUR_CODIQUE")
    ]


def test_budget_known() -> None:
    codcol = _header("CodCol")
    ok = {"budgets": [{"CodCol": codcol, "CodBud": "00"}]}
    assert not of(run(context=ok), "PES-HDR-007")
    found = of(run(context={"budgets": [{"CodCol": codcol, "CodBud": "01"}]}), "PES-HDR-007")
    assert [(f.xpath, f.value) for f in found] == [
        (f"{ROOT}/EnTetePES[1]/CodCol[1]", f"{codcol}/00")
    ]


def test_finjur_and_nomenclature() -> None:
    def add_finjur(root: Any) -> None:
        root.find("EnTetePES/IdColl").addnext(etree.Element("FinJur", V="340780477"))

    found = of(run(add_finjur, context={"nomenclature": "M57"}), "PES-HDR-008")
    assert [(f.xpath, f.value) for f in found] == [(f"{ROOT}/EnTetePES[1]/FinJur[1]", "340780477")]
    assert not of(run(add_finjur, context={"nomenclature": "M21"}), "PES-HDR-008")
    assert [f.xpath for f in of(run(context={"nomenclature": "M21"}), "PES-HDR-008")] == [
        f"{ROOT}/EnTetePES[1]"
    ]
    assert not of(run(context={"nomenclature": "M22"}), "PES-HDR-008")


def test_demat_without_signature() -> None:
    found = of(run(setv("PES_DepenseAller/EnTeteDepense/InfoDematerialisee", "1")), "PES-HDR-009")
    assert [(f.xpath, f.ack, f.severity) for f in found] == [
        (
            f"{ROOT}/PES_DepenseAller[1]/EnTeteDepense[1]/InfoDematerialisee[1]",
            "ERREUR_PES_SIGNATURE",
            Severity.ERROR,
        )
    ]


def test_signature_without_demat() -> None:
    found = of(run(sign_bordereaux), "PES-HDR-010")
    assert sorted(f.xpath for f in found) == [
        f"{ROOT}/PES_DepenseAller[1]/EnTeteDepense[1]/InfoDematerialisee[1]",
        f"{ROOT}/PES_RecetteAller[1]/EnTeteRecette[1]/InfoDematerialisee[1]",
    ]

    def signed_demat(root: Any) -> None:
        sign_bordereaux(root)
        setv("*/*/InfoDematerialisee", "1")(root)

    found = run(signed_demat)
    assert not of(found, "PES-HDR-009") and not of(found, "PES-HDR-010")

    def global_signature_only(root: Any) -> None:
        etree.SubElement(root, f"{{{DS}}}Signature", nsmap={"ds": DS})
        demat = root.find("PES_DepenseAller/EnTeteDepense/InfoDematerialisee")
        demat.getparent().remove(demat)
        root.find("PES_RecetteAller/EnTeteRecette/InfoDematerialisee").set("V", "1")

    found = run(global_signature_only)
    assert [(f.xpath, f.value) for f in of(found, "PES-HDR-010")] == [
        (f"{ROOT}/PES_DepenseAller[1]/EnTeteDepense[1]", "absent")
    ]
    assert not of(found, "PES-HDR-009")


def test_signed_bordereau_needs_an_id() -> None:
    def signed_without_id(root: Any) -> None:
        sign_bordereaux(root)
        setv("*/*/InfoDematerialisee", "1")(root)
        del root.xpath("PES_DepenseAller/Bordereau")[1].attrib["Id"]

    found = of(run(signed_without_id), "PES-HDR-011")
    assert [(f.xpath, f.bordereau is not None, f.severity) for f in found] == [
        (f"{ROOT}/PES_DepenseAller[1]/Bordereau[2]", True, Severity.ERROR)
    ]

    def unsigned_without_id(root: Any) -> None:
        del root.xpath("PES_DepenseAller/Bordereau")[1].attrib["Id"]

    assert not of(run(unsigned_without_id), "PES-HDR-011")


def test_partly_signed_bordereaux() -> None:
    def partly(root: Any) -> None:
        sign_bordereaux(root, slice(0, 1))
        setv("PES_DepenseAller/EnTeteDepense/InfoDematerialisee", "1")(root)

    found = run(partly)
    assert [(f.xpath, f.severity) for f in of(found, "PES-HDR-012")] == [
        (f"{ROOT}/PES_DepenseAller[1]/Bordereau[2]", Severity.WARNING)
    ]
    assert not of(found, "PES-HDR-009") and not of(found, "PES-HDR-010")
