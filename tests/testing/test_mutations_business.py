"""The structural and context mutations beyond what the catalogue test checks on its bases:
signed flows, missing targets, indentation, and the context each rule needs."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

import pes_v2
from pes_v2.findings import Severity
from pes_v2.testing import MUTATIONS, DgfipSigner, FlowSpec, build_flow, mutate, resolve
from pes_v2.testing.fixtures import MUTATION_BASE
from pes_v2.testing.signing import sign_flow, test_pki

RECETTE = build_flow(FlowSpec(seed=13, depense=1, recette=3, pieces=3, lines=2, pj=4))
DEPENSE = build_flow(FlowSpec(seed=12, depense=3, pieces=3, lines=2, pj=2))


NARROW_LISTS = {"header.idpost_unknown", "header.budget_unknown"}


def _signer() -> DgfipSigner:
    return DgfipSigner.for_pki(test_pki(), indent=False)


def _problems(data: bytes, context: Any = None) -> list[tuple[str, str | None]]:
    report = pes_v2.validate(data, schemas="embedded", context=context)
    return [(f.rule, f.xpath) for f in report.findings if f.severity is not Severity.INFO]


def test_cumul_missing_in_a_flow_signed_bordereau_by_bordereau() -> None:
    signer = DgfipSigner.for_pki(test_pki())  # indented: the flow is written pretty-printed
    spec = FlowSpec(seed=3, depense=2, recette=1, pieces=2, lines=1, signed=True, signer=signer)
    signed = build_flow(spec)
    assert _problems(signed) == []
    res = mutate(signed, "totals.cumul_missing_dematerialised", seed=1)
    # the bordereau losing MtCumulAnnuel is signed again: no signature finding
    assert _problems(res.data) == [("PES-TOT-006", res.xpath)]
    root = etree.fromstring(res.data)
    assert len(root.xpath("*/Bordereau/*[local-name()='Signature']")) == 3


def test_cumul_missing_needs_per_bordereau_signatures() -> None:
    signed = sign_flow(DEPENSE, _signer())
    with pytest.raises(ValueError, match="global signature"):
        mutate(signed, "totals.cumul_missing_dematerialised")


@pytest.mark.parametrize(
    ("name", "flow", "missing"),
    [
        ("recette.idrol_outside_role", DEPENSE, "titre"),
        ("bank.sepa_debit_without_account", DEPENSE, "recette line with bank details"),
        ("tiers.mademoiselle", build_flow(MUTATION_BASE), "Civilite"),
        ("ids.idpce_in_two_bordereaux", build_flow(FlowSpec(seed=1, pieces=2)), "two"),
    ],
)
def test_no_target(name: str, flow: bytes, missing: str) -> None:
    with pytest.raises(ValueError, match=missing):
        mutate(flow, name)


def test_inserted_blocks_are_indented_like_their_siblings() -> None:
    res = mutate(RECETTE, "bank.bad_ancien_ics", seed=2)
    root = etree.fromstring(res.data)
    sepa = resolve(root, res.changed[0]).getparent()
    info = sepa.getprevious()
    assert info.tag == "InfoLignePiece" and info.tail == sepa.getparent().text
    assert sepa[0].sourceline > sepa.sourceline  # one child per line
    assert sepa.text == info.text


@pytest.mark.parametrize("name", sorted(n for n, m in MUTATIONS.items() if m.context))
def test_context_is_what_makes_the_rule_fire(name: str) -> None:
    res = mutate(RECETTE, name, seed=1)
    assert _problems(res.data, res.context) == [(res.rule, res.xpath)]
    assert _problems(res.data) == []  # without the facts the rule is only "not checked"
    # The numbering and PJ facts fit any generated flow; the lists of postes and budgets
    # are fixed, so they leave out the generated header too (the mutation moves it further).
    expected = [(res.rule, res.xpath)] if name in NARROW_LISTS else []
    assert _problems(RECETTE, res.context) == expected


def test_renumbering_leaves_the_other_bordereaux_gapless() -> None:
    three = build_flow(FlowSpec(seed=12, depense=3, pieces=1, lines=1))
    paths = set()
    for seed in range(20):
        res = mutate(three, "ids.idbord_gap", seed=seed)
        assert _problems(res.data, res.context) == [("PES-DUP-007", res.xpath)]
        paths.add(res.xpath)
    middle = "/n:PES_Aller/PES_DepenseAller[1]/Bordereau[2]/BlocBordereau[1]/IdBord[1]"
    assert middle not in paths and len(paths) == 2


def test_empty_flow_keeps_only_the_envelope_and_header() -> None:
    res = mutate(RECETTE, "flow.empty")
    root = etree.fromstring(res.data)
    assert [child.tag for child in root] == ["Enveloppe", "EnTetePES"]
    assert res.xpath == "/n:PES_Aller"
