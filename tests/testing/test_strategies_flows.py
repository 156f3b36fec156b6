"""Hypothesis-generated specs always give correct flows."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from lxml import etree

from pes_v2.testing import FlowSpec, build_flow
from pes_v2.testing.strategies import flow_specs


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=flow_specs())
def test_any_spec_gives_a_correct_flow(
    spec: FlowSpec, official_xsd: Any, business_oracle: Any
) -> None:
    root = etree.fromstring(build_flow(spec))
    assert official_xsd.validate(root.getroottree()), [str(e) for e in official_xsd.error_log]
    assert business_oracle(root) == []
