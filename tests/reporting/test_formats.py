"""Every report format, rendered from real outcomes: structure, contract, self-containment."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from pes_v2.batch import FileOutcome, validate_file, validate_paths
from pes_v2.bundles import SchemaBundle
from pes_v2.findings import Severity
from pes_v2.reporting import (
    render_acquit,
    render_html,
    render_json,
    render_jsonl,
    render_junit,
    render_sarif,
    render_text,
)
from pes_v2.rules import all_rules
from pes_v2.testing import FlowSpec, build_flow, mutate

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))
EMBEDDED = SchemaBundle.embedded()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[FileOutcome]:
    folder = tmp_path_factory.mktemp("flows")
    base = build_flow(FlowSpec(seed=3, depense=2, recette=1, pieces=2, lines=1, pj=2))
    (folder / "a-valid.xml").write_bytes(base)
    broken = mutate(mutate(base, "xsd.bad_date").data, "pj.bad_base64").data
    (folder / "b-broken.xml").write_bytes(broken)
    (folder / "c-again.xml").write_bytes(base)  # same NomFic, bordereaux, PJ: batch findings
    (folder / "d-notxml.xml").write_bytes(b"not xml at all <")
    paths = sorted(str(p) for p in folder.iterdir())
    found = list(validate_paths(paths, schemas=EMBEDDED))
    return [*found, FileOutcome("e-missing.xml", error="e-missing.xml: cannot be read")]


# -- the JSON Schema of the report, checked with jsonschema ------------------------------


def _check(value: Any, schema: dict[str, Any]) -> None:
    """Validate ``value`` against ``schema`` (a part of docs/report.schema.json)."""
    whole = {**schema, "$defs": SCHEMA["$defs"]}
    jsonschema.Draft202012Validator.check_schema(whole)
    errors = sorted(jsonschema.Draft202012Validator(whole).iter_errors(value), key=str)
    if errors:
        raise AssertionError("; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors))


def test_json_report_matches_docs_report_schema(outcomes: list[FileOutcome]) -> None:
    document = json.loads(render_json(outcomes, EMBEDDED.info))
    _check(document, SCHEMA)
    assert [f["valid"] for f in document["files"]] == [True, False, False, False, False]


def test_the_structural_validator_rejects_a_broken_report(outcomes: list[FileOutcome]) -> None:
    document = json.loads(render_json(outcomes, EMBEDDED.info))
    document["files"][0]["findings"] = [{"rule": "x"}]
    with pytest.raises(AssertionError):
        _check(document, SCHEMA)


def test_batch_checks_flag_the_second_file(outcomes: list[FileOutcome]) -> None:
    again = outcomes[2].report
    assert again is not None
    rules = {f.rule for f in again.findings}
    assert {"PES-BAT-001", "PES-BAT-002", "PES-BAT-003"} <= rules
    first = outcomes[0].report
    assert first is not None and not any(f.rule.startswith("PES-BAT") for f in first.findings)
    dup = next(f for f in again.findings if f.rule == "PES-BAT-002")
    assert dup.ack == "ERREUR_DOUBLON_BORDEREAU" and dup.line and dup.xpath
    assert outcomes[0].path in dup.message


def test_batch_rules_are_in_the_catalogue() -> None:
    ids = {r.id for r in all_rules()}
    assert {"PES-BAT-001", "PES-BAT-002", "PES-BAT-003"} <= ids


def test_jsonl_lines_then_summary(outcomes: list[FileOutcome]) -> None:
    lines = [json.loads(line) for line in render_jsonl(outcomes, EMBEDDED.info).splitlines()]
    assert [line["type"] for line in lines] == ["file"] * 5 + ["summary"]
    for line in lines[:-1]:
        entry = {k: v for k, v in line.items() if k != "type"}
        _check(entry, SCHEMA["$defs"]["file"])
    whole = json.loads(render_json(outcomes, EMBEDDED.info))
    assert lines[-1]["summary"] == whole["summary"]
    assert [line["path"] for line in lines[:-1]] == [f["path"] for f in whole["files"]]


def test_text_groups_by_bordereau_and_sums_up_by_rule(outcomes: list[FileOutcome]) -> None:
    text = render_text(outcomes)
    assert "  Bordereau " in text and "  PJ " in text
    assert "Constats par règle :" in text and "PES-BAT-002" in text
    assert text.splitlines()[-1].startswith("5 fichier(s)")
    assert "\x1b[" not in text
    english = render_text(outcomes, lang="en", quiet=True)
    assert f"✔ {outcomes[0].path}" not in english and "Findings by rule:" in english


def test_text_folds_the_checks_not_run_into_one_line_with_their_keys(
    tmp_path: Path,
) -> None:
    flow = tmp_path / "flux.xml"
    flow.write_bytes(build_flow(FlowSpec(seed=3, depense=1, pieces=1, lines=1)))
    without = render_text([validate_file(str(flow), schemas=EMBEDDED)], lang="en")
    (line,) = [x for x in without.splitlines() if "not run" in x]
    assert line == (
        "  6 check(s) not run for want of their context key (--context): PES-HDR-006 (IdPost), "
        "PES-HDR-007 (budgets), PES-HDR-008 (nomenclature), PES-DUP-006 (last_idbord), "
        "PES-DUP-007 (last_idbord), PES-DUP-008 (sent_idunique)"
    )
    assert " info " not in without  # folded, not listed one by one
    partial = validate_file(str(flow), schemas=EMBEDDED, context={"nomenclature": "M57"})
    text = render_text([partial])
    (line,) = [x for x in text.splitlines() if "non exécuté" in x]
    assert line.startswith("  5 contrôle(s) non exécuté(s), faute de leur clé de contexte")
    assert "PES-HDR-008" not in line and "PES-DUP-008 (sent_idunique)" in line
    full = {
        "IdPost": ["000000"],
        "budgets": [{"CodCol": "0"}],
        "last_idbord": {},
        "sent_idunique": ["x"],
        "nomenclature": "M57",
    }
    text = render_text([validate_file(str(flow), schemas=EMBEDDED, context=full)])
    (line,) = [x for x in text.splitlines() if "non exécuté" in x]
    assert line.endswith(": PES-DUP-006 (last_idbord), PES-DUP-007 (last_idbord)")


def test_junit_one_suite_per_file_one_case_per_rule(outcomes: list[FileOutcome]) -> None:
    root = etree.fromstring(render_junit(outcomes).encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [o.path for o in outcomes]
    checked = [r for r in all_rules() if "default" in r.profiles]
    assert int(suites[0].get("tests")) >= len(checked)
    assert suites[0].get("failures") == "0"
    failures = suites[1].findall("testcase/failure")
    assert failures and int(suites[1].get("failures")) == len(failures)
    names = {c.getparent().get("name").split()[0] for c in failures}
    assert "PES-XSD-001" in names
    assert suites[3].find("testcase/failure") is not None
    assert suites[4].find("testcase/error") is not None
    assert sum(int(s.get("tests")) for s in suites) == int(root.get("tests"))


def test_sarif_is_structurally_valid_2_1_0(outcomes: list[FileOutcome]) -> None:
    log = json.loads(render_sarif(outcomes))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pes-v2" and driver["rules"]
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    results = run["results"]
    assert results
    for result in results:
        assert result["level"] in ("error", "warning", "note", "none")
        assert result["message"]["text"]
        if "ruleIndex" in result:
            assert ids[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        if "region" in physical:
            assert physical["region"]["startLine"] >= 1
    located = [r for r in results if r["ruleId"] == "PES-XSD-001"]
    assert located and located[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert run["invocations"][0]["toolExecutionNotifications"]  # the unreadable file


def test_html_is_self_contained(outcomes: list[FileOutcome]) -> None:
    page = render_html(outcomes, EMBEDDED.info)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"(src|href)\s*=", page), "no external asset, no link"
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page
    assert "Commune" in page or "SIRET" in page
    assert "/n:PES_Aller/PES_DepenseAller[1]/Bordereau[2]" in page
    assert "@media print" in page
    etree.fromstring(page.split("\n", 1)[1].encode(), etree.HTMLParser())


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_html_renders_in_headless_chromium(outcomes: list[FileOutcome], tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: chromium is missing (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    page = tmp_path / "report.html"
    page.write_text(render_html(outcomes, EMBEDDED.info), encoding="utf-8")
    png = tmp_path / "shot.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=1200,900",
            page.as_uri(),
        ],
        check=False,
        capture_output=True,
        timeout=120,
    )
    assert png.is_file() and png.stat().st_size > 1000
    colours = _png_colours(png.read_bytes())
    assert len(colours) > 10, "the screenshot is blank"


def _png_colours(data: bytes) -> set[bytes]:
    """Distinct pixels of an 8-bit RGB(A) PNG (enough to tell a blank page)."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    seen: set[bytes] = set()
    previous = bytearray(stride)
    pos = 0
    for _ in range(height):
        kind = raw[pos]
        line = bytearray(raw[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        previous = line
        for x in range(0, stride, channels * 16):
            seen.add(bytes(line[x : x + 3]))
    return seen


ACK_XSD = Path("PES_V2") / "Rev0" / "PES_V2_Acquit_Autonome_V2.xsd"


def _ack_schema(official: Path) -> Any:
    return etree.XMLSchema(etree.parse(str(official / ACK_XSD)))


def test_acquit_validates_for_generated_flows_and_mutations(official_v530: Path) -> None:
    schema = _ack_schema(official_v530)
    bundle = SchemaBundle.from_path(official_v530)
    base = build_flow(FlowSpec(seed=5, depense=2, recette=2, pieces=2, lines=2, pj=3))
    datas = [base, build_flow(FlowSpec(seed=6, depense=0, recette=0, pj=2))]
    datas += [
        mutate(base, name).data
        for name in ("xsd.bad_date", "pj.bad_base64", "totals.nbrpce_wrong", "ids.duplicate_idbord")
    ]
    for i, data in enumerate(datas):
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"pes-v2-ack-test-{os.getpid()}-{i}.xml"
        path.write_bytes(data)
        try:
            outcome = validate_file(str(path), schemas=bundle)
        finally:
            path.unlink()
        ack = render_acquit(outcome)
        assert ack is not None
        document = etree.fromstring(ack)
        assert schema.validate(document), (i, schema.error_log)
        states = document.findall(".//ElementACQUIT/EtatAck")
        report = outcome.report
        assert report is not None
        if report.prediction.accepted:
            assert all(s.get("V") == "1" for s in states)
        else:
            assert any(s.get("V") == "0" for s in states)
            assert document.find(".//Erreur/NumAnoAck") is not None


def test_acquit_validates_for_every_corpus_pes_aller(corpus_dir: Path, official_v530: Path) -> None:
    schema = _ack_schema(official_v530)
    bundle = SchemaBundle.from_path(official_v530)
    count = 0
    for path in sorted(corpus_dir.rglob("*.xml")):
        outcome = validate_file(str(path), schemas=bundle)
        if outcome.report is None or outcome.report.flow.root != "PES_Aller":
            continue
        ack = render_acquit(outcome)
        assert ack is not None
        assert schema.validate(etree.fromstring(ack)), (path.name, schema.error_log)
        count += 1
    assert count >= 40


def test_acquit_is_none_without_a_pes_aller(outcomes: list[FileOutcome]) -> None:
    assert render_acquit(outcomes[4]) is None
    assert render_acquit(outcomes[3]) is None  # not XML: no root, no acknowledgment
    assert not outcomes[0].fails(Severity.ERROR)


def test_a_line_level_finding_names_its_line_and_the_acquit_details_it(
    official_v530: Path, tmp_path: Path
) -> None:
    base = build_flow(FlowSpec(seed=5, depense=2, recette=0, pieces=2, lines=3))
    mutated = mutate(base, "iban.bad_checksum", seed=4)
    path = tmp_path / "flow.xml"
    path.write_bytes(mutated.data)
    outcome = validate_file(str(path), schemas=SchemaBundle.from_path(official_v530))
    assert outcome.report is not None
    (found,) = [f for f in outcome.report.findings if f.rule == "PES-BNK-001"]
    line_xpath = mutated.xpath.split("/Tiers[")[0]  # …/Piece[p]/LigneDePiece[l]
    line = (
        etree.fromstring(mutated.data)
        .getroottree()
        .xpath(
            line_xpath + "/BlocLignePiece/InfoLignePce/IdLigne/@V",
            namespaces={"n": _ns(mutated.data)},
        )
    )
    assert [found.ligne] == line and found.as_dict()["ligne"] == found.ligne
    ack = render_acquit(outcome)
    assert ack is not None
    document = etree.fromstring(ack)
    assert _ack_schema(official_v530).validate(document)
    (detail,) = document.findall(".//DetailPiece/DetailLigne")
    assert detail.find("NumLigne").get("V") == found.ligne
    assert detail.getparent().find("NumPiece").get("V") == found.piece
    assert detail.find("Erreur/NumAnoAck") is not None


def _ns(data: bytes) -> str:
    return etree.QName(etree.fromstring(data)).namespace or ""


def test_acquit_groups_errors_by_record_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every bordereau and PJ with an error of its own: each element of the acquit gets its
    # own, and each error's rejection scope is looked up once, not once per record.
    from pes_v2 import ack

    data = build_flow(FlowSpec(seed=8, depense=12, recette=0, pieces=1, lines=1, pj=6))
    data = re.sub(rb'<MtBordHT V="', b'<MtBordHT V="9', data)  # PES-TOT-001, per bordereau
    data = re.sub(rb'<IdUnique V="[^"]*"', b'<IdUnique V="SAME"', data)  # PES-DUP-004, per PJ
    path = tmp_path / "flux.xml"
    path.write_bytes(data)
    outcome = validate_file(str(path), schemas=EMBEDDED)
    errors = outcome.report.errors if outcome.report else ()
    assert {f.rule for f in errors} >= {"PES-TOT-001", "PES-DUP-004"}
    looked_up: list[str] = []
    real = ack._rejects
    monkeypatch.setattr(ack, "_rejects", lambda f: looked_up.append(f.rule) or real(f))
    root = etree.fromstring(ack.build_acquit(outcome, today="2026-01-01") or b"")
    assert len(looked_up) <= len(errors)
    elements = root.findall("ACQUIT/ElementACQUIT")

    def v(element: Any, tag: str) -> str:
        return str(element.find(tag).get("V"))

    def labels(element: Any, rule: str) -> list[str]:
        return [x.get("V") for x in element.iter("LibelleAnoAck") if x.get("V").startswith(rule)]

    bordereaux = [e for e in elements if v(e, "DomaineAck") == "5"]
    pjs = [e for e in elements if v(e, "DomaineAck") == "4"]
    assert len(bordereaux) == 12 and len(pjs) == 6
    for element in bordereaux:  # each rejected for its own total, not its neighbours'
        assert v(element, "EtatAck") == "0"
        assert len(labels(element, "PES-TOT-001")) == 1
    duplicates = [f for f in errors if f.rule == "PES-DUP-004"]
    flagged = [e for e in pjs if labels(e, "PES-DUP-004")]
    assert len(flagged) == len(duplicates) == 5  # the second PJ on: one each
    assert all(len(labels(e, "PES-DUP-004")) == 1 and v(e, "EtatAck") == "0" for e in flagged)


@pytest.mark.parametrize(
    ("mutation", "domain"),
    [("sig.value_altered", "3"), ("sig.global_value_altered", "2"), ("xsd.bad_date", "0")],
)
def test_acquit_whole_flow_element_names_the_signature_at_fault(
    tmp_path: Path, mutation: str, domain: str
) -> None:
    """DomaineAck 2 is the global signature, 3 a bordereau's (every ERREUR_SIGNATURE_* code
    was put under 2), 0 anything else."""
    base = build_flow(FlowSpec(seed=3, depense=1, recette=1, pieces=1, lines=1))
    path = tmp_path / "flux.xml"
    path.write_bytes(mutate(base, mutation, seed=0).data)
    outcome = validate_file(str(path), schemas=EMBEDDED)
    assert outcome.report is not None and outcome.report.predicted is not None
    assert outcome.report.predicted.flux_rejected
    from pes_v2.ack import build_acquit

    root = etree.fromstring(build_acquit(outcome, today="2026-01-01") or b"")
    first = root.find("ACQUIT/ElementACQUIT")
    assert first.find("DomaineAck").get("V") == domain
    assert first.find("EtatAck").get("V") == "0"
