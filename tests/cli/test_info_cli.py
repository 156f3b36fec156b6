"""``pes-v2 info``: the flow at a glance, text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pes_v2.cli.main import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MIXED = FIXTURES / "valid" / "gen-mixed-pj.xml"


def test_info_text_shows_collectivite_bordereaux_and_pj() -> None:
    result = CliRunner().invoke(cli, ["info", "--schemas", "embedded", str(MIXED)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Collectivité" in out and "CodBud" in out and "Bordereaux (" in out
    assert "PJ (" in out and "État des signatures" in out


def test_info_json() -> None:
    result = CliRunner().invoke(
        cli, ["info", "--format", "json", "--lang", "en", "--schemas", "embedded", str(MIXED)]
    )
    document = json.loads(result.stdout)
    assert document["format"] == "pes-v2/info"
    assert document["flow"]["IdColl"] and document["bordereaux"]
    first = document["bordereaux"][0]
    assert {"Exer", "TypBord", "IdBord", "pieces", "totals"} <= set(first)
    assert document["signatures"] == []  # an unsigned flow


def test_info_shows_the_signers(tmp_path: Path) -> None:
    from pes_v2.testing import FlowSpec, build_flow
    from pes_v2.testing.signing import DgfipSigner, test_pki

    flow = tmp_path / "signed.xml"
    signer = DgfipSigner.for_pki(test_pki())
    flow.write_bytes(build_flow(FlowSpec(seed=4, depense=1, signed=True, signer=signer)))
    result = CliRunner().invoke(cli, ["info", "--lang", "en", "--schemas", "embedded", str(flow)])
    assert "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND" in result.stdout
    document = json.loads(
        CliRunner()
        .invoke(cli, ["info", "--format", "json", "--schemas", "embedded", str(flow)])
        .stdout
    )
    (status,) = document["signatures"]
    assert status["signer"] and status["indication"] == "INDETERMINATE"


def test_info_missing_file_exits_2() -> None:
    result = CliRunner().invoke(cli, ["info", "/nonexistent.xml"])
    assert result.exit_code == 2
    assert result.stderr == "pes-v2 : erreur : /nonexistent.xml : fichier ou dossier introuvable\n"
    result = CliRunner().invoke(cli, ["info", "--lang", "en", "/nonexistent.xml"])
    assert result.exit_code == 2
    assert result.stderr == "pes-v2: error: /nonexistent.xml: no such file or directory\n"
