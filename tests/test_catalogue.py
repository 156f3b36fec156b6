"""The rule catalogue: complete, bilingual, and docs/rules.md up to date."""

from __future__ import annotations

import json
import string
from pathlib import Path

from click.testing import CliRunner

from pes_v2.catalogue import render_catalogue
from pes_v2.cli.main import cli
from pes_v2.rules import all_rules

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def test_docs_rules_md_is_generated_from_the_registry() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_catalogue("md"), (
        "docs/rules.md is stale: run `pes-v2 rules --format md > docs/rules.md`"
    )


def test_every_rule_is_complete_and_bilingual() -> None:
    ids = [rule.id for rule in all_rules()]
    assert len(ids) == len(set(ids))
    for rule in all_rules():
        assert rule.id.startswith("PES-") and rule.title_fr and rule.title_en, rule.id
        assert rule.message_fr and rule.message_en and rule.message_fr != rule.message_en, rule.id
        fields_fr = {f for _, f, _, _ in string.Formatter().parse(rule.message_fr) if f}
        fields_en = {f for _, f, _, _ in string.Formatter().parse(rule.message_en) if f}
        assert fields_fr == fields_en, rule.id
        assert rule.rejects in ("flux", "bordereau", "pj", "none"), rule.id
        assert set(rule.profiles) <= {"default", "strict"} and rule.profiles, rule.id
        assert rule.source, rule.id


def test_rules_command_formats() -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["rules"]).output
    assert "PES-XSD-001" in text and "PES-FLX-001" in text
    document = json.loads(runner.invoke(cli, ["rules", "--format", "json"]).output)
    assert document["format"] == "pes-v2/rules"
    assert {r["id"] for r in document["rules"]} == {r.id for r in all_rules()}
    english = runner.invoke(cli, ["rules", "--lang", "en"]).output
    assert "Empty file" in english
