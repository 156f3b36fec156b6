"""Errors say what went wrong in English and in French."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import pes_v2
from pes_v2.errors import BundleError, InputError, PesError


def test_message_in_both_languages() -> None:
    error = InputError("x.xml: no such file", "x.xml : fichier introuvable")
    assert str(error) == "x.xml: no such file"
    assert error.message("en") == "x.xml: no such file"
    assert error.message("fr") == "x.xml : fichier introuvable"


def test_without_french_the_english_text_serves_both() -> None:
    error = PesError("plain")
    assert str(error) == error.message("fr") == error.message("en") == "plain"


def test_errors_survive_pickling() -> None:
    error = BundleError("bad bundle", "jeu de schémas inutilisable")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is BundleError
    assert (str(copy), copy.message("fr")) == ("bad bundle", "jeu de schémas inutilisable")


def test_library_errors_carry_french(tmp_path: Path) -> None:
    with pytest.raises(InputError) as missing:
        pes_v2.validate(tmp_path / "absent.xml")
    assert missing.value.message("fr") == f"{tmp_path / 'absent.xml'} : fichier introuvable"
    with pytest.raises(BundleError) as bundle:
        pes_v2.validate(b"<a/>", schemas=str(tmp_path))
    assert "pas un jeu de schémas PES V2" in bundle.value.message("fr")
    assert "not a PES V2 schema bundle" in str(bundle.value)


def test_a_report_of_an_unreadable_file_speaks_the_report_language(tmp_path: Path) -> None:
    missing = str(tmp_path / "dangling.xml")
    (tmp_path / "dangling.xml").symlink_to(tmp_path / "absent.xml")  # listed, not readable
    embedded = pes_v2.SchemaBundle.embedded()
    (fr,) = pes_v2.validate_many([missing], schemas=embedded, lang="fr", jobs=1)
    (en,) = pes_v2.validate_many([missing], schemas=embedded, lang="en", jobs=1)
    assert fr.error == f"{missing} : fichier introuvable"
    assert en.error == f"{missing}: no such file"
