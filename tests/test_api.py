"""The public API: validate, iter_findings, report contents, determinism, context, options."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import pes_v2
from pes_v2.batch import FileOutcome
from pes_v2.reporting import render_json, render_text
from pes_v2.testing import FlowSpec, build_flow, mutate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VALID = FIXTURES / "valid" / "embedded-base-depense.xml"


def test_sources_path_bytes_and_file_object_agree() -> None:
    by_path = pes_v2.validate(VALID, schemas="embedded")
    by_bytes = pes_v2.validate(VALID.read_bytes(), schemas="embedded")
    with VALID.open("rb") as stream:
        by_stream = pes_v2.validate(stream, schemas="embedded")
    assert by_path.findings == by_bytes.findings == by_stream.findings
    assert by_path.flow == by_bytes.flow == by_stream.flow
    assert by_path.path == str(VALID) and by_bytes.path is None


def test_iter_findings_is_lazy_and_complete() -> None:
    data = (FIXTURES / "invalid" / "reader" / "empty-flow.xml").read_bytes()
    iterator = pes_v2.iter_findings(data, schemas="embedded")
    assert iter(iterator) is iterator
    found = list(iterator)
    assert [f.rule for f in found if f.severity is not pes_v2.Severity.INFO] == ["PES-FLX-001"]
    # Rules that need a context file say once that they did not run.
    skipped = [f for f in found if f.severity is pes_v2.Severity.INFO]
    assert all("--context" in f.message for f in skipped)


def test_flow_summary() -> None:
    data = build_flow(FlowSpec(seed=5, depense=2, recette=1, pieces=3, lines=2, pj=2))
    flow = pes_v2.validate(data, schemas="embedded").flow
    assert flow.root == "PES_Aller"
    assert flow.domains == ("depense", "recette", "pj")
    assert (flow.bordereaux, flow.pieces, flow.pjs) == (3, 9, 2)
    assert flow.header["IdColl"] and flow.header["CodCol"] and flow.nom_fic


def test_same_flow_twice_gives_byte_identical_json(tmp_path: Path) -> None:
    data = build_flow(FlowSpec(seed=9, depense=2, recette=2, pieces=4, lines=2, pj=1))
    broken = data.replace(b'<IdVer V="2"/>', b'<IdVer V="3"/>', 1)
    outputs = []
    for _ in range(2):
        report = pes_v2.validate(broken, schemas="embedded")
        bundle = pes_v2.SchemaBundle.embedded()
        outputs.append(render_json([FileOutcome("flux.xml", report)], bundle.info))
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["files"][0]["findings"] is not None


def test_findings_are_in_document_order() -> None:
    path = FIXTURES / "invalid" / "reader" / "too-deep.xml"
    lines = [f.line or 0 for f in pes_v2.validate(path, schemas="embedded").findings]
    assert lines == sorted(lines)


def test_english_messages() -> None:
    data = (FIXTURES / "invalid" / "reader" / "empty-flow.xml").read_bytes()
    report = pes_v2.validate(data, schemas="embedded", lang="en")
    (finding,) = report.errors
    assert finding.message.startswith("The flow holds no bordereau")


@pytest.mark.parametrize(("option", "value"), [("lang", "de"), ("profile", "lenient")])
def test_bad_options_are_config_errors(option: str, value: str) -> None:
    with pytest.raises(pes_v2.ConfigError):
        pes_v2.validate(VALID, schemas="embedded", **{option: value})  # type: ignore[arg-type]


def test_context_file_json_and_toml(tmp_path: Path) -> None:
    as_json = tmp_path / "ctx.json"
    as_json.write_text(json.dumps({"IdPost": ["034000"]}))
    as_toml = tmp_path / "ctx.toml"
    as_toml.write_text('IdPost = ["034000"]\n')
    for path in (as_json, as_toml):
        assert pes_v2.validate(VALID, schemas="embedded", context=path).valid
    bad = tmp_path / "bad.json"
    bad.write_text('{"Unknown": 1}')
    with pytest.raises(pes_v2.ConfigError):
        pes_v2.validate(VALID, schemas="embedded", context=bad)
    with pytest.raises(pes_v2.ConfigError):
        pes_v2.validate(VALID, schemas="embedded", context=tmp_path / "missing.json")


def test_prediction_and_text_summary() -> None:
    data = (FIXTURES / "invalid" / "reader" / "empty-flow.xml").read_bytes()
    report = pes_v2.validate(data, schemas="embedded")
    assert report.prediction.flux_rejected
    assert report.prediction.reasons == ("ERREUR_FLUX_VIDE",)
    text = render_text([FileOutcome("flux.xml", report)], lang="en")
    assert "Hélios would reject the whole flow (ERREUR_FLUX_VIDE)." in text
    valid = pes_v2.validate(VALID, schemas="embedded")
    assert valid.prediction.accepted
    assert "Hélios accepterait ce flux." in render_text([FileOutcome("v.xml", valid)])


def test_reports_are_frozen() -> None:
    report = pes_v2.validate(io.BytesIO(VALID.read_bytes()), schemas="embedded")
    with pytest.raises(AttributeError):
        report.path = "x"  # type: ignore[misc]


def test_findings_outside_a_line_carry_no_line_id() -> None:
    mutated = mutate(build_flow(FlowSpec(seed=2)), "totals.nbrpce_wrong")
    report = pes_v2.validate(mutated.data)
    (found,) = [f for f in report.findings if f.rule == mutated.rule]
    assert found.piece is None and found.ligne is None


@pytest.mark.parametrize("value", [0, -1, "5", 2.0, True, None])
def test_a_limit_is_a_positive_integer(value: object) -> None:
    with pytest.raises(ValueError, match="limit chunk_size must be a positive integer"):
        pes_v2.Limits(chunk_size=value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit max_depth"):
        pes_v2.Limits().with_(max_depth=value)  # type: ignore[arg-type]
    assert pes_v2.Limits().with_(max_depth=1).max_depth == 1
