"""Hélios-side facts the user knows, given as a context file (JSON or TOML).

Some controls need data the flow does not carry: the postes comptables that exist, the
budgets (CodCol, CodBud) of a poste, the bordereau numbers and PJ ids already sent.
Rules that need them read this mapping; without it they are reported once as not checked.

Recognised keys (all optional)::

    IdPost = ["034000", "034012"]                 # postes comptables known to Hélios
    budgets = [{CodCol = "001", CodBud = "01"}]   # budgets of the collectivité
    last_idbord = {"2026/01" = 1200}             # last IdBord sent per "Exer/TypBord"
    sent_idunique = ["PJ-2026-0001"]              # PJ ids already sent
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError

KNOWN_KEYS = frozenset({"IdPost", "budgets", "last_idbord", "sent_idunique", "nomenclature"})


def load_context(
    source: str | os.PathLike[str] | Mapping[str, Any] | None,
) -> Mapping[str, Any] | None:
    """The context as a mapping: from a JSON or TOML file, a mapping as is, or None."""
    if source is None or isinstance(source, Mapping):
        return _checked(source) if source is not None else None
    path = Path(source)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the context file ({exc.strerror or exc})",
            f"{path} : fichier de contexte illisible ({exc.strerror or exc})",
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


def _checked(data: Mapping[str, Any]) -> Mapping[str, Any]:
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown context keys: {', '.join(unknown)}",
            f"clés de contexte inconnues : {', '.join(unknown)}",
        )
    return data
