"""Each mutation introduces exactly one known defect, located by its XPath.

A mutation may need a target some flows lack (a RIB, a recette line…): on such a base it
raises ValueError and that pair is not checked, but every mutation must apply to at least
one base. Every business rule the engine runs has a mutation, except the EXEMPT ones.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from lxml import etree

from pes_v2.rules import all_rules
from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate, resolve, xpath_of

BASES = {
    "mixed": build_flow(
        FlowSpec(seed=11, depense=2, recette=2, pieces=2, lines=2, pj=3, pj_size=800)
    ),
    "utf8": build_flow(
        FlowSpec(seed=12, depense=3, recette=0, pieces=3, lines=2, pj=2, encoding="UTF-8")
    ),
    "recette": build_flow(
        FlowSpec(seed=13, depense=1, recette=3, pieces=3, lines=2, pj=4, pj_size=600)
    ),
}
EXEMPT = {
    "PES-HDR-005": "CodBud is required by the official v5.30 XSD (1..1, pattern "
    "[0-9A-Z][0-9]): no schema-valid flow lacks it or leaves it empty",
    "PES-SIG-016": "a property of the run, not of the file: trust anchors the signer's chain "
    "does not reach (tests/signatures/test_signature_runs.py)",
    "PES-SIG-116": "as PES-SIG-016, for the global signature (test_signature_runs.py)",
    "PES-SIG-030": "an info given when no trust anchors are given: a property of the run "
    "(test_signature_runs.py)",
    "PES-SIG-120": "an info given when the flow cannot be read again whole (a caller's stream, "
    "or beyond the in-memory limit): a property of the run (test_signature_runs.py)",
}
"""Business rules without a mutation, and why."""
RULE_ID = re.compile(r"PES-[A-Z]{2,3}-\d{3}")


def parse(data: bytes) -> Any:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _diff(a: Any, b: Any) -> list[str]:
    """XPaths of elements whose attributes or text differ (same structure assumed)."""
    out = []
    for x, y in zip(a.iter(), b.iter(), strict=True):
        assert x.tag == y.tag
        if _own(x) != _own(y):
            out.append(xpath_of(y))
    return out


def _own(el: Any) -> tuple[dict[str, str], str]:
    return dict(el.attrib), (el.text or "").strip()


def _same_outside(a: Any, b: Any, changed: set[str]) -> None:
    """Trees ``a`` (original) and ``b`` (mutated) are equal except inside the subtrees
    rooted at ``changed`` (XPaths in ``b``): an element may only gain children that are
    listed, and only a listed element may lose some."""
    assert a.tag == b.tag, xpath_of(b)
    if xpath_of(b) in changed:
        return
    assert _own(a) == _own(b), xpath_of(b)
    pairs = _align(list(a), list(b), changed)
    assert pairs is not None, f"unlisted children added or removed under {xpath_of(b)}"
    for x, y in pairs:
        _same_outside(x, y, changed)


def _align(old: list[Any], new: list[Any], changed: set[str]) -> list[Any] | None:
    """Pair ``old`` with ``new`` once some listed elements of ``new`` (the added ones) are
    left out, or None when no such choice matches the tags."""
    listed = [i for i, el in enumerate(new) if xpath_of(el) in changed]
    for added in itertools.combinations(listed, len(new) - len(old)):
        rest = [el for i, el in enumerate(new) if i not in added]
        if [el.tag for el in old] == [el.tag for el in rest]:
            return list(zip(old, rest, strict=True))
    return None


def _shape(root: Any) -> list[str]:
    return [str(el.tag) for el in root.iter()]


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
        try:
            res = mutate(BASES[base], name, seed=seed)
        except ValueError:  # no target in this base: see test_every_mutation_applies
            assert seed == 0, "a target found with one seed must be found with any seed"
            return
        assert (res.name, res.rule, res.ack, res.kind) == (
            name,
            MUTATIONS[name].rule,
            MUTATIONS[name].ack,
            MUTATIONS[name].kind,
        )
        assert res.data.startswith(BASES[base][:45])  # same XML declaration and encoding
        root = parse(res.data)
        el = resolve(root, res.xpath)
        assert re.fullmatch(r"/n:PES_Aller(/[\w:]+\[\d+\])*", res.xpath)
        assert (res.structural, res.context) == (
            MUTATIONS[name].structural,
            MUTATIONS[name].context,
        )
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
            if res.structural:
                assert _shape(original) != _shape(root)
                for path in res.changed:
                    resolve(root, path)
                _same_outside(original, root, set(res.changed))
            else:
                assert sorted(_diff(original, root)) == sorted(res.changed)
            assert business_oracle(root, res.context) == [(res.rule, res.xpath)]


def test_every_mutation_applies_to_a_base() -> None:
    for name in MUTATIONS:
        applied = []
        for base, data in BASES.items():
            try:
                mutate(data, name)
            except ValueError:
                continue
            applied.append(base)
        assert applied, f"{name} applies to no base flow"


def test_every_business_rule_has_a_mutation() -> None:
    covered = {rule for m in MUTATIONS.values() for rule in (m.rule, *m.also)}
    engine_run = {rule.id for rule in all_rules() if rule.on is not None}
    assert engine_run - covered == set(EXEMPT)


def test_context_mutations_need_their_context(business_oracle: Any) -> None:
    with_context = [name for name, m in MUTATIONS.items() if m.context]
    assert len(with_context) >= 6
    for name in with_context:
        res = mutate(BASES["mixed"], name)
        assert business_oracle(parse(res.data)) == [], name


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
