"""The context file (Hélios-side facts): its shapes, and which rules it lets run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pes_v2
from pes_v2.cli.main import cli
from pes_v2.context import gives, load_context
from pes_v2.errors import ConfigError
from pes_v2.rules import all_rules, load
from pes_v2.testing import FlowSpec, build_flow

FLOW = build_flow(FlowSpec(seed=4, depense=1, recette=1, pieces=2, lines=1, pj=1))
GOOD: dict[str, Any] = {
    "IdPost": ["034000"],
    "budgets": [{"CodCol": "001", "CodBud": "01"}, {"CodCol": "002"}],
    "last_idbord": {"2026/01": 12, "depense/2026/02": "7"},
    "sent_idunique": ["PJ-2026-0001"],
    "nomenclature": "M57",
}
WRONG = [
    ("IdPost", "034000"),  # a string, not a list
    ("IdPost", [34000]),  # a number loses its leading zero
    ("IdPost", [""]),
    ("IdPost", {"034000": True}),
    ("budgets", {"CodCol": "001"}),  # a table, not a list of tables
    ("budgets", [{"CodCol": 1}]),
    ("budgets", [{"CodCol": "001", "CodeBud": "01"}]),  # a misspelt key
    ("budgets", ["001"]),
    ("last_idbord", [12]),
    ("last_idbord", {"2026-01": 12}),
    ("last_idbord", {"2026/1": 12}),
    ("last_idbord", {"2026/01": -1}),
    ("last_idbord", {"2026/01": True}),
    ("last_idbord", {"2026/01": "douze"}),
    ("last_idbord", {"2026/01": "1" * 500}),
    ("last_idbord", {"2026/01": 1.5}),
    ("sent_idunique", "PJ-1"),
    ("sent_idunique", [None]),
    ("nomenclature", 57),
    ("nomenclature", ["M57"]),
    ("nomenclature", {"name": ""}),
]


def _info(report: pes_v2.Report) -> dict[str, str]:
    return {f.rule: f.message for f in report.findings if f.severity is pes_v2.Severity.INFO}


def test_every_shape_the_rules_read_is_accepted(tmp_path: Path) -> None:
    assert load_context(GOOD) == GOOD
    as_json = tmp_path / "ctx.json"
    as_json.write_text(json.dumps(GOOD))
    assert load_context(as_json) == GOOD
    as_toml = tmp_path / "ctx.toml"
    as_toml.write_text(
        'IdPost = ["034000"]\nnomenclature = "M57"\nsent_idunique = []\n'
        'budgets = [{CodCol = "001", CodBud = "01"}]\n'
        '[last_idbord]\n"2026/01" = 12\n"recette/2026/02" = "7"\n'
    )
    assert load_context(as_toml)["last_idbord"] == {"2026/01": 12, "recette/2026/02": "7"}
    assert load_context({"nomenclature": {"name": "M21"}}) is not None


@pytest.mark.parametrize(("key", "value"), WRONG, ids=lambda v: json.dumps(v))
def test_a_value_of_the_wrong_shape_is_refused_naming_its_key(key: str, value: Any) -> None:
    with pytest.raises(pes_v2.ConfigError) as caught:
        load_context({key: value})
    assert f"context key {key}:" in str(caught.value)
    assert f"clé de contexte {key} :" in caught.value.message("fr")
    with pytest.raises(pes_v2.ConfigError):
        pes_v2.validate(FLOW, schemas="embedded", context={key: value})


def test_a_wrong_context_file_is_a_one_line_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "ctx.json"
    flow = tmp_path / "flow.xml"
    flow.write_bytes(FLOW)
    for content in ('{"IdPost": 34000}', "{not json", "[1, 2]", '{"Idpost": ["034000"]}'):
        path.write_text(content)
        result = CliRunner().invoke(
            cli, ["validate", "--lang", "en", "--context", str(path), str(flow)]
        )
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("pes-v2: error:")


def test_gives_means_present_and_not_empty() -> None:
    assert gives(GOOD, "IdPost") and gives(GOOD, "last_idbord") and gives(GOOD, "nomenclature")
    empty = {"IdPost": [], "budgets": [], "last_idbord": {}, "nomenclature": ""}
    assert not any(gives(empty, key) for key in empty)
    assert not gives(None, "IdPost") and not gives({}, "IdPost")


def test_every_rule_needing_the_context_names_keys_the_context_knows() -> None:
    from pes_v2.context import KNOWN_KEYS

    load()
    needing = [r for r in all_rules() if r.needs_context]
    assert len(needing) >= 6
    assert all(r.context_keys and set(r.context_keys) <= KNOWN_KEYS for r in needing)


def test_rules_whose_key_the_context_leaves_out_say_so_once() -> None:
    load()
    by_key: dict[str, set[str]] = {}
    for r in all_rules():
        for key in r.context_keys:
            by_key.setdefault(key, set()).add(r.id)
    without = _info(pes_v2.validate(FLOW, schemas="embedded", lang="en"))
    assert set(without) >= set().union(*by_key.values())
    assert all("needs a context file (--context)" in without[i] for i in by_key["IdPost"])
    everything = set().union(*by_key.values())
    for key, rule_ids in by_key.items():
        for partial in (
            {k: v for k, v in GOOD.items() if k != key},  # left out
            {**GOOD, key: type(GOOD[key])()},  # given empty
        ):
            report = pes_v2.validate(FLOW, schemas="embedded", lang="en", context=partial)
            info = _info(report)
            assert set(info) & everything == rule_ids
            for rule_id in rule_ids:
                assert f"needs '{key}' in the context file" in info[rule_id]
            assert len([f for f in report.findings if f.rule in rule_ids]) == len(rule_ids)
    full = pes_v2.validate(FLOW, schemas="embedded", context=GOOD)
    assert not set(_info(full)) & set().union(*by_key.values())


def test_a_rule_runs_once_its_key_is_given() -> None:
    unknown = pes_v2.validate(FLOW, schemas="embedded", context={"IdPost": ["999999"]})
    (found,) = [f for f in unknown.findings if f.rule == "PES-HDR-006"]
    assert found.severity is pes_v2.Severity.ERROR and found.xpath
    known = FLOW.split(b'<IdPost V="', 1)[1].split(b'"', 1)[0].decode()
    report = pes_v2.validate(FLOW, schemas="embedded", context={"IdPost": [known]})
    assert not [f for f in report.findings if f.rule == "PES-HDR-006"]


@pytest.mark.parametrize(
    ("suffix", "text"),
    [(".json", "[" * 100_000 + "]" * 100_000), (".toml", "a = " + "[" * 100_000 + "]" * 100_000)],
)
def test_a_context_nested_too_deeply_is_a_config_error(
    tmp_path: Path, suffix: str, text: str
) -> None:
    """The parsers recurse: RecursionError escaped as a traceback."""
    path = tmp_path / f"context{suffix}"
    path.write_text(text)
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_context(path)
