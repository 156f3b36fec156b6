"""PES-LNT-*: strict-profile vendor lint (text at its maximum length, non ISO-8859-1)."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

import pes_v2
from pes_v2.findings import Severity
from pes_v2.rules.lint import max_lengths
from pes_v2.testing import FlowSpec, build_flow

BASE = build_flow(
    FlowSpec(seed=5, depense=1, recette=1, pieces=2, lines=1, pj=2, pj_size=300, encoding="UTF-8")
)


def tree() -> Any:
    return etree.fromstring(BASE)


def run(root: Any, profile: str = "strict", lang: str = "fr") -> list[pes_v2.Finding]:
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    report = pes_v2.validate(data, schemas="embedded", profile=profile, lang=lang)
    return [f for f in report.findings if f.rule.startswith("PES-LNT-")]


def test_max_lengths_come_from_the_embedded_schema() -> None:
    by_name, _pairs = max_lengths()
    assert by_name["Nom"] == 38 and by_name["Description"] == 250 and by_name["ObjPce"] == 160
    assert "IdTiers" not in by_name and "CP" not in by_name  # identifiers and codes


def test_generated_flow_is_lint_clean() -> None:
    assert [f.rule for f in run(tree()) if f.rule != "PES-LNT-001"] == []


@pytest.mark.parametrize(
    ("path", "limit", "rule_id"),
    [
        (".//Tiers/InfoTiers/Nom", 38, "PES-LNT-001"),
        ("PES_PJ/PJ/Description", 250, "PES-LNT-002"),
        ("EnTetePES/LibelleColBud", 38, "PES-LNT-003"),
    ],
)
def test_text_at_max_length(path: str, limit: int, rule_id: str) -> None:
    root = tree()
    el = root.find(path)
    el.set("V", "x" * limit)
    (f,) = [f for f in run(root) if f.rule == rule_id]
    assert (f.severity, f.line, f.ack) == (Severity.WARNING, el.sourceline, None)
    assert f.xpath is not None and f.xpath.endswith(f"/{el.tag}[1]") and str(limit) in f.message
    el.set("V", "x" * (limit - 1))
    assert [f for f in run(root) if f.rule == rule_id] == []


def test_lint_is_strict_only() -> None:
    root = tree()
    root.find(".//Tiers/InfoTiers/Nom").set("V", "x" * 38)
    root.find("EnTetePES/LibellePoste").set("V", "SGC – Œuvres")
    assert run(root, profile="default") == []


def test_outside_latin1_in_bordereau_pj_and_header() -> None:
    root = tree()
    obj = root.find(".//Piece/BlocPiece/InfoPce/Obj")
    obj.set("V", "Fournitures – 2ᵉ envoi")
    root.find("PES_PJ/PJ/Description").set("V", "Coût 12 €")
    root.find("EnTetePES/LibellePoste").set("V", "SGC de Bourg-en-Bresse")  # Latin-1: fine
    found = run(root, lang="en")
    assert [f.rule for f in found] == ["PES-LNT-004", "PES-LNT-005"]
    assert found[0].xpath.endswith("/InfoPce[1]/Obj[1]") and found[0].piece is not None
    assert "– (U+2013)" in found[0].message and "ᵉ (U+1D49)" in found[0].message
    root.find("EnTetePES/LibellePoste").set("V", "SGC – Œuvres")
    assert "PES-LNT-006" in [f.rule for f in run(root)]
