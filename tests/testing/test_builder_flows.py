"""Every generated flow is valid against the official XSD and the business rules."""

from __future__ import annotations

import io
from typing import Any

import pytest
from lxml import etree

import pes_v2
from pes_v2.testing import FlowSpec, build_flow, write_flow


def parse(data: bytes) -> Any:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _specs() -> list[FlowSpec]:
    specs = []
    for seed in range(200):
        shape = seed % 4  # dépense, recette, mixed, PJ-only now and then
        depense, recette = [(1 + seed % 3, 0), (0, 1 + seed % 2), (1, 1 + seed % 2), (1, 0)][shape]
        if seed % 50 == 49:
            depense, recette = 0, 0
        specs.append(
            FlowSpec(
                seed=seed,
                depense=depense,
                recette=recette,
                pieces=1 + seed % 4,
                lines=1 + seed % 3,
                pj=(seed // 4) % 4 if depense + recette else 2,
                pj_size=50 + 97 * seed,
                encoding="UTF-8" if seed % 5 == 0 else "ISO-8859-1",
            )
        )
    return specs


SPECS = _specs()


def test_two_hundred_flows_are_valid(official_xsd: Any, business_oracle: Any) -> None:
    for spec in SPECS:
        data = build_flow(spec)
        root = parse(data)
        ok = official_xsd.validate(root.getroottree())
        assert ok, (spec, [str(e) for e in official_xsd.error_log][:3])
        assert business_oracle(root) == [], spec


def test_variety_is_covered() -> None:
    encodings = {s.encoding for s in SPECS}
    assert encodings == {"UTF-8", "ISO-8859-1"}
    assert any(s.depense and s.recette for s in SPECS)
    assert any(not s.depense and s.recette for s in SPECS)
    assert any(not s.depense and not s.recette and s.pj for s in SPECS)
    assert any(s.pj and s.depense for s in SPECS)


def test_encoding_is_declared_and_used() -> None:
    latin = build_flow(FlowSpec(seed=3, recette=1, depense=1))
    utf8 = build_flow(FlowSpec(seed=3, recette=1, depense=1, encoding="utf-8"))
    assert latin.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert utf8.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert latin.decode("iso-8859-1") != utf8.decode("iso-8859-1")
    assert parse(latin).find("EnTetePES/LibelleColBud").get("V") == parse(utf8).find(
        "EnTetePES/LibelleColBud"
    ).get("V")


def test_same_seed_same_bytes() -> None:
    spec = FlowSpec(seed=42, depense=2, recette=1, pj=2, pj_size=5000)
    assert build_flow(spec) == build_flow(spec)
    buf = io.BytesIO()
    assert write_flow(spec, buf) == len(buf.getvalue())
    assert buf.getvalue() == build_flow(spec)
    assert build_flow(FlowSpec(seed=43, depense=2, recette=1, pj=2)) != build_flow(spec)


def test_counts_follow_the_spec() -> None:
    root = parse(build_flow(FlowSpec(seed=1, depense=2, recette=3, pieces=4, lines=5, pj=3)))
    assert len(root.findall("PES_DepenseAller/Bordereau")) == 2
    assert len(root.findall("PES_RecetteAller/Bordereau")) == 3
    assert len(root.findall("PES_RecetteAller/Bordereau/Piece")) == 12
    assert len(root.findall("PES_DepenseAller/Bordereau/Piece/LigneDePiece")) == 40
    assert len(root.findall("PES_PJ/PJ")) == 3
    assert len(root.findall(".//PJRef")) == 3


def test_target_bytes_adds_bordereaux(official_xsd: Any, business_oracle: Any) -> None:
    spec = FlowSpec(
        seed=7, depense=1, recette=1, pieces=2, lines=2, pj=1, pj_size=3000, target_bytes=300_000
    )
    data = build_flow(spec)
    assert 300_000 <= len(data) < 320_000
    root = parse(data)
    assert len(root.findall("PES_DepenseAller/Bordereau")) == 1
    assert len(root.findall("PES_RecetteAller/Bordereau")) > 10
    assert official_xsd.validate(root.getroottree())
    assert business_oracle(root) == []


def test_signer_hook_sees_every_bordereau() -> None:
    seen: list[str] = []
    ds = "http://www.w3.org/2000/09/xmldsig#"

    def signer(bordereau: Any) -> None:
        seen.append(bordereau.get("Id"))
        etree.SubElement(bordereau, f"{{{ds}}}Signature", nsmap={"ds": ds})

    root = parse(build_flow(FlowSpec(seed=2, depense=2, recette=1, signed=True, signer=signer)))
    bords = root.xpath("*/Bordereau")
    assert seen == [b.get("Id") for b in bords]
    assert all(b[-1].tag == f"{{{ds}}}Signature" for b in bords)
    assert {e.get("V") for e in root.xpath("*/*/InfoDematerialisee")} == {"1"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"depense": 0, "recette": 0, "pj": 0},
        {"pieces": 0},
        {"lines": -1},
        {"encoding": "cp1252"},
        {"signed": True},
        {"target_bytes": 0},
        {"depense": 0, "pj": 1, "target_bytes": 10},
        {"pj_size": 0},
        {"pieces": True},
    ],
)
def test_bad_specs_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FlowSpec(**kwargs)


def test_write_flow_accepts_a_path(tmp_path: Any) -> None:
    spec = FlowSpec(seed=5)
    n = write_flow(spec, tmp_path / "f.xml")
    assert (tmp_path / "f.xml").read_bytes() == build_flow(spec)
    assert n == len(build_flow(spec))


def test_generated_flows_are_clean_in_the_strict_profile() -> None:
    """No value sits exactly at its maximum length (it would read as silent truncation)."""
    for seed in range(40):
        spec = FlowSpec(seed=seed, depense=2, recette=2, pj=1)
        report = pes_v2.validate(build_flow(spec), profile="strict")
        assert [f.rule for f in report.findings if f.severity.value != "info"] == [], seed
