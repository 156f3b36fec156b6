"""The prediction (which bordereaux and PJ Hélios would reject) and the acquit built from it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree

import pes_v2
from pes_v2.ack import build_acquit
from pes_v2.batch import validate_file, validate_paths
from pes_v2.bundles import SchemaBundle
from pes_v2.testing import FlowSpec, build_flow

EMBEDDED = SchemaBundle.embedded()


def _acquit_states(path: Path) -> list[tuple[str, str, str | None]]:
    """(DomaineAck, EtatAck, NumBord) of each element of the predicted acquit."""
    root = etree.fromstring(build_acquit(validate_file(str(path), schemas=EMBEDDED)) or b"")

    def v(element: Any, tag: str) -> str | None:
        found = element.find(tag)
        return None if found is None else found.get("V")

    return [
        (v(e, "DomaineAck") or "", v(e, "EtatAck") or "", v(e, "NumBord"))
        for e in root.iterfind("ACQUIT/ElementACQUIT")
    ]


def _same_idbord(tmp_path: Path, wrong_count_in: tuple[str, ...]) -> Path:
    """A dépense and a recette bordereau both numbered 209 (numbering is per domain), with
    a wrong NbrPce (PES-TOT-002, rejects the bordereau) in the domains named."""
    root = etree.fromstring(build_flow(FlowSpec(seed=4, depense=1, recette=1, pieces=1, lines=1)))
    for domain in ("PES_DepenseAller", "PES_RecetteAller"):
        bloc = root.find(f"{domain}/Bordereau/BlocBordereau")
        bloc.find("IdBord").set("V", "209")
        if domain in wrong_count_in:
            bloc.find("NbrPce").set("V", "7")
    path = tmp_path / "flux.xml"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1"))
    return path


def test_bordereaux_sharing_an_idbord_are_two_rejections(tmp_path: Path) -> None:
    path = _same_idbord(tmp_path, ("PES_DepenseAller", "PES_RecetteAller"))
    prediction = pes_v2.validate(path, schemas=EMBEDDED).prediction
    assert prediction.bordereaux_rejected == ("depense/209", "recette/209")
    assert not prediction.flux_rejected
    assert _acquit_states(path) == [("5", "0", "209"), ("6", "0", "209")]


def test_a_bordereau_is_not_rejected_for_its_namesake_of_the_other_domain(
    tmp_path: Path,
) -> None:
    path = _same_idbord(tmp_path, ("PES_RecetteAller",))
    prediction = pes_v2.validate(path, schemas=EMBEDDED).prediction
    assert prediction.bordereaux_rejected == ("209",)
    assert prediction.bordereaux == (("/n:PES_Aller/PES_RecetteAller[1]/Bordereau[1]", "209"),)
    assert _acquit_states(path) == [("5", "1", "209"), ("6", "0", "209")]


def test_wrong_pj_version_rejects_the_pj_not_the_flow(tmp_path: Path) -> None:
    """PES-HDR-003 (EnTetePES_PJ/IdVer) rejects the PJ of its PES_PJ block, each of them."""
    data = build_flow(FlowSpec(seed=4, depense=1, pieces=1, lines=1, pj=2, pj_size=300))
    data = re.sub(rb'(<EnTetePES_PJ>\s*<IdVer V=")1', rb"\g<1>2", data)
    path = tmp_path / "flux.xml"
    path.write_bytes(data)
    report = pes_v2.validate(path, schemas=EMBEDDED)
    assert "PES-HDR-003" in {f.rule for f in report.errors}
    prediction = report.prediction
    assert not prediction.flux_rejected
    assert prediction.pjs_rejected == ("/n:PES_Aller/PES_PJ[1]",)
    assert prediction.rejects_pj("/n:PES_Aller/PES_PJ[1]/PJ[2]")
    states = _acquit_states(path)
    assert [(domain, state) for domain, state, _num in states] == [
        ("5", "1"),
        ("4", "0"),
        ("4", "0"),
    ]
    # Each rejected PJ says why (the block's error was attached to none of them).
    root = etree.fromstring(build_acquit(validate_file(str(path), schemas=EMBEDDED)) or b"")
    for element in root.iterfind("ACQUIT/ElementACQUIT"):
        if element.find("DomaineAck").get("V") == "4":
            codes = [code.get("V") for code in element.iter("NumAnoAck")]
            assert codes == ["ERREUR_VERSION_PJ"]


def test_rejected_pj_are_looked_up_by_place_or_block() -> None:
    from pes_v2.prediction import Prediction

    block = "/n:PES_Aller/PES_PJ[2]"
    prediction = Prediction(False, (), ("/n:PES_Aller/PES_PJ[1]/PJ[3]", block), ())
    assert prediction.rejects_pj("/n:PES_Aller/PES_PJ[1]/PJ[3]")
    assert not prediction.rejects_pj("/n:PES_Aller/PES_PJ[1]/PJ[4]")
    assert not prediction.rejects_pj("/n:PES_Aller/PES_PJ[1]/PJ[30]")
    assert prediction.rejects_pj(block + "/PJ[1]") and prediction.rejects_pj(block + "/PJ[77]")
    assert not prediction.rejects_pj("/n:PES_Aller/PES_PJ[20]/PJ[1]")


def _batch_copy(tmp_path: Path, idbord: str) -> list[Path]:
    """Two flows (two NomFic) with the same bordereau, the second's IdBord written as
    ``idbord`` formats its number."""
    data = build_flow(FlowSpec(seed=4, depense=1, pieces=1, lines=1))
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    first.write_bytes(data)
    copy = re.sub(rb'(<NomFic V=")', rb"\g<1>B", data, count=1)
    copy = re.sub(
        rb'<IdBord V="(\d+)"',
        lambda m: b'<IdBord V="' + (idbord % int(m[1])).encode() + b'"',
        copy,
        count=1,
    )
    assert copy.count(b"<IdBord") == 1 and copy != data
    second.write_bytes(copy)
    return [first, second]


def test_a_batch_duplicate_rejects_its_bordereau_in_the_prediction(tmp_path: Path) -> None:
    """PES-BAT-002 (added once the batch has seen both files) counts in the prediction,
    and IdBord 0209 is the same bordereau as 209 (leading zeros are not significant)."""
    for written in ("%d", "0%d", " %d "):
        paths = _batch_copy(tmp_path, written)
        outcomes = list(validate_paths([str(p) for p in paths], schemas=EMBEDDED))
        first, second = (o.report for o in outcomes)
        assert first is not None and second is not None
        assert first.prediction.accepted
        assert {f.rule for f in second.errors} == {"PES-BAT-002"}, written
        assert not second.prediction.accepted
        assert not second.prediction.flux_rejected and second.prediction.bordereaux_rejected


def test_the_whole_flow_element_domain_follows_the_signature_at_fault() -> None:
    """By rule (PES-SIG-0xx bordereau, 1xx global) or by ACK code for the header rules on
    signatures (PES-HDR-011 answers ERREUR_SIGNATURE_BORDEREAU_INVALIDE)."""
    from pes_v2.ack import _flux_domain
    from pes_v2.findings import Finding, Severity

    def error(rule: str, ack: str | None) -> Finding:
        return Finding(rule=rule, severity=Severity.ERROR, message="", ack=ack)

    assert _flux_domain([error("PES-XSD-001", "ERREUR_SCHEMA_INCOMPLET")]) == "0"
    assert _flux_domain([error("PES-SIG-005", "ERREUR_SIGNATURE_BORDEREAU_INVALIDE")]) == "3"
    assert _flux_domain([error("PES-HDR-011", "ERREUR_SIGNATURE_BORDEREAU_INVALIDE")]) == "3"
    assert _flux_domain([error("PES-SIG-112", "ERREUR_CERTIFICAT")]) == "2"
    both = [error("PES-SIG-005", None), error("PES-SIG-104", "ERREUR_SIGNATURE_INVALIDE")]
    assert _flux_domain(both) == "2"
