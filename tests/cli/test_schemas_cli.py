"""``pes-v2 schemas list|install|remove`` through click's CliRunner."""

from __future__ import annotations

import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pes_v2.cli.schemas import schemas


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PES_V2_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PES_V2_SCHEMAS", raising=False)


@pytest.fixture
def app() -> click.Group:
    """A stand-in for the main ``pes-v2`` group with the ``schemas`` group added."""

    @click.group()
    def root() -> None:
        pass

    root.add_command(schemas)
    return root


def _run(app: click.Group, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_empty_shows_embedded_as_default(app: click.Group) -> None:
    code, out, err = _run(app, "schemas", "list")
    assert code == 0 and err == ""
    assert "Aucun jeu officiel installé." in out
    embedded = [line for line in out.splitlines() if line.startswith("embedded")]
    assert len(embedded) == 1 and "(par défaut)" in embedded[0]


def test_install_list_remove(app: click.Group, shared_reference: Path, tmp_path: Path) -> None:
    code, out, err = _run(
        app, "schemas", "install", str(shared_reference / "xsd" / "schemas_pes_v5.17")
    )
    assert (code, err) == (0, "")
    assert out.startswith("Installé : 5.17")
    code, out, _ = _run(
        app, "schemas", "install", str(shared_reference / "xsd" / "schemas_pes_v5.30")
    )
    assert code == 0
    code, out, _ = _run(app, "schemas", "list")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("5.30") and lines[0].endswith("(par défaut)")
    assert lines[1].startswith("5.17") and "défaut" not in lines[1]
    assert lines[2].startswith("embedded") and "défaut" not in lines[2]
    code, out, _ = _run(app, "schemas", "--lang", "en", "remove", "5.30")
    assert (code, out) == (0, "Removed: 5.30\n")
    code, out, _ = _run(app, "schemas", "--lang", "en", "list")
    assert out.splitlines()[0].endswith("(default)") and out.startswith("5.17")


def test_list_mentions_env_override(app: click.Group, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PES_V2_SCHEMAS", "/some/where")
    code, out, _ = _run(app, "schemas", "list")
    assert code == 0 and "PES_V2_SCHEMAS=/some/where" in out


def test_install_with_explicit_version(
    app: click.Group, shared_reference: Path, tmp_path: Path
) -> None:
    src = shared_reference / "xsd" / "schemas_pes_v5.30"
    archive = tmp_path / "pes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in src.rglob("*.xsd"):
            zf.write(path, "top folder/" + path.relative_to(src).as_posix())
    code, out, err = _run(app, "schemas", "install", str(archive), "--version", "5.30.1")
    assert (code, err) == (0, "")
    assert out.startswith("Installé : 5.30.1")


@pytest.mark.parametrize(
    "args",
    [
        ("install", "/no/such/bundle"),
        ("remove", "9.99"),
        ("remove", "../x"),
    ],
)
def test_errors_are_one_line_exit_2(app: click.Group, args: tuple[str, ...]) -> None:
    code, out, err = _run(app, "schemas", *args)
    assert code == 2 and out == ""
    assert err.startswith("pes-v2 : erreur : ") and err.count("\n") == 1
    assert "Traceback" not in err
    code, out, err = _run(app, "schemas", "--lang", "en", *args)
    assert code == 2 and out == ""
    assert err.startswith("pes-v2: error: ") and err.count("\n") == 1


def test_install_refuses_unusable_bundle(app: click.Group, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = _run(app, "schemas", "install", str(tmp_path / "empty"))
    assert code == 2 and "pas un jeu de schémas PES V2" in err and err.count("\n") == 1
    code, _, err = _run(app, "schemas", "--lang", "en", "install", str(tmp_path / "empty"))
    assert code == 2 and "not a PES V2 schema bundle" in err and err.count("\n") == 1


def test_usage_error_exit_2(app: click.Group) -> None:
    code, _, _ = _run(app, "schemas", "install")
    assert code == 2


def test_install_into_unwritable_data_dir(
    app: click.Group, shared_reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PES_V2_DATA_DIR", str(blocker))
    code, out, err = _run(
        app, "schemas", "install", str(shared_reference / "xsd" / "schemas_pes_v5.17")
    )
    assert code == 2 and out == "" and err.startswith("pes-v2 : erreur : ")
    assert "installation impossible" in err and err.count("\n") == 1
