"""pes-v2's streaming XSD verdict and error lines equal plain lxml on the whole corpus."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

import pes_v2
from pes_v2.bundles import ROOTS

PES_ROOT_NAMES = {"PES_Aller", "PES_ACQUIT", "PES_Retour", "PES_ACQUIT_RETOUR"}


def _root(path: Path) -> str | None:
    for _event, element in etree.iterparse(str(path), events=("start",), huge_tree=True):
        return str(element.tag)
    return None


def _plain_lxml(path: Path, bundle: Path, root: str) -> tuple[bool, set[int]]:
    schema = etree.XMLSchema(etree.parse(str(bundle / ROOTS[root])))
    tree = etree.parse(str(path), etree.XMLParser(huge_tree=True))
    valid = schema.validate(tree)
    return valid, {error.line for error in schema.error_log}


def _pes_v2(path: Path, schemas: Path) -> tuple[bool, set[int | None]]:
    report = pes_v2.validate(path, schemas=schemas)
    xsd = [f for f in report.findings if f.rule.startswith("PES-XSD")]
    return not xsd, {f.line for f in xsd}


def _checked_files(corpus_dir: Path) -> list[tuple[Path, str]]:
    files = []
    for path in sorted(corpus_dir.rglob("*.xml")):
        root = _root(path)
        if root in ROOTS:
            files.append((path, root))
    return files


@pytest.mark.parametrize("version", ["5.30", "5.17"])
def test_verdict_and_error_lines_equal_lxml(
    corpus_dir: Path, shared_reference: Path, version: str
) -> None:
    bundle = shared_reference / "xsd" / f"schemas_pes_v{version}"
    files = _checked_files(corpus_dir)
    assert len(files) >= 60
    for path, root in files:
        expected = _plain_lxml(path, bundle, root)
        assert _pes_v2(path, bundle) == expected, path.name


def test_same_result_from_a_zip_of_the_bundle(
    corpus_dir: Path, official_v530: Path, tmp_path: Path
) -> None:
    archive = shutil.make_archive(
        str(tmp_path / "schemas_pes_v5.30"), "zip", official_v530.parent, official_v530.name
    )
    for path, root in _checked_files(corpus_dir)[:25]:
        assert _pes_v2(path, Path(archive)) == _plain_lxml(path, official_v530, root), path.name


_ROW = re.compile(
    r"^\| `(?P<file>[^`]+)` \|[^|]*\|[^|]*\| \*\*FAIL\*\* \|[^|]*\|[^|]*\| line (?P<line>\d+): "
    r"Element '(?:\{[^}]*\})?(?P<element>[^']+)'"
)


def test_first_error_of_each_failing_corpus_file_is_located(
    corpus_dir: Path, shared_reference: Path, official_v530: Path
) -> None:
    table = (shared_reference / "README.md").read_text(encoding="utf-8")
    rows = [m for line in table.splitlines() if (m := _ROW.match(line))]
    assert len(rows) >= 30
    for row in rows:
        (path,) = list(corpus_dir.rglob(row["file"]))[:1] or [None]
        assert path is not None, row["file"]
        if _root(path) not in ROOTS:
            continue
        report = pes_v2.validate(path, schemas=official_v530)
        xsd = [f for f in report.findings if f.rule.startswith("PES-XSD")]
        first = min(xsd, key=lambda f: f.line or 0)
        assert first.line == int(row["line"]), row["file"]
        last_step = (first.xpath or "").rsplit("/", 1)[-1]
        assert re.sub(r"^\w+:|\[\d+\]$", "", last_step) == row["element"], (row["file"], first)
