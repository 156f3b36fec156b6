"""``pes-v2 validate``: exit codes, formats, options, paths."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pes_v2
from pes_v2.cli.main import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
VALID = FIXTURES / "valid" / "embedded-base-depense.xml"
EMPTY_FLOW = FIXTURES / "invalid" / "reader" / "empty-flow.xml"
UTF8 = FIXTURES / "invalid" / "reader" / "bad-utf8.xml"


@pytest.fixture(autouse=True)
def _no_installed_bundles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PES_V2_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PES_V2_SCHEMAS", raising=False)


def run(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_help() -> None:
    assert run("--help")[0] == 0
    code, out, _ = run("validate", "--help")
    assert code == 0 and "--format" in out and "Exit codes" in out


def test_valid_file_exits_0_with_a_verdict_line() -> None:
    code, out, _ = run("validate", str(VALID))
    assert code == 0
    assert out.startswith("✔ ") and "valide" in out


def test_invalid_file_exits_1_and_lists_findings_in_english() -> None:
    code, out, _ = run("validate", "--lang", "en", str(EMPTY_FLOW))
    assert code == 1
    assert "invalid" in out and "PES-FLX-001" in out and "never acknowledges" in out
    assert "/n:PES_Aller" in out


def test_fail_on_warning() -> None:
    assert run("validate", str(VALID), "--fail-on", "warning")[0] == 0
    code, _, _ = run(
        "validate", str(FIXTURES / "valid" / "embedded-base-recette.xml"), "--fail-on", "warning"
    )
    assert code == 0
    utf8_valid = VALID.read_bytes().replace(b"ISO-8859-1", b"UTF-8")
    utf8_valid = utf8_valid.decode("latin-1").encode("utf-8")
    assert run("validate", "-", input=utf8_valid)[0] == 0
    assert run("validate", "--fail-on", "warning", "-", input=utf8_valid)[0] == 1


def test_quiet_prints_only_failing_files(tmp_path: Path) -> None:
    code, out, _ = run("validate", "--quiet", str(VALID), str(EMPTY_FLOW))
    assert code == 1
    assert str(VALID) not in out and str(EMPTY_FLOW) in out


def test_json_contract_and_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out, _ = run(
        "validate", "--format", "json", "--output", str(target), str(VALID), str(EMPTY_FLOW)
    )
    assert code == 1 and out == ""
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["format"] == "pes-v2/report" and document["version"] == 1
    assert document["tool"].startswith("pes-v2 ")
    assert document["schemas"] == {"kind": "embedded", "version": "5.30"}
    assert [f["valid"] for f in document["files"]] == [True, False]
    assert document["files"][0]["flow"]["IdColl"]
    summary = document["summary"]
    assert (summary["files"], summary["valid"], summary["errors"]) == (2, 1, 1)
    assert summary["by_rule"]["PES-FLX-001"] == 1


def test_directory_is_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.xml").write_bytes(VALID.read_bytes())
    (tmp_path / "a.xml").write_bytes(EMPTY_FLOW.read_bytes())
    (tmp_path / "notes.txt").write_text("not a flow")
    code, out, _ = run("validate", "--format", "json", str(tmp_path))
    paths = [f["path"] for f in json.loads(out)["files"]]
    assert paths == [str(tmp_path / "a.xml"), str(tmp_path / "b" / "z.xml")]
    assert code == 1


def test_stdin() -> None:
    code, out, _ = run("validate", "--format", "json", "-", input=EMPTY_FLOW.read_bytes())
    assert code == 1
    assert json.loads(out)["files"][0]["path"] == "-"


def test_missing_path_exits_2_with_one_line() -> None:
    code, out, err = run("validate", "/nonexistent/flux.xml")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "pes-v2 : erreur : /nonexistent/flux.xml : fichier ou dossier introuvable"
    ]
    code, out, err = run("validate", "--lang", "en", "/nonexistent/flux.xml")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "pes-v2: error: /nonexistent/flux.xml: no such file or directory"
    ]


def test_folders_holding_no_flow_exit_2_with_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "depot"
    (empty / "archives").mkdir(parents=True)
    (empty / "notes.txt").write_text("not a flow")
    code, out, err = run("validate", "--lang", "en", str(empty))
    assert code == 2 and out == ""
    assert err == f"pes-v2: error: {empty}: no *.xml file to validate\n"
    code, out, err = run("validate", str(empty), str(empty / "archives"))
    assert code == 2
    assert (
        err == f"pes-v2 : erreur : {empty}, {empty / 'archives'} : aucun fichier *.xml à valider\n"
    )
    (empty / "archives" / "flux.XML").write_bytes(VALID.read_bytes())  # any case of suffix
    assert run("validate", str(empty))[0] == 0


def test_output_never_overwrites_a_flow_being_validated(tmp_path: Path) -> None:
    flow = tmp_path / "flux.xml"
    flow.write_bytes(VALID.read_bytes())
    (tmp_path / "lien.xml").hardlink_to(flow)
    for output in (str(flow), str(tmp_path / "." / "flux.xml"), str(tmp_path / "lien.xml")):
        code, out, err = run("validate", "--lang", "en", "--output", output, str(flow))
        assert code == 2 and out == ""
        assert err == (
            f"pes-v2: error: --output {output} is one of the flows to validate: "
            "it would be overwritten\n"
        )
        assert flow.read_bytes() == VALID.read_bytes()
    # A directory of acquits: a flow named like another flow's acquit keeps its content.
    named_like_an_ack = tmp_path / "flux.acquit.xml"
    named_like_an_ack.write_bytes(VALID.read_bytes())
    code, _, _ = run(
        "validate",
        "--format",
        "acquit",
        "--output",
        str(tmp_path),
        str(flow),
        str(named_like_an_ack),
    )
    assert code == 1  # the same flow twice: PES-BAT-001
    assert named_like_an_ack.read_bytes() == VALID.read_bytes()
    assert b"PES_ACQUIT" in (tmp_path / "flux-2.acquit.xml").read_bytes()
    assert b"PES_ACQUIT" in (tmp_path / "flux.acquit.acquit.xml").read_bytes()


def test_bad_bundle_exits_2(tmp_path: Path) -> None:
    code, _, err = run("validate", "--schemas", str(tmp_path), str(VALID))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("pes-v2 : erreur :")
    assert "pas un jeu de schémas PES V2" in err


def test_bad_option_exits_2() -> None:
    assert run("validate", "--format", "pdf", str(VALID))[0] == 2


def test_input_is_never_modified(tmp_path: Path) -> None:
    copy = tmp_path / "flux.xml"
    copy.write_bytes(EMPTY_FLOW.read_bytes())
    os.utime(copy, (1_000_000_000, 1_000_000_000))
    for fmt in ("text", "json"):
        run("validate", "--format", fmt, str(copy))
    assert copy.read_bytes() == EMPTY_FLOW.read_bytes()
    assert copy.stat().st_mtime == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "flux.xml"] or sorted(
        p.name for p in tmp_path.iterdir()
    ) == ["flux.xml"]


def test_installed_bundle_becomes_the_default(official_v530: Path) -> None:
    code, out, _ = run("schemas", "install", str(official_v530))
    assert code == 0 and "5.30" in out
    code, out, _ = run("schemas", "list")
    assert "5.30" in out
    code, out, _ = run("validate", "--format", "json", str(VALID))
    assert json.loads(out)["schemas"] == {"kind": "official", "version": "5.30"}
    code, _, _ = run("schemas", "remove", "5.30")
    assert code == 0
    code, out, _ = run("validate", "--format", "json", str(VALID))
    assert json.loads(out)["schemas"] == {"kind": "embedded", "version": "5.30"}


def test_internal_error_exits_3_and_the_other_files_are_still_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pes_v2.batch

    real = pes_v2.batch.validate

    def broken(source: object, **options: object) -> pes_v2.Report:
        if str(source).endswith("empty-flow.xml"):
            raise RuntimeError("simulated bug")
        return real(source, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(pes_v2.batch, "validate", broken)
    code, out, err = run("validate", "--format", "json", str(EMPTY_FLOW), str(VALID))
    assert code == 3
    files = json.loads(out)["files"]
    assert files[0]["internal_error"] is True and "simulated bug" in files[0]["error"]
    assert files[1]["valid"] is True
    assert "Traceback" not in err and err.count("\n") == 1


def test_trust_anchors_on_the_command_line(tmp_path: Path) -> None:
    from pes_v2.testing import FlowSpec, build_flow
    from pes_v2.testing.signing import DgfipSigner, test_pki

    pki = test_pki()
    flow = tmp_path / "signed.xml"
    signer = DgfipSigner.for_pki(pki)
    flow.write_bytes(build_flow(FlowSpec(seed=4, depense=2, signed=True, signer=signer)))
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.cert_pem())
    code, out, _ = run("validate", "--format", "json", "--trust", str(root), str(flow))
    assert code == 0
    (entry,) = json.loads(out)["files"]
    assert [s["indication"] for s in entry["signatures"]] == ["PASSED", "PASSED"]
    code, out, _ = run("validate", "--format", "json", str(flow))
    (entry,) = json.loads(out)["files"]
    assert {s["sub_indication"] for s in entry["signatures"]} == {"NO_CERTIFICATE_CHAIN_FOUND"}
    bad = tmp_path / "not-a-cert.pem"
    for content in (
        "hello",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        _damaged_extension(pki.root.cert),
    ):
        # no certificate, one whose body does not parse, one whose extension does not (it
        # was accepted, then stopped every signed flow with an internal error)
        bad.write_text(content)
        code, out, err = run("validate", "--lang", "en", "--trust", str(bad), str(flow))
        assert code == 2 and not out
        assert err == f"pes-v2: error: {bad}: a trust anchor is not a PEM certificate\n"


def _damaged_extension(cert: Any) -> str:
    """``cert`` in PEM, its BasicConstraints value a SET instead of a SEQUENCE."""
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    der = bytearray(cert.public_bytes(Encoding.DER))
    oid = der.find(bytes([6, 3, 0x55, 0x1D, 0x13]))  # 2.5.29.19
    octets = der.find(b"\x04", oid + 5)
    assert der[octets + 2] == 0x30
    der[octets + 2] = 0x31
    body = base64.encodebytes(bytes(der)).decode("ascii")
    return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"


def test_limits_on_the_command_line() -> None:
    data = VALID.read_bytes()
    code, out, _ = run("validate", "--format", "json", "--limit", "max_text_bytes=10", str(VALID))
    assert code == 1
    rules = {f["rule"] for f in json.loads(out)["files"][0]["findings"]}
    assert "PES-XML-007" in rules
    assert run("validate", "--limit", "max_depth=1K", str(VALID))[0] == 0
    code, _, err = run("validate", "--limit", "nope=3", str(VALID))
    assert code == 2 and "limite inconnue 'nope'" in err
    assert run("validate", "--limit", "max_depth=-1", str(VALID))[0] == 2
    for value in ("999999999999999999", "9999999999G", "2049"):  # memory, overflow, libxml2
        code, _, err = run("validate", "--limit", f"max_depth={value}", str(VALID))
        assert code == 2 and "dépasse 2,048" in err and "Traceback" not in err
    for value in ("9" * 5000, "\u0661\u0662", "\u00b2"):  # int() refuses or reads them
        code, _, err = run("validate", "--limit", f"max_depth={value}", str(VALID))
        assert code == 2 and "n'est pas un entier positif" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert data == VALID.read_bytes()


def test_output_naming_the_file_redirected_to_standard_input(tmp_path: Path) -> None:
    """``-o F - < F`` opened F for the report before standard input was read: the flow was
    lost. Standard input redirected from a file is one of the flows like any other."""
    import subprocess
    import sys

    flow = tmp_path / "flux.xml"
    flow.write_bytes(VALID.read_bytes())
    with flow.open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, "-m", "pes_v2.cli", "validate", "--lang", "en", "-o", str(flow), "-"],
            stdin=stdin,
            capture_output=True,
            check=False,
            cwd=tmp_path,  # not the checkout, whose pes_v2 folder holds no cli package
        )
    assert result.returncode == 2
    assert b"is one of the flows to validate" in result.stderr
    assert flow.read_bytes() == VALID.read_bytes()


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "html", "junit", "sarif"])
def test_file_names_that_are_not_utf8_or_hold_control_characters(tmp_path: Path, fmt: str) -> None:
    """A name's undecodable byte or control character is written \\xNN in every report
    (percent-encoded in SARIF's URIs): junit and sarif raised UnicodeEncodeError, json
    carried a byte that is not UTF-8."""
    names = [os.fsdecode(b"bad\xff.xml"), "a\x01b.xml", "two\nlines.xml"]
    for name in names:
        (tmp_path / name).write_bytes(VALID.read_bytes())
    target = tmp_path / "report.out"
    code, _out, err = run(
        "validate", "--format", fmt, "-o", str(target), *(str(tmp_path / n) for n in names)
    )
    assert code in (0, 1) and err == ""
    text = target.read_bytes().decode("utf-8")  # well-formed UTF-8
    shown = ["bad\\xff.xml", "a\\x01b.xml", "two\\x0alines.xml"]
    if fmt == "json":
        paths = [entry["path"] for entry in json.loads(text)["files"]]
    elif fmt == "jsonl":
        lines = [json.loads(line) for line in text.splitlines()]
        paths = [line["path"] for line in lines if line.get("type") == "file"]
    elif fmt == "sarif":
        paths, shown = text, ["bad%FF.xml", "a%01b.xml", "two%0Alines.xml"]
    else:
        if fmt == "junit":
            from lxml import etree

            etree.fromstring(text.encode("utf-8"))
        paths = text
    for name in shown:
        assert (
            any(str(p).endswith(name) for p in paths) if isinstance(paths, list) else name in paths
        )


def test_an_error_line_stays_one_line_whatever_the_file_name(tmp_path: Path) -> None:
    code, _out, err = run("validate", "--lang", "en", str(tmp_path / "no\nsuch.xml"))
    assert code == 2 and err.count("\n") == 1 and "no\\x0asuch.xml" in err


def test_output_dash_is_standard_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a file named "-" would land here
    code, out, _ = run("validate", "--format", "json", "-o", "-", str(VALID))
    assert code == 0 and json.loads(out)["files"][0]["valid"]
    assert not (tmp_path / "-").exists()


def test_an_acquit_asked_of_a_flow_that_is_no_pes_aller_exits_2(tmp_path: Path) -> None:
    """It said so on stderr but exited 0, as if the acquit had been written."""
    other = tmp_path / "pj.xml"
    other.write_bytes(b'<?xml version="1.0"?><PES_ACQUIT/>')
    code, out, err = run("validate", "--lang", "en", "--format", "acquit", str(other))
    assert code == 2 and out == "" and "not a PES_Aller, no acknowledgment" in err


def test_output_naming_the_context_or_trust_file(tmp_path: Path) -> None:
    """Only the flows were protected: the report could overwrite the context file."""
    context = tmp_path / "context.json"
    context.write_text('{"IdPost": ["034000"]}')
    code, _out, err = run(
        "validate", "--lang", "en", "--context", str(context), "-o", str(context), str(VALID)
    )
    assert code == 2 and "is the --context or --trust file" in err
    assert context.read_text() == '{"IdPost": ["034000"]}'


def test_a_context_fifo_nobody_writes_to_is_not_waited_for(tmp_path: Path) -> None:
    import subprocess
    import sys

    fifo = tmp_path / "context.json"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "pes_v2.cli", "validate", "--context", str(fifo), str(VALID)],
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp_path,  # not the checkout, whose pes_v2 folder holds no cli package
    )
    assert result.returncode == 2 and "fichier de contexte invalide" in result.stderr.decode()


def test_an_acquit_of_a_flow_that_could_not_be_validated_keeps_its_exit_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An internal error (exit 3) was turned into exit 2 and "not a PES_Aller"."""
    import pes_v2.batch

    def bug(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pes_v2.batch, "validate", bug)
    code, out, err = run("validate", "--lang", "en", "--format", "acquit", str(VALID))
    assert code == 3 and out == ""
    assert "internal error: RuntimeError: boom" in err and "not a PES_Aller" not in err
