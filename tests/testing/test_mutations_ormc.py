"""The ORMC key mutations: a correct titre ORMC with exactly one wrong key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import pes_v2
from pes_v2.identifiers import ormc_cle1, ormc_cle1_input, ormc_cle2
from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate, resolve, xpath_of
from pes_v2.testing.fixtures import MUTATION_BASE

BASES = {
    "fixtures": build_flow(MUTATION_BASE),
    "mixed": build_flow(
        FlowSpec(seed=11, depense=2, recette=2, pieces=2, lines=2, pj=3, pj_size=800)
    ),
    "recette": build_flow(FlowSpec(seed=5, depense=0, recette=3, pieces=3, lines=3)),
}
NAMES = {"ormc.cle1_wrong": "Cle1", "ormc.cle2_wrong": "Cle2"}
ORMC_FIELDS = ["NumDette", "Per", "Cle1", "Cle2"]


def parse(data: bytes) -> Any:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def problems(data: bytes, schemas: str) -> list[tuple[str, str | None]]:
    report = pes_v2.validate(data, schemas=schemas)
    return [(f.rule, f.xpath) for f in report.findings if f.severity is not pes_v2.Severity.INFO]


def correct_keys(root: Any, bloc: Any) -> tuple[str, str]:
    """Cle1 (IdBord input) and Cle2 of ``bloc``, from the flow's own values."""
    bord = bloc.getparent().getparent().find("BlocBordereau")
    year2 = bord.find("Exer").get("V")[-2:]
    per, dette = bloc.find("Per").get("V"), bloc.find("NumDette").get("V")
    codcol, idbord = root.find("EnTetePES/CodCol").get("V"), bord.find("IdBord").get("V")
    cle1 = ormc_cle1(ormc_cle1_input(codcol, idbord, year2, per, dette))
    return cle1, ormc_cle2(year2, per, dette)


def test_catalogue_entries() -> None:
    for name in NAMES:
        m = MUTATIONS[name]
        assert (m.kind, m.structural, m.ack, m.also) == ("business", True, None, ())
    assert (MUTATIONS["ormc.cle1_wrong"].rule, MUTATIONS["ormc.cle2_wrong"].rule) == (
        "PES-REC-012",
        "PES-REC-013",
    )


@pytest.mark.parametrize("base", sorted(BASES))
@pytest.mark.parametrize("name", sorted(NAMES))
def test_one_wrong_key(name: str, base: str, official_xsd: Any, official_v530: Path) -> None:
    tag = NAMES[name]
    clean = {s: problems(BASES[base], s) for s in ("embedded", str(official_v530))}
    assert clean == {"embedded": [], str(official_v530): []}
    for seed in range(4):
        res = mutate(BASES[base], name, seed=seed)
        root = parse(res.data)
        assert official_xsd.validate(root.getroottree()), official_xsd.error_log
        fault = resolve(root, res.xpath)
        assert etree.QName(fault).localname == tag
        bloc = fault.getparent()
        assert (bloc.find("TypPce").get("V"), bloc.find("NatPce").get("V")) == ("15", "01")
        names = [etree.QName(child).localname for child in bloc]
        at = names.index("NumDette")
        assert names[at : at + 4] == ORMC_FIELDS
        assert names[at - 1] == "ObjPce" and set(names[at + 4 :]) <= {"PJRef"}
        assert set(res.changed) == {res.xpath} | {
            xpath_of(bloc.find(t)) for t in [*ORMC_FIELDS, "TypPce"]
        }
        for schemas in ("embedded", str(official_v530)):
            assert problems(res.data, schemas) == [(res.rule, res.xpath)], (seed, schemas)
        # put the right key back: the titre ORMC is then correct
        cle1, cle2 = correct_keys(root, bloc)
        wrong = fault.get("V")
        assert wrong != (cle1 if tag == "Cle1" else cle2)
        fault.set("V", cle1 if tag == "Cle1" else cle2)
        repaired = etree.tostring(root.getroottree(), encoding="ISO-8859-1")
        assert problems(repaired, "embedded") == []


def test_cle1_mutation_avoids_every_candidate() -> None:
    """The wrong Cle1 matches none of the inputs the rule accepts (IdBord, NatPce, line
    Nature), so the warning is certain whatever the seed."""
    for seed in range(20):
        res = mutate(BASES["recette"], "ormc.cle1_wrong", seed=seed)
        root = parse(res.data)
        fault = resolve(root, res.xpath)
        bloc = fault.getparent()
        bord = bloc.getparent().getparent().find("BlocBordereau")
        year2 = bord.find("Exer").get("V")[-2:]
        per, dette = bloc.find("Per").get("V"), bloc.find("NumDette").get("V")
        codes = [bord.find("IdBord").get("V"), "01"] + [
            n.get("V") for n in bloc.getparent().iterfind(".//InfoLignePiece/Nature")
        ]
        codcol = root.find("EnTetePES/CodCol").get("V")
        keys = {ormc_cle1(ormc_cle1_input(codcol, c, year2, per, dette)) for c in codes}
        assert fault.get("V") not in keys


def test_needs_a_recette_piece() -> None:
    depense = build_flow(FlowSpec(seed=1, depense=2, pieces=2, lines=1))
    for name in NAMES:
        with pytest.raises(ValueError, match="recette piece"):
            mutate(depense, name)
