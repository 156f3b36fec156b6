"""Tiers rules: person-only fields, identifiers and their keys, NIR cases, CodRes/CodPays."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from lxml import etree

import pes_v2
from pes_v2.findings import Finding, Severity
from pes_v2.rules import tiers as tiers_rules
from pes_v2.testing import FlowSpec, build_flow

BASE = build_flow(FlowSpec(seed=5, depense=1, recette=1, pieces=1, lines=1))
D_TIERS = "/n:PES_Aller/PES_DepenseAller[1]/Bordereau[1]/Piece[1]/LigneDePiece[1]/Tiers[1]"
R_TIERS = "/n:PES_Aller/PES_RecetteAller[1]/Bordereau[1]/Piece[1]/LigneDePiece[1]/Tiers[1]"
ORDER = {
    "depense": [
        "IdTiers",
        "NatIdTiers",
        "DteIdTiers",
        "RefTiers",
        "CatTiers",
        "NatJur",
        "Civilite",
        "Nom",
        "ComplNom",
        "Prenom",
    ],
    "recette": [
        "IdTiers",
        "DteNaissance",
        "NatIdTiers",
        "DteIdTiers",
        "RefTiers",
        "CatTiers",
        "NatJur",
        "TypTiers",
        "Civilite",
        "Nom",
        "ComplNom",
        "Prenom",
    ],
}
COMPANY = {"IdTiers": "73282932000074", "NatIdTiers": "01", "CatTiers": "50", "NatJur": "03"}
PERSON = {"CatTiers": "01", "NatJur": "01", "Civilite": "MME", "Prenom": "Anne"}


def run(edit: Callable[[Any], object], context: Mapping[str, Any] | None = None) -> list[Finding]:
    root = etree.fromstring(BASE)
    edit(root)
    out = etree.tostring(root, encoding="ISO-8859-1", xml_declaration=True)
    return list(pes_v2.validate(out, schemas="embedded", context=context).findings)


def of(findings: list[Finding], rule: str) -> list[tuple[str | None, str | None]]:
    return [(f.xpath, f.value) for f in findings if f.rule == rule]


def tiers(domain: str, **fields: str) -> Callable[[Any], Any]:
    """Rewrite the InfoTiers of the first tiers of ``domain`` with ``fields`` (+ Nom)."""
    tag = "PES_DepenseAller" if domain == "depense" else "PES_RecetteAller"

    def edit(root: Any) -> Any:
        info = root.find(f"{tag}/Bordereau/Piece/LigneDePiece/Tiers/InfoTiers")
        for child in list(info):
            info.remove(child)
        values = {"Nom": "MARTIN", **({"TypTiers": "01"} if domain == "recette" else {})}
        values.update(fields)
        for name in ORDER[domain]:
            if name in values:
                etree.SubElement(info, name, V=values[name])
        return root

    return edit


def no_error(findings: list[Finding]) -> bool:
    return not [f for f in findings if f.rule.startswith("PES-TRS")]


def test_generated_tiers_are_clean() -> None:
    assert no_error(run(lambda root: None))
    assert no_error(run(tiers("depense", **PERSON)))
    assert no_error(run(tiers("recette", **COMPANY)))


def test_person_fields_missing() -> None:
    found = run(tiers("depense", CatTiers="01", NatJur="01", Civilite="M"))
    assert of(found, "PES-TRS-001") == [(f"{D_TIERS}/InfoTiers[1]/CatTiers[1]", "01")]
    assert "Prenom" in next(f.message for f in found if f.rule == "PES-TRS-001")
    found = run(tiers("recette", CatTiers="01", NatJur="01"))
    assert of(found, "PES-TRS-001") == [(f"{R_TIERS}/InfoTiers[1]/CatTiers[1]", "01")]


@pytest.mark.parametrize(
    "edit",
    ["no V", "blank", "non-breaking space", "tab and newline"],
)
def test_person_fields_missing_when_present_but_empty(edit: str) -> None:
    def change(root: Any) -> Any:
        root = tiers("depense", **PERSON)(root)
        civilite = root.find(
            "PES_DepenseAller/Bordereau/Piece/LigneDePiece/Tiers/InfoTiers/Civilite"
        )
        if edit == "no V":
            del civilite.attrib["V"]
        else:
            civilite.set(
                "V", {"blank": "   ", "non-breaking space": "\xa0", "tab and newline": "\t\n"}[edit]
            )
        return root

    found = run(change)
    assert of(found, "PES-TRS-001") == [(f"{D_TIERS}/InfoTiers[1]/CatTiers[1]", "01")]
    assert "Civilite" in next(f.message for f in found if f.rule == "PES-TRS-001")


def test_person_fields_forbidden() -> None:
    found = run(tiers("depense", **{**COMPANY, "Civilite": "M"}))
    assert of(found, "PES-TRS-002") == [(f"{D_TIERS}/InfoTiers[1]/CatTiers[1]", "50")]
    found = run(tiers("recette", **{**COMPANY, "DteNaissance": "1980-01-01"}))
    assert of(found, "PES-TRS-002") == [(f"{R_TIERS}/InfoTiers[1]/CatTiers[1]", "50")]
    # recette: Civilite/Prenom are only documented as mandatory for CatTiers 01
    assert not of(run(tiers("recette", **{**COMPANY, "Civilite": "M"})), "PES-TRS-002")
    assert not of(run(tiers("recette", **PERSON, DteNaissance="1980-01-01")), "PES-TRS-002")


def test_civilite_mademoiselle() -> None:
    found = run(tiers("depense", **{**PERSON, "Civilite": "Mlle"}))
    assert of(found, "PES-TRS-003") == [(f"{D_TIERS}/InfoTiers[1]/Civilite[1]", "Mlle")]
    assert not of(run(tiers("depense", **PERSON)), "PES-TRS-003")


def test_idtiers_natidtiers_together() -> None:
    found = run(tiers("depense", IdTiers="73282932000074", CatTiers="50", NatJur="03"))
    assert of(found, "PES-TRS-004") == [(f"{D_TIERS}/InfoTiers[1]/IdTiers[1]", "73282932000074")]
    found = run(tiers("recette", NatIdTiers="01", CatTiers="50", NatJur="03"))
    assert of(found, "PES-TRS-004") == [(f"{R_TIERS}/InfoTiers[1]/NatIdTiers[1]", "01")]


def test_idtiers_key() -> None:
    cases = {
        ("01", "73282932000075"): True,
        ("01", "7328293200007"): True,
        ("02", "732829320"): False,
        ("02", "732829321"): True,
        ("03", "340780477"): False,
        ("03", "340780478"): True,
        ("05", "FR40303265045"): False,  # no key check for TVA intracom
    }
    for (nature, ident), bad in cases.items():
        found = run(tiers("depense", IdTiers=ident, NatIdTiers=nature, CatTiers="50", NatJur="03"))
        expected = [(f"{D_TIERS}/InfoTiers[1]/IdTiers[1]", ident)] if bad else []
        assert of(found, "PES-TRS-005") == expected, (nature, ident)


NIR = "185057800608491"  # INSEE's published example


def _assure(root: Any) -> None:
    bloc = root.find("PES_RecetteAller/Bordereau/Piece/LigneDePiece/BlocLignePiece")
    assure = etree.Element("InfoAssure")
    etree.SubElement(assure, "CodAssDeb", V="1")
    bloc.find("InfoLignePiece").addnext(assure)


def test_nir_allowed_cases() -> None:
    person = {**PERSON, "IdTiers": NIR, "NatIdTiers": "04"}
    found = run(tiers("depense", **person))
    assert of(found, "PES-TRS-006") == [(f"{D_TIERS}/InfoTiers[1]/NatIdTiers[1]", "04")]
    assert not of(found, "PES-TRS-005")  # the key itself is right

    def correctif(root: Any) -> None:
        tiers("depense", **person)(root)
        info = root.find("PES_DepenseAller/Bordereau/Piece/BlocPiece/InfoPce")
        info.find("TypPce").set("V", "02")
        info.find("NatPce").set("V", "09")

    assert not of(run(correctif), "PES-TRS-006")
    found = run(correctif, context={"nomenclature": "M14"})
    assert of(found, "PES-TRS-006") == [(f"{D_TIERS}/InfoTiers[1]/NatIdTiers[1]", "04")]
    assert not of(run(correctif, context={"nomenclature": "M21"}), "PES-TRS-006")
    assert of(run(tiers("recette", **person)), "PES-TRS-006")
    assert not of(run(lambda r: _assure(tiers("recette", **person)(r))), "PES-TRS-006")
    assert not of(run(tiers("recette", **{**person, "TypTiers": "07"})), "PES-TRS-006")


def _adresse(codres: str, codpays: str | None) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        adr = root.find("PES_DepenseAller/Bordereau/Piece/LigneDePiece/Tiers/Adresse")
        adr.find("CodRes").set("V", codres)
        if codpays is not None:
            adr.find("CodRes").addnext(etree.Element("CodPays", V=codpays))

    return edit


def test_codres_codpays() -> None:
    where = f"{D_TIERS}/Adresse[1]/CodRes[1]"
    assert of(run(_adresse("1", None)), "PES-TRS-007") == [(where, "1")]
    assert of(run(_adresse("0", "216")), "PES-TRS-007") == [(where, "0")]
    assert not of(run(_adresse("1", "216")), "PES-TRS-007")
    assert not of(run(_adresse("0", "100")), "PES-TRS-007")
    found = [f for f in run(_adresse("1", None)) if f.rule == "PES-TRS-007"]
    assert found[0].severity is Severity.ERROR and found[0].piece is not None


@pytest.mark.parametrize("france", ["100", "0100", "+100", " 100 ", "100.0", "100.00"])
def test_codpays_france_however_written(france: str) -> None:
    """CodPays is an xs:decimal: every way of writing 100 is France (the raw string was
    compared, and "+100" was taken for another country)."""
    assert not of(run(_adresse("0", france)), "PES-TRS-007")
    assert of(run(_adresse("0", "1000")), "PES-TRS-007")


@pytest.mark.parametrize("non_resident", [" 1 ", "true", "\ttrue\n"])
def test_codres_boolean_however_written(non_resident: str) -> None:
    """CodRes is an xs:boolean, whose whitespace collapses: " 1 " is a non-resident."""
    where = f"{D_TIERS}/Adresse[1]/CodRes[1]"
    assert of(run(_adresse(non_resident, None)), "PES-TRS-007") == [(where, non_resident)]


def test_validity_cache_stays_bounded_and_right() -> None:
    """Keys (IBAN, RIB…) are remembered up to VALID_CACHE_MAX, then the cache starts again:
    memory stays bounded on a flow of distinct accounts and answers stay right."""
    calls: list[str] = []

    def even(value: str) -> bool:
        calls.append(value)
        return int(value) % 2 == 0

    tiers_rules._VALID.clear()
    total = tiers_rules.VALID_CACHE_MAX + 10
    answers = [tiers_rules.valid_cached("TEST", str(n), even) for n in range(total)]
    assert answers == [n % 2 == 0 for n in range(total)]
    assert len(tiers_rules._VALID) <= tiers_rules.VALID_CACHE_MAX
    assert tiers_rules.valid_cached("TEST", str(total - 1), even) is False
    assert len(calls) == total  # the last key was remembered: not computed again
    tiers_rules._VALID.clear()
