"""``pes-v2 ack``: every PES_ACQUIT of the corpus is explained; predicted ACKs read back."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from pes_v2.ack import DOMAINS, NUM_ANO_ACK, explain_code, read_acquit
from pes_v2.cli.main import cli


def _acks(corpus_dir: Path) -> list[Path]:
    found = []
    for path in sorted(corpus_dir.rglob("*.xml")):
        head = path.read_bytes()[:600]
        if b"PES_ACQUIT " in head or b"PES_ACQUIT>" in head:
            found.append(path)
    return found


def test_every_corpus_acquit_is_explained(corpus_dir: Path, official_v530: Path) -> None:
    acks = _acks(corpus_dir)
    assert len(acks) >= 10
    runner = CliRunner()
    for path in acks:
        for lang in ("fr", "en"):
            result = runner.invoke(
                cli, ["ack", "--lang", lang, "--schemas", str(official_v530), str(path)]
            )
            assert result.exit_code in (0, 1), (path.name, result.output)
            assert "Traceback" not in result.output
            assert ("Verdict :" if lang == "fr" else "Verdict:") in result.stdout
        document = read_acquit(path)
        assert document.version in ("v1", "v2")
        result = runner.invoke(cli, ["ack", "--format", "json", str(path)])
        data = json.loads(result.stdout)
        assert data["accepted"] is (result.exit_code == 0)


def test_rejection_is_explained_with_the_code_meaning(corpus_dir: Path) -> None:
    path = next(p for p in _acks(corpus_dir) if p.name.endswith("pes_acquit_not_valid.xml"))
    result = CliRunner().invoke(cli, ["ack", "--schemas", "embedded", str(path)])
    assert result.exit_code == 1
    assert "ERREUR_AUTRE" in result.stdout and "REJET" in result.stdout
    assert explain_code("ERREUR_AUTRE") in result.stdout


def test_every_code_and_domain_is_bilingual(official_v530: Path) -> None:
    xsd = (official_v530 / "PES_V2" / "CommunAck.xsd").read_text(encoding="utf-8")
    codes = set(re.findall(r'value="(ERREUR_[A-Z_]+)"', xsd))
    assert codes == set(NUM_ANO_ACK)
    assert set(re.findall(r'enumeration value="([0-9]+)"', xsd)) == set(DOMAINS)
    for fr, en in (*NUM_ANO_ACK.values(), *DOMAINS.values()):
        assert fr and en
    assert explain_code("ERREUR_INCONNU", "en") == "Code unknown to pes-v2."


def test_a_predicted_acquit_reads_back(tmp_path: Path) -> None:
    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "valid" / "gen-mixed-pj.xml"
    target = tmp_path / "ack.xml"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "validate",
            "--schemas",
            "embedded",
            "--format",
            "acquit",
            "-o",
            str(target),
            str(fixture),
        ],
    )
    assert result.exit_code == 0
    result = runner.invoke(cli, ["ack", "--lang", "en", "--schemas", "embedded", str(target)])
    assert result.exit_code == 0 and "ACCEPTED" in result.stdout


def test_not_an_acquit_exits_2(tmp_path: Path) -> None:
    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "valid" / "gen-depense.xml"
    result = CliRunner().invoke(cli, ["ack", str(fixture)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"pes-v2 : erreur : {fixture} : l'élément racine est PES_Aller, pas PES_ACQUIT\n"
    )
    result = CliRunner().invoke(cli, ["ack", "--lang", "en", str(fixture)])
    assert result.exit_code == 2
    assert result.stderr == f"pes-v2: error: {fixture}: root element is PES_Aller, not PES_ACQUIT\n"


def _predicted_acceptance(tmp_path: Path) -> bytes:
    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "valid" / "gen-mixed-pj.xml"
    target = tmp_path / "ack.xml"
    result = CliRunner().invoke(
        cli, ["validate", "--format", "acquit", "-o", str(target), str(fixture)]
    )
    assert result.exit_code == 0
    return target.read_bytes()


def test_a_rejection_in_a_second_acquit_block_is_not_lost(tmp_path: Path) -> None:
    """The schema has one ACQUIT; a second one holding a rejection (schema error) was
    skipped, and the acknowledgment said ACCEPTED, exit 0."""
    accepted = _predicted_acceptance(tmp_path)
    second = (
        b'<ACQUIT><ElementACQUIT><DomaineAck V="5"/><EtatAck V="0"/><NumBord V="9"/>'
        b'<Erreur><NumAnoAck V="ERREUR_DOUBLON_BORDEREAU"/></Erreur></ElementACQUIT></ACQUIT>'
    )
    (before, after) = accepted.rsplit(b"</ACQUIT>", 1)
    assert b"</n:PES_ACQUIT>" in after
    path = tmp_path / "two.xml"
    path.write_bytes(before + b"</ACQUIT>" + second + after)
    document = read_acquit(path)
    assert not document.accepted
    assert [e.num_bord for e in document.elements if not e.accepted] == ["9"]
    result = CliRunner().invoke(cli, ["ack", "--lang", "en", str(path)])
    assert result.exit_code == 1 and "REJECTED" in result.stdout


def test_an_acquit_with_a_doctype_or_a_foreign_namespace_exits_2(tmp_path: Path) -> None:
    accepted = _predicted_acceptance(tmp_path)
    declaration, rest = accepted.split(b"?>", 1)
    cases = {
        "doctype": declaration + b"?><!DOCTYPE n:PES_ACQUIT>" + rest,
        "other-namespace": re.sub(rb'xmlns:n="[^"]*"', b'xmlns:n="urn:other"', accepted),
    }
    messages = {
        "doctype": "a DOCTYPE is refused",
        "other-namespace": "PES_ACQUIT in namespace urn:other: not an Hélios acknowledgment",
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.xml"
        path.write_bytes(data)
        result = CliRunner().invoke(cli, ["ack", "--lang", "en", str(path)])
        assert result.exit_code == 2, (name, result.stdout)
        assert messages[name] in result.stderr


def test_a_fifo_nobody_writes_to_is_not_waited_for(tmp_path: Path) -> None:
    """The acknowledgment was parsed by path, which waits for a FIFO's writer forever."""
    import os
    import subprocess
    import sys

    fifo = tmp_path / "ack.xml"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "pes_v2.cli", "ack", "--lang", "en", str(fifo)],
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp_path,  # not the checkout, whose pes_v2 folder holds no cli package
    )
    assert result.returncode == 2 and b"not a readable XML file" in result.stderr


def test_an_unreadable_acknowledgment_is_named_once(tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    result = CliRunner().invoke(cli, ["ack", "--lang", "en", str(missing)])
    assert result.exit_code == 2
    assert result.stderr == f"pes-v2: error: {missing}: no such file\n"
