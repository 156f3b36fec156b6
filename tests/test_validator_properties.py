"""Property tests: the validator against the generator and its mutation catalogue.

Generated flows are correct, so pes-v2 reports no error on them; each mutation breaks one
thing, so pes-v2 reports the mutation's rule at the XPath the mutation names (given the
mutation's context, if any), and no other error than the mutation's ``also``.  Mutations
whose rule is not written yet are listed in PENDING with the work that will add them; the
list is asserted exact, so it shrinks as rules land.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pes_v2
from pes_v2.findings import Severity
from pes_v2.rules import all_rules, get
from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate
from pes_v2.testing.strategies import flow_specs

DECLARED = {rule.id for rule in all_rules()}
PENDING = {
    name: "business rules (totals, uniqueness, identifiers, bank details, PJ)"
    for name, mutation in MUTATIONS.items()
    if mutation.rule not in DECLARED
}
READY = sorted(set(MUTATIONS) - set(PENDING))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _errors(report: pes_v2.Report) -> list[pes_v2.Finding]:
    return [f for f in report.findings if f.severity is Severity.ERROR]


def _profile(rule_id: str) -> str:
    """The profile a mutation's rule runs in (strict-only rules: vendor lint)."""
    return "default" if "default" in get(rule_id).profiles else "strict"


def _located(report: pes_v2.Report, rule_id: str) -> set[tuple[str, str | None]]:
    """(rule, xpath) of the errors, and of the findings of ``rule_id`` when it is a warning."""
    warning = get(rule_id).severity is Severity.WARNING
    return {
        (f.rule, f.xpath)
        for f in report.findings
        if f.severity is Severity.ERROR or (warning and f.rule == rule_id)
    }


@SETTINGS
@given(flow_specs())
def test_generated_flows_have_no_error(spec: FlowSpec) -> None:
    report = pes_v2.validate(build_flow(spec), schemas="embedded")
    assert _errors(report) == []
    assert report.flow.root == "PES_Aller"


@SETTINGS
@given(flow_specs(), st.sampled_from(READY), st.integers(0, 1000))
def test_each_mutation_is_reported_at_its_xpath(spec: FlowSpec, name: str, seed: int) -> None:
    data = build_flow(spec)
    try:
        result = mutate(data, name, seed)
    except ValueError:  # this flow has no target for the mutation (e.g. one bordereau)
        return
    report = pes_v2.validate(
        result.data,
        schemas="embedded",
        profile=_profile(result.rule),
        context=result.context,
    )
    located = _located(report, result.rule)
    assert (result.rule, result.xpath) in located, (name, result.xpath, located)
    if result.kind == "business":
        assert {f.rule for f in _errors(report)} <= {result.rule, *result.also}, name


OFFICIAL_FLOWS = (
    FlowSpec(seed=7, depense=2, recette=2, pieces=3, lines=2, pj=2),
    FlowSpec(seed=13, depense=1, recette=3, pieces=3, lines=2, pj=4, pj_size=600),
)


def test_mutations_against_the_official_bundle(official_v530: object) -> None:
    flows = [build_flow(spec) for spec in OFFICIAL_FLOWS]
    for name in READY:
        results = []
        for data in flows:  # the first flow that has a target for the mutation
            try:
                results.append(mutate(data, name, 3))
                break
            except ValueError:
                continue
        assert results, f"{name} applies to none of OFFICIAL_FLOWS"
        result = results[0]
        report = pes_v2.validate(
            result.data,
            schemas=official_v530,  # type: ignore[arg-type]
            profile=_profile(result.rule),
            context=result.context,
        )
        located = _located(report, result.rule)
        assert (result.rule, result.xpath) in located, (name, located)
        if result.kind == "business":
            assert {f.rule for f in _errors(report)} <= {result.rule, *result.also}, name


def test_pending_list_is_exactly_the_mutations_without_a_rule() -> None:
    assert {name for name in MUTATIONS if MUTATIONS[name].rule not in DECLARED} == set(PENDING)
    # Pending mutations must still be undetected noise-free: nothing else fires.
    data = build_flow(FlowSpec(seed=11, depense=2, recette=1, pieces=2, lines=2, pj=2))
    for name in sorted(PENDING):
        try:
            result = mutate(data, name, 0)
        except ValueError:
            continue
        report = pes_v2.validate(result.data, schemas="embedded", context=result.context)
        assert {f.rule for f in _errors(report)} <= {result.rule, *result.also}, name


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-8"])
def test_large_generated_flow_is_valid(encoding: str) -> None:
    spec = FlowSpec(seed=3, depense=3, recette=3, pieces=20, lines=3, pj=3, encoding=encoding)
    report = pes_v2.validate(build_flow(spec), schemas="embedded")
    assert _errors(report) == []
    assert report.flow.bordereaux == 6 and report.flow.pjs == 3
