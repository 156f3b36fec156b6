"""The public API: validate, iter_findings, report contents, determinism, context, options."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from lxml import etree

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


@pytest.mark.parametrize(
    ("name", "highest"), [("max_depth", 2048), ("chunk_size", 64 << 20), ("max_records", 1 << 53)]
)
def test_a_limit_has_a_ceiling(name: str, highest: int) -> None:
    """Beyond it the limit would exhaust memory (a chunk buffer, a depth probe) or overflow
    a C integer: MemoryError and OverflowError escaped from the validation."""
    assert getattr(pes_v2.Limits().with_(**{name: highest}), name) == highest
    with pytest.raises(ValueError, match=f"limit {name} must be at most"):
        pes_v2.Limits().with_(**{name: highest + 1})


def test_findings_beyond_the_limit_of_their_rule_are_counted_and_still_predicted(
    tmp_path: Path,
) -> None:
    from pes_v2.batch import validate_file
    from pes_v2.reporting import render_acquit

    data = build_flow(FlowSpec(seed=6, depense=9, recette=0, pieces=1, lines=1))
    data = re.sub(rb'<MtBordHT V="', b'<MtBordHT V="9', data)  # PES-TOT-001 on each bordereau
    whole = pes_v2.validate(data, schemas="embedded", lang="en")
    limits = pes_v2.Limits(max_findings_per_rule=3)
    capped = pes_v2.validate(data, schemas="embedded", lang="en", limits=limits)
    totals = [f for f in whole.findings if f.rule == "PES-TOT-001"]
    assert len(totals) == 9
    assert [f for f in capped.findings if f.rule == "PES-TOT-001"] == totals[:3]
    (note,) = [f for f in capped.findings if f.rule == "PES-LIM-001"]
    assert note.severity is pes_v2.Severity.INFO and note.xpath is None
    assert note.message.startswith("PES-TOT-001: 6 more finding(s) of this rule not listed")
    # Every finding still counts in the prediction.
    assert not whole.prediction.flux_rejected
    assert capped.prediction == whole.prediction
    assert len(capped.prediction.bordereaux_rejected) == 9
    assert not capped.valid
    # The streaming API yields what the report lists.
    streamed = list(pes_v2.iter_findings(data, schemas="embedded", lang="en", limits=limits))
    assert sorted(map(repr, streamed)) == sorted(map(repr, capped.findings))
    # The acquit rejects all nine bordereaux, listed or not.
    path = tmp_path / "flux.xml"
    path.write_bytes(data)
    outcome = validate_file(str(path), schemas=pes_v2.SchemaBundle.embedded(), limits=limits)
    acquit = etree.fromstring(render_acquit(outcome) or b"")
    states = [e.find("EtatAck").get("V") for e in acquit.iter("ElementACQUIT")]
    assert states == ["0"] * 9
    # XSD errors keep their own bound (max_schema_errors).
    broken = data.replace(b'<DteBordEm V="', b'<DteBordEm V="x', 5)
    xsd = pes_v2.validate(broken, schemas="embedded", limits=limits).findings
    assert len([f for f in xsd if f.rule.startswith("PES-XSD-")]) == 5


def test_reading_stops_past_the_most_records_a_flow_may_hold() -> None:
    data = build_flow(FlowSpec(seed=2, depense=6, recette=0, pieces=1, lines=1, pj=3))
    bordereaux = [m.start() for m in re.finditer(rb"<Bordereau[ >]", data)]
    # Enveloppe, EnTetePES and EnTeteDepense end first: the sixth record is Bordereau 3.
    five = pes_v2.Limits(max_records=5)
    report = pes_v2.validate(data, schemas="embedded", lang="en", limits=five)
    (stop,) = [f for f in report.findings if f.severity is pes_v2.Severity.ERROR]
    assert stop.rule == "PES-XML-007" and "more than 5 records" in stop.message
    assert stop.line == data.count(b"\n", 0, bordereaux[2]) + 1
    assert not report.flow.complete and report.flow.bordereaux == 2
    whole = pes_v2.validate(data, schemas="embedded", limits=pes_v2.Limits(max_records=15))
    assert whole.valid and whole.flow.bordereaux == 6 and whole.flow.pjs == 3
    assert not pes_v2.validate(data, schemas="embedded", limits=pes_v2.Limits(max_records=14)).valid


def test_one_trust_anchor_may_be_given_alone(tmp_path: Path) -> None:
    """A single path or PEM was iterated character by character (``open(97)``...)."""
    from pes_v2.api import load_trust
    from pes_v2.testing.signing import test_pki

    pem = test_pki().root.cert_pem()
    path = tmp_path / "root.pem"
    path.write_bytes(pem)
    assert load_trust(pem) == load_trust([pem]) == (pem,)
    assert load_trust(str(path)) == load_trust(path) == (pem,)


def _rules_and_encoding(data: bytes, chunk_size: int) -> tuple[list[str], str | None]:
    report = pes_v2.validate(data, schemas="embedded", limits=pes_v2.Limits(chunk_size=chunk_size))
    return sorted(f.rule for f in report.findings), report.flow.encoding


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 50, 200, 319, 4096])
def test_the_reading_chunks_change_nothing(chunk_size: int) -> None:
    """A chunk ending right after the "<" of the prolog's first comment made it the root's
    start (the ISO-8859-1 flow was read as UTF-8), and a root start tag cut between two
    chunks left the root unknown, its headers read amiss (a false PES-HDR-005)."""
    data = (FIXTURES / "valid" / "embedded-base-depense.xml").read_bytes()
    assert _rules_and_encoding(data, chunk_size) == _rules_and_encoding(data, 1 << 16)


def test_a_root_start_tag_across_the_first_chunks_edge() -> None:
    data = (FIXTURES / "valid" / "embedded-base-depense.xml").read_bytes()
    declaration, rest = data.split(b"?>", 1)
    expected = _rules_and_encoding(data, 1 << 16)
    root = rest.index(b"<n:PES_Aller")
    for cut in range(-3, 40, 7):  # the 64 KiB chunk's edge just before or inside the tag
        filler = (1 << 16) - len(declaration) - 2 - root - cut - 7
        flow = declaration + b"?><!--" + b"x" * filler + b"-->" + rest
        assert _rules_and_encoding(flow, 1 << 16) == expected, cut


def test_a_file_object_in_text_mode_or_closed_is_an_input_error(tmp_path: Path) -> None:
    """A text-mode file raised UnicodeDecodeError, a closed one ValueError: neither is a
    PesError, which is all the API promises to raise."""
    path = FIXTURES / "valid" / "embedded-base-depense.xml"
    with path.open(encoding="utf-8") as text, pytest.raises(pes_v2.InputError, match="binary"):
        pes_v2.validate(text, schemas="embedded")
    with pytest.raises(pes_v2.InputError, match="binary"):
        pes_v2.validate(io.StringIO("<a/>"), schemas="embedded")
    closed = path.open("rb")
    closed.close()
    with pytest.raises(pes_v2.InputError, match="closed"):
        pes_v2.validate(closed, schemas="embedded")


def test_odd_paths_through_the_api(tmp_path: Path) -> None:
    """A NUL in a name raised ValueError; a bytes path given to validate_many was read as
    the flow's content."""
    with pytest.raises(pes_v2.InputError, match="NUL"):
        pes_v2.validate("flow\0.xml", schemas="embedded")
    flow = FIXTURES / "valid" / "embedded-base-depense.xml"
    (outcome,) = pes_v2.validate_many([os.fsencode(flow)], jobs=1, schemas="embedded")
    assert outcome.report is not None and outcome.report.valid
