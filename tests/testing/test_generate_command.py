"""The ``generate`` click command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pes_v2
from pes_v2.cli.generate import generate
from pes_v2.testing import FlowSpec, build_flow


def test_stdout_matches_the_api() -> None:
    res = CliRunner().invoke(
        generate,
        ["--depense", "1", "--recette", "1", "--pj", "2", "--seed", "9", "--encoding", "utf-8"],
    )
    assert res.exit_code == 0, res.output
    assert res.stdout_bytes == build_flow(
        FlowSpec(seed=9, depense=1, recette=1, pj=2, encoding="UTF-8")
    )


def test_out_file_and_target(tmp_path: Path) -> None:
    out = tmp_path / "flow.xml"
    res = CliRunner().invoke(generate, ["--target-mb", "0.2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.stat().st_size >= 200_000


def test_mutate(tmp_path: Path) -> None:
    out = tmp_path / "bad.xml"
    res = CliRunner().invoke(
        generate, ["--depense", "2", "--mutate", "ids.duplicate_idbord", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "PES-DUP-001" in res.stderr
    assert out.read_bytes().startswith(b"<?xml")


def test_mutate_with_context(tmp_path: Path) -> None:
    out = tmp_path / "bad.xml"
    res = CliRunner().invoke(generate, ["--mutate", "ids.idbord_already_sent", "-o", str(out)])
    assert res.exit_code == 0, res.output
    line = res.stderr.splitlines()[-1]
    assert line.startswith("context (validate with --context): ")
    context = json.loads(line.split(": ", 1)[1])
    assert context == {"last_idbord": {"2021/01": 1200}}
    report = pes_v2.validate(out, schemas="embedded", context=context)
    assert [f.rule for f in report.findings if f.severity is pes_v2.Severity.ERROR] == [
        "PES-DUP-006"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["--pieces", "0"],
        ["--encoding", "cp1252"],
        ["--depense", "0"],
        ["--mutate", "nope"],
        ["--mutate", "ids.duplicate_idpce", "--pieces", "1"],
        ["--target-mb", "0"],
        ["--depense", "-1"],
    ],
)
def test_usage_errors(args: list[str]) -> None:
    assert CliRunner().invoke(generate, args).exit_code == 2


def test_generate_signed_flow_with_key_and_certificate(tmp_path: Path) -> None:
    from pes_v2.testing.signing import test_pki

    pki = test_pki()
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    key.write_bytes(pki.signer.key_pem())
    cert.write_bytes(pki.signer.cert_pem())
    out = tmp_path / "signed.xml"
    result = CliRunner().invoke(
        generate,
        ["--depense", "2", "--sign", str(key), "--cert", str(cert), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    report = pes_v2.validate(out, schemas="embedded", trust=[pki.root.cert_pem()])
    assert report.valid, report.errors
    assert len(report.signatures) == 2
    assert {s.indication.value for s in report.signatures} == {"PASSED"}
    lone = CliRunner().invoke(generate, ["--sign", str(key)])
    assert lone.exit_code == 2
