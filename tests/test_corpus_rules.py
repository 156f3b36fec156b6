"""Business rules on the real corpus: docs/corpus.md, and findings confirmed by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pes_v2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_table import table

DOCS = Path(__file__).resolve().parents[1] / "docs" / "corpus.md"


def _file(corpus_dir: Path, name: str) -> Path:
    (path,) = corpus_dir.rglob(name)
    return path


def test_docs_corpus_md_is_up_to_date(shared_reference: Path) -> None:
    assert DOCS.read_text(encoding="utf-8") == table(shared_reference), (
        "docs/corpus.md is stale: run `python tests/corpus_table.py > docs/corpus.md`"
    )


def test_pes_aller_ok_totals_and_idver(corpus_dir: Path, official_v530: Path) -> None:
    path = _file(corpus_dir, "test__PHPUnit__helios__fixtures__pes_aller_ok.xml")
    report = pes_v2.validate(path, schemas=official_v530)
    assert not [f for f in report.findings if f.rule.startswith("PES-XSD")]  # XSD-valid
    (total,) = [f for f in report.errors if f.rule == "PES-TOT-001"]
    assert (
        total.xpath == "/n:PES_Aller/PES_DepenseAller[1]/Bordereau[1]/BlocBordereau[1]/MtBordHT[1]"
    )
    assert total.value == "75724.75" and "39724.75" in total.message
    (idver,) = [f for f in report.errors if f.rule == "PES-HDR-002"]
    assert idver.xpath.endswith("/EnTeteDepense[1]/IdVer[1]") and idver.value == "1"


@pytest.mark.parametrize(
    "name",
    [
        "test__PHPUnit__helios__fixtures__pes_aller_empty.xml",
        "2.3.1rev863__test__PHPUnit__helios__fixtures__pes_aller_no_recette_no_depense.xml",
    ],
)
def test_empty_flows(corpus_dir: Path, official_v530: Path, name: str) -> None:
    report = pes_v2.validate(_file(corpus_dir, name), schemas=official_v530)
    assert "PES-FLX-001" in {f.rule for f in report.errors}


def test_mauvais_idpost_needs_the_context(corpus_dir: Path, official_v530: Path) -> None:
    """IdPost 0340000 has the codique shape (7 digits are allowed), so only Hélios's list of
    postes can refuse it: without a context the rule says it did not run; with one it fires."""
    path = _file(corpus_dir, "test__PHPUnit__lib__fixtures__PES_ALLER_MauvaisIdPost.xml")
    report = pes_v2.validate(path, schemas=official_v530)
    assert not [f for f in report.findings if f.xpath and f.xpath.endswith("/IdPost[1]")]
    (skipped,) = [f for f in report.findings if f.rule == "PES-HDR-006"]
    assert skipped.severity is pes_v2.Severity.INFO
    known = {"IdPost": ["034000"]}
    report = pes_v2.validate(path, schemas=official_v530, context=known)
    (unknown,) = [f for f in report.errors if f.rule == "PES-HDR-006"]
    assert unknown.value == "0340000" and unknown.xpath == "/n:PES_Aller/EnTetePES[1]/IdPost[1]"


def test_real_vendor_sample_is_clean(corpus_dir: Path, official_v530: Path) -> None:
    path = _file(corpus_dir, "connecteur__iParapheur__data-exemple__PES_ex.xml")
    report = pes_v2.validate(path, schemas=official_v530)
    assert report.valid and not report.warnings
