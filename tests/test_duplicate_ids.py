"""Duplicate xs:ID values: libxml2's stream validator does not see them, the engine does."""

from __future__ import annotations

import re

import pes_v2
from pes_v2.testing import FlowSpec, build_flow

DS = "http://www.w3.org/2000/09/xmldsig#"
FLOW = build_flow(FlowSpec(seed=3, depense=2, pieces=1, lines=1))
FIRST_ID = re.search(rb'<Bordereau Id="([^"]+)"', FLOW).group(1)  # type: ignore[union-attr]


def _insert_in_second_bordereau(fragment: bytes) -> bytes:
    first = FLOW.index(b"</Bordereau>")
    second = FLOW.index(b"</Bordereau>", first + 1)
    return FLOW[:second] + fragment + FLOW[second:]


def _findings(data: bytes, rule: str) -> list[pes_v2.Finding]:
    report = pes_v2.validate(data, schemas="embedded", lang="en")
    return [f for f in report.findings if f.rule == rule]


def test_an_id_of_a_signature_repeating_a_bordereau_id_is_reported() -> None:
    data = _insert_in_second_bordereau(
        b'<ds:Signature xmlns:ds="%s"><ds:SignedInfo Id="%s"/></ds:Signature>'
        % (DS.encode(), FIRST_ID)
    )
    (duplicate,) = _findings(data, "PES-XSD-005")
    assert duplicate.xpath is not None
    assert duplicate.xpath.endswith("/Bordereau[2]/ds:Signature[1]/ds:SignedInfo[1]")
    assert duplicate.value == FIRST_ID.decode()


def test_two_bordereaux_with_one_id() -> None:
    second = FLOW.index(b"<Bordereau Id=", FLOW.index(b"</Bordereau>"))
    end = FLOW.index(b'"', second + len(b'<Bordereau Id="'))
    data = FLOW[: second + len(b'<Bordereau Id="')] + FIRST_ID + FLOW[end:]
    (duplicate,) = _findings(data, "PES-XSD-005")
    assert duplicate.xpath == "/n:PES_Aller/PES_DepenseAller[1]/Bordereau[2]"


def test_an_id_where_the_schema_allows_none_is_an_xsd_error_not_a_duplicate() -> None:
    data = FLOW.replace(b"<BlocBordereau>", b'<BlocBordereau Id="%s">' % FIRST_ID, 1)
    assert not _findings(data, "PES-XSD-005")
    assert _findings(data, "PES-XSD-008")  # attribute not allowed
