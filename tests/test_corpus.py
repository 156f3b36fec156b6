"""Every real file of the reference corpus: a report in the contract shape, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pes_v2.cli.main import cli

NOT_PES = {
    "test__PHPUnit__helios__fixtures__wrong_root.xml",
    "connecteur__libersign__fixtures__pes.xml",
    # Pre-V2 acknowledgment samples (PES_Acquit, PES_NonAcquit): no PES V2 root either.
    "1.5.01rev535__xsd__helios__PES_V2__Rev0__PES_Exemple_Ack.xml",
    "2.1__xsd__helios__PES_V2__Rev0__PES_Exemple_NAck.xml",
}
FILE_KEYS = {"path", "valid", "root", "flow", "prediction", "findings"}
FINDING_KEYS = {
    "rule",
    "severity",
    "scope",
    "ack",
    "message",
    "line",
    "column",
    "xpath",
    "value",
    "bordereau",
    "piece",
    "ligne",
    "detail",
}


def _corpus(corpus_dir: Path) -> list[Path]:
    files = sorted(corpus_dir.rglob("*.xml"))
    assert len(files) >= 70
    return files


def test_every_corpus_file_gets_a_json_report(corpus_dir: Path, official_v530: Path) -> None:
    runner = CliRunner()
    for path in _corpus(corpus_dir):
        result = runner.invoke(
            cli, ["validate", "--format", "json", "--schemas", str(official_v530), str(path)]
        )
        assert result.exit_code in (0, 1), (path.name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        document = json.loads(result.stdout)
        assert document["format"] == "pes-v2/report" and document["version"] == 1
        assert document["schemas"] == {"kind": "official", "version": "5.30"}
        (entry,) = document["files"]
        assert set(entry) >= FILE_KEYS
        assert entry["valid"] is (result.exit_code == 0)
        for finding in entry["findings"]:
            assert set(finding) == FINDING_KEYS
            assert finding["severity"] in ("error", "warning", "info")
            assert finding["message"]
        rules = {f["rule"] for f in entry["findings"]}
        assert ("PES-XML-003" in rules) is (path.name in NOT_PES), path.name
        summary = document["summary"]
        assert summary["files"] == 1
        assert summary["errors"] == sum(f["severity"] == "error" for f in entry["findings"])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_corpus_in_both_languages_with_the_embedded_schema(corpus_dir: Path, lang: str) -> None:
    result = CliRunner().invoke(
        cli, ["validate", "--schemas", "embedded", "--lang", lang, str(corpus_dir)]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    summary = result.output.strip().splitlines()[-1]
    assert ("fichier(s)" in summary) is (lang == "fr")
