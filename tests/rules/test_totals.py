"""PES-TOT-*: bordereau totals, counts, VAT coherence and MtCumulAnnuel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import pes_v2
from pes_v2.rules.totals import _amounts, _sum, amount
from pes_v2.testing import FlowSpec, build_flow

BASE = build_flow(FlowSpec(seed=5, depense=2, recette=1, pieces=2, lines=2))
D_BLOC = "/n:PES_Aller/PES_DepenseAller[1]/Bordereau[1]/BlocBordereau[1]"


def tree() -> Any:
    return etree.fromstring(BASE)


def run(root: Any, lang: str = "fr") -> list[pes_v2.Finding]:
    data = etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")
    report = pes_v2.validate(data, schemas="embedded", lang=lang)
    return [f for f in report.findings if f.rule.startswith("PES-TOT-")]


def bord(root: Any, domain: str = "PES_DepenseAller") -> Any:
    return root.find(f"{domain}/Bordereau")


def test_generated_flow_has_no_totals_finding() -> None:
    assert run(tree()) == []


def test_mtbordht_differs_from_lines() -> None:
    root = tree()
    el = bord(root).find("BlocBordereau/MtBordHT")
    computed = el.get("V")
    el.set("V", "75724.75")
    (f,) = run(root)
    assert (f.rule, f.xpath, f.value, f.severity) == (
        "PES-TOT-001",
        f"{D_BLOC}/MtBordHT[1]",
        "75724.75",
        pes_v2.Severity.ERROR,
    )
    assert f.line == el.sourceline and f.ack == "ERREUR_CUMUL_MONTANTS"
    assert f"{Decimal(computed):.2f}" in f.message and "MtBordHT" in f.message


def test_recette_total_uses_mtbordht_lowercase_t() -> None:
    root = tree()
    el = bord(root, "PES_RecetteAller").find("BlocBordereau/MtBordHt")
    el.set("V", str(Decimal(el.get("V")) - Decimal("0.01")))
    (f,) = run(root, "en")
    assert f.rule == "PES-TOT-001" and f.xpath.endswith("BlocBordereau[1]/MtBordHt[1]")
    assert "MtBordHt is" in f.message


def test_nbrpce_differs_from_pieces() -> None:
    root = tree()
    bord(root).find("BlocBordereau/NbrPce").set("V", "3")
    (f,) = run(root)
    assert (f.rule, f.xpath, f.value) == ("PES-TOT-002", f"{D_BLOC}/NbrPce[1]", "3")
    assert "2 pièce" in f.message


def _vat_bordereau(root: Any) -> Any:
    return root.xpath("PES_DepenseAller/Bordereau[BlocBordereau/MtBordTVA]")[0]


def test_mtbordtva_without_vat_lines() -> None:
    root = tree()
    b = _vat_bordereau(root)
    for el in b.iterfind(".//InfoLignePce/MtTVA"):
        el.set("V", "0.00")
    (f,) = run(root)
    assert f.rule == "PES-TOT-003" and f.xpath.endswith("BlocBordereau[1]/MtBordTVA[1]")


def test_vat_lines_without_mtbordtva() -> None:
    root = tree()
    b = _vat_bordereau(root)
    b.find("BlocBordereau/MtBordTVA").set("V", "0.00")
    (f,) = run(root)
    assert (f.rule, f.value) == ("PES-TOT-004", "0.00")
    root = tree()
    b = _vat_bordereau(root)
    b.find("BlocBordereau").remove(b.find("BlocBordereau/MtBordTVA"))
    (f,) = run(root, "en")
    assert (
        f.rule == "PES-TOT-004" and f.xpath.endswith("BlocBordereau[1]") and "missing" in f.message
    )


def test_mtbordtva_differs_from_lines() -> None:
    root = tree()
    el = _vat_bordereau(root).find("BlocBordereau/MtBordTVA")
    el.set("V", str(Decimal(el.get("V")) + 1))
    (f,) = run(root)
    assert f.rule == "PES-TOT-005" and f.value == el.get("V")


def test_mtcumulannuel_required_when_dematerialised() -> None:
    root = tree()
    root.find("PES_DepenseAller/EnTeteDepense/InfoDematerialisee").set("V", "1")
    bloc = bord(root).find("BlocBordereau")
    bloc.remove(bloc.find("MtCumulAnnuel"))
    findings = run(root)
    assert [(f.rule, f.xpath) for f in findings] == [("PES-TOT-006", D_BLOC)]
    # not dematerialised: MtCumulAnnuel may be absent
    root.find("PES_DepenseAller/EnTeteDepense/InfoDematerialisee").set("V", "0")
    assert run(root) == []


def test_mtcumulannuel_not_required_for_ormc() -> None:
    root = tree()
    root.find("PES_RecetteAller/EnTeteRecette/InfoDematerialisee").set("V", "1")
    bloc = bord(root, "PES_RecetteAller").find("BlocBordereau")
    bloc.remove(bloc.find("MtCumulAnnuel"))
    assert [f.rule for f in run(root)] == ["PES-TOT-006"]
    bloc.find("TypBord").set("V", "06")
    assert run(root) == []


def test_unreadable_amount_is_left_to_the_xsd() -> None:
    root = tree()
    bord(root).find(".//InfoLignePce/MtHT").set("V", "douze")
    assert run(root) == []


@pytest.mark.parametrize("value", ["9E+999999", "1e3", "1_000", "١٢٣", "Infinity", "NaN", "1" * 29])
def test_amount_reads_the_xsd_decimal_form_below_ten_to_the_28th_only(value: str) -> None:
    assert amount(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" 12.50 ", "12.50"), ("-3", "-3"), (".5", "0.5"), ("5.", "5"), ("+0.00", "0.00")],
)
def test_amount_reads_xsd_decimals(value: str, expected: str) -> None:
    assert amount(value) == Decimal(expected)
    assert amount("9" * 28) == Decimal("9" * 28)


def test_amounts_too_large_to_add_are_left_to_the_xsd() -> None:
    root = tree()
    for mt in root.iter("MtHT", "MtTVA", "MtBordHT"):
        mt.set("V", "9E+999999")  # two of them added used to raise decimal.Overflow
    data = etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")
    report = pes_v2.validate(data, schemas="embedded")
    assert not [f for f in report.findings if f.rule.startswith("PES-TOT-")]
    assert any(f.rule == "PES-XSD-001" and "MtHT" in (f.xpath or "") for f in report.findings)


_AMOUNT_TEXT = st.one_of(
    st.from_regex(r"[+-]?[0-9]{1,30}(\.[0-9]{0,30})?", fullmatch=True),
    st.sampled_from([" 12.50", "1 2", "1,2", "3,", ".5", "5.", "1e3", "1_0", "", "-0", "９"]),
    st.text(alphabet="0123456789.+-, eE", max_size=12),
)


def _sum_one_by_one(raws: list[str]) -> Decimal | None:
    total = Decimal(0)
    for raw in raws:
        value = amount(raw)
        if value is None:
            return None
        total += value
    return total


@settings(max_examples=500, deadline=None)
@given(st.lists(_AMOUNT_TEXT, max_size=8))
def test_amounts_added_at_once_give_what_adding_them_one_by_one_gives(raws: list[str]) -> None:
    read = _amounts(raws)
    total = _sum(read)
    expected = _sum_one_by_one(raws)
    assert total == expected and str(total) == str(expected)
    assert read == [amount(raw) for raw in raws]  # each read as amount reads it
