"""Hélios-side facts the user knows, given as a context file (JSON or TOML).

Some controls need data the flow does not carry: the postes comptables that exist, the
budgets (CodCol, CodBud) of a poste, the bordereau numbers and PJ ids already sent.
Rules that need them read this mapping; without it they are reported once as not checked.

Recognised keys (all optional)::

    IdPost = ["034000", "034012"]                 # postes comptables known to Hélios
    budgets = [{CodCol = "001", CodBud = "01"}]   # budgets of the collectivité
    last_idbord = {"2026/01" = 1200}             # last IdBord sent per "Exer/TypBord"
    sent_idunique = ["PJ-2026-0001"]              # PJ ids already sent
    nomenclature = "M57"                          # the budget's nomenclature

A value of the wrong shape is refused with a message naming the key (a number for an IdPost
would lose its leading zero; a misspelt key would leave its rules silently idle).  A key
left out, or given empty, leaves the rules that need it not run, each said once.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .identifiers import natural_number

KNOWN_KEYS = frozenset({"IdPost", "budgets", "last_idbord", "sent_idunique", "nomenclature"})


def load_context(
    source: str | os.PathLike[str] | Mapping[str, Any] | None,
) -> Mapping[str, Any] | None:
    """The context as a mapping: from a JSON or TOML file, a mapping as is, or None."""
    if source is None or isinstance(source, Mapping):
        return _checked(source) if source is not None else None
    from .errors import InputError
    from .xmlio import read_whole  # here: the rules, which xmlio loads, read this module

    path = Path(source)
    try:
        text = read_whole(path, CONTEXT_MAX_BYTES)  # never waiting for a FIFO's writer
    except InputError as exc:
        raise ConfigError(
            f"cannot read the context file: {exc.message('en')}",
            f"fichier de contexte illisible : {exc.message('fr')}",
        ) from None
    try:
        if path.suffix.lower() == ".toml":
            try:
                tomllib = importlib.import_module("tomllib")
            except ModuleNotFoundError:  # Python 3.10
                raise ConfigError(
                    f"{path}: TOML needs Python 3.11 or newer; use JSON",
                    f"{path} : TOML demande Python 3.11 ou plus récent ; utilisez JSON",
                ) from None
            data = tomllib.loads(text.decode("utf-8"))
        else:
            data = json.loads(text.decode("utf-8"))
    except RecursionError:  # JSON or TOML nested beyond what the parser can follow
        raise ConfigError(
            f"{path}: not a valid context file: nested too deeply",
            f"{path} : fichier de contexte invalide : imbrication trop profonde",
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: not a valid context file: {exc}",
            f"{path} : fichier de contexte invalide : {exc}",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: a context file holds a table of keys",
            f"{path} : un fichier de contexte contient une table de clés",
        )
    return _checked(data)


CONTEXT_MAX_BYTES = 64 << 20
"""Largest context file read (a million IdUnique already sent take some 40 MB)."""


def gives(context: Mapping[str, Any] | None, key: str) -> bool:
    """True when ``context`` gives ``key`` a value the rules can use (not left out, not
    empty)."""
    if context is None:
        return False
    value = context.get(key)
    return value is not None and not (isinstance(value, (str, list, tuple, Mapping)) and not value)


_LAST_IDBORD_KEY = re.compile(r"(?:(?:depense|recette)/)?[0-9]{4}/[0-9]{2}")
_BUDGET_KEYS = frozenset({"CodCol", "CodBud"})


def _checked(data: Mapping[str, Any]) -> Mapping[str, Any]:
    unknown = sorted(str(key) for key in set(data) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown context keys: {', '.join(unknown)}",
            f"clés de contexte inconnues : {', '.join(unknown)}",
        )
    _strings(data.get("IdPost"), "IdPost", '["034000"]')
    _strings(data.get("sent_idunique"), "sent_idunique", '["PJ-2026-0001"]')
    _budgets(data.get("budgets"))
    _last_idbord(data.get("last_idbord"))
    _nomenclature(data.get("nomenclature"))
    return data


def _refuse(key: str, en: str, fr: str) -> ConfigError:
    return ConfigError(f"context key {key}: {en}", f"clé de contexte {key} : {fr}")


def _strings(value: Any, key: str, example: str) -> None:
    """A list of non-empty strings (numbers are refused: "034000" is not 34000)."""
    if value is None:
        return
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        raise _refuse(
            key,
            f"a list of non-empty strings is expected, such as {example}",
            f"une liste de chaînes non vides est attendue, par exemple {example}",
        )


def _budgets(value: Any) -> None:
    """A list of tables, each with a CodCol string and an optional CodBud string."""
    if value is None:
        return
    for budget in value if isinstance(value, (list, tuple)) else (None,):
        if (
            not isinstance(budget, Mapping)
            or not set(budget) <= _BUDGET_KEYS
            or not isinstance(budget.get("CodCol"), str)
            or not isinstance(budget.get("CodBud", ""), str)
        ):
            raise _refuse(
                "budgets",
                "a list of tables with the strings CodCol and CodBud is expected, such as "
                '[{"CodCol": "001", "CodBud": "01"}]',
                "une liste de tables avec les chaînes CodCol et CodBud est attendue, par "
                'exemple [{"CodCol": "001", "CodBud": "01"}]',
            )


def _last_idbord(value: Any) -> None:
    """A table from "Exer/TypBord" (or "depense/Exer/TypBord") to a number: 0 or more."""
    if value is None:
        return
    entries = value.items() if isinstance(value, Mapping) else [(None, None)]
    for key, number in entries:
        if not (isinstance(key, str) and _LAST_IDBORD_KEY.fullmatch(key)) or not (
            (isinstance(number, int) and not isinstance(number, bool) and number >= 0)
            or (isinstance(number, str) and natural_number(number) is not None)
        ):
            raise _refuse(
                "last_idbord",
                'a table from "Exer/TypBord" (or "depense/Exer/TypBord", "recette/…") to the '
                'last IdBord sent is expected, such as {"2026/01": 1200}',
                "une table de « Exer/TypBord » (ou « depense/Exer/TypBord », « recette/… ») "
                'vers le dernier IdBord transmis est attendue, par exemple {"2026/01": 1200}',
            )


def _nomenclature(value: Any) -> None:
    """A string such as "M57" (or a table whose ``name`` is one)."""
    if value is None:
        return
    name = value.get("name", value.get("nomenclature")) if isinstance(value, Mapping) else value
    if not isinstance(name, str) or (isinstance(value, Mapping) and not name.strip()):
        raise _refuse(
            "nomenclature",
            'a string is expected, such as "M57"',
            'une chaîne est attendue, par exemple "M57"',
        )
