"""Each mutation introduces exactly one known defect, located by its XPath."""

from __future__ import annotations

import re
from typing import Any

import pytest
from lxml import etree

from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate, resolve, xpath_of

BASES = {
    "mixed": build_flow(
        FlowSpec(seed=11, depense=2, recette=2, pieces=2, lines=2, pj=3, pj_size=800)
    ),
    "utf8": build_flow(
        FlowSpec(seed=12, depense=3, recette=0, pieces=3, lines=2, pj=2, encoding="UTF-8")
    ),
}
RULE_ID = re.compile(r"PES-[A-Z]{2,3}-\d{3}")


def parse(data: bytes) -> Any:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _diff(a: Any, b: Any) -> list[str]:
    """XPaths of elements whose attributes or text differ (same structure assumed)."""
    out = []
    for x, y in zip(a.iter(), b.iter(), strict=True):
        assert x.tag == y.tag
        if dict(x.attrib) != dict(y.attrib) or (x.text or "").strip() != (y.text or "").strip():
            out.append(xpath_of(y))
    return out


def test_catalogue_is_well_formed() -> None:
    assert len(MUTATIONS) >= 20
    for name, m in MUTATIONS.items():
        assert m.name == name
        assert m.kind in {"xsd", "business", "signature"}
        assert RULE_ID.fullmatch(m.rule) and all(RULE_ID.fullmatch(r) for r in m.also)
        assert m.description
        if m.kind == "xsd":
            assert m.rule.startswith("PES-XSD-")


@pytest.mark.parametrize("base", sorted(BASES))
@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation(name: str, base: str, official_xsd: Any, business_oracle: Any) -> None:
    original = parse(BASES[base])
    for seed in range(4):
        res = mutate(BASES[base], name, seed=seed)
        assert (res.name, res.rule, res.ack, res.kind) == (
            name,
            MUTATIONS[name].rule,
            MUTATIONS[name].ack,
            MUTATIONS[name].kind,
        )
        assert res.data.startswith(BASES[base][:45])  # same XML declaration and encoding
        root = parse(res.data)
        el = resolve(root, res.xpath)
        assert re.fullmatch(r"/n:PES_Aller(/[\w:]+\[\d+\])+", res.xpath)
        valid = official_xsd.validate(root.getroottree())
        if res.kind == "signature":  # signed first, then broken: see test_signature_mutations
            assert valid is ("PES-XSD-003" not in res.also)
            continue
        if res.kind == "xsd":
            assert not valid
            first = official_xsd.error_log[0]
            assert first.line == el.sourceline, (res.xpath, str(first))
        else:
            assert valid, [str(e) for e in official_xsd.error_log][:3]
            assert res.changed[0] == res.xpath
            assert sorted(_diff(original, root)) == sorted(res.changed)
            assert business_oracle(root) == [(res.rule, res.xpath)]


def test_seed_picks_different_targets() -> None:
    paths = {mutate(BASES["mixed"], "totals.nbrpce_wrong", seed=s).xpath for s in range(12)}
    assert len(paths) > 1


def test_unknown_or_impossible_mutation() -> None:
    with pytest.raises(KeyError):
        mutate(BASES["mixed"], "no.such")
    single = build_flow(FlowSpec(seed=1, depense=1, pieces=1, lines=1))
    for name in (
        "ids.duplicate_idbord",
        "ids.duplicate_idpce",
        "ids.duplicate_idunique_pj",
        "pj.not_gzip",
        "xsd.duplicate_id",
    ):
        with pytest.raises(ValueError):
            mutate(single, name)
