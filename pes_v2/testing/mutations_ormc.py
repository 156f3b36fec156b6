"""Mutations for the ORMC keys (Cle1, Cle2) of recette pieces.

Each one turns a recette piece into a titre ORMC (TypPce 15, NatPce 01) carrying
NumDette, Per and both keys computed correctly, then breaks the key of its rule. The four
ORMC fields are added where the v5.30 ``TBlocPiece`` sequence puts them (after ObjPce,
DebFact and FinFact, before PJRef and the invoice fields), so the mutations are
structural. TypBord is left alone: an ORMC bordereau (06) would change the IdBord
sequence of the other bordereaux and the triplets of its other pieces.
"""

from __future__ import annotations

import random
from typing import Any

from lxml import etree

from ..identifiers import ORMC_CLE2_LETTERS, ormc_cle1, ormc_cle1_input, ormc_cle2
from .mutations import Mutation, _pick, _set

_ORMC_FIELDS = ("NumDette", "Per", "Cle1", "Cle2")
_FOLLOWING = (
    "PJRef",
    "NumeroFacture",
    "NumeroMarche",
    "NumeroEngagement",
    "CodeService",
    "NomService",
    "CadreFacturation",
)
"""BlocPiece children that come after Cle2 in the XSD sequence."""


def _field(bloc: Any, tag: str, value: str) -> Any:
    """Set ``tag`` of ``bloc`` to ``value``, adding it at its XSD place when absent."""
    el = bloc.find(tag)
    if el is not None:
        el.set("V", value)
        return el
    el = etree.Element(tag, V=value)
    anchor = next((child for child in bloc if child.tag in _FOLLOWING), None)
    if anchor is None:
        bloc.append(el)
    else:
        anchor.addprevious(el)
    return el


def _ormc_piece(root: Any, rng: random.Random) -> tuple[Any, dict[str, Any], set[str]]:
    """Make a random recette piece a correct titre ORMC.

    Returns its BlocPiece, the changed elements by tag (the four ORMC fields first, in
    XSD order) and every Cle1 key a candidate input gives (IdBord, NatPce, line Nature).
    """
    codcol_el = root.find("EnTetePES/CodCol")
    codcol = None if codcol_el is None else (codcol_el.get("V") or "").strip()
    if not codcol:
        raise ValueError("the flow has no CodCol (the Cle1 input)")
    bloc = _pick(
        root, "PES_RecetteAller/Bordereau/Piece/BlocPiece[not(IdRol)]", rng, "recette piece"
    )
    bord = bloc.getparent().getparent().find("BlocBordereau")
    exer = (bord.find("Exer").get("V") or "").strip()
    if not (exer.isascii() and exer.isdigit()):
        raise ValueError(f"the bordereau's Exer {exer!r} is not a year")
    year2 = exer.zfill(2)[-2:]
    idbord = (bord.find("IdBord").get("V") or "").strip()
    dette = f"{exer}{rng.randint(1, 999_999):06d}"  # year and a sequence, as NOETHYS does
    per = str(rng.randint(1, 9))
    changed: dict[str, Any] = {}
    for tag, value in (("TypPce", "15"), ("NatPce", "01")):
        el = bloc.find(tag)
        if el.get("V") != value:
            changed[tag] = _set(el, value)[0]
    natures = [
        (el.get("V") or "").strip()
        for el in bloc.getparent().iterfind("LigneDePiece/BlocLignePiece/InfoLignePiece/Nature")
    ]
    keys = {
        ormc_cle1(ormc_cle1_input(codcol, code, year2, per, dette))
        for code in (idbord, "01", *natures)
        if code
    }
    values = {
        "NumDette": dette,
        "Per": per,
        "Cle1": ormc_cle1(ormc_cle1_input(codcol, idbord, year2, per, dette)),
        "Cle2": ormc_cle2(year2, per, dette),
    }
    fields = {tag: _field(bloc, tag, values[tag]) for tag in _ORMC_FIELDS}
    return bloc, fields | changed, keys


def _others(fields: dict[str, Any], fault: str) -> list[Any]:
    return [fields[fault]] + [el for tag, el in fields.items() if tag != fault]


def _cle1_wrong(root: Any, rng: random.Random) -> list[Any]:
    _bloc, fields, keys = _ormc_piece(root, rng)
    fields["Cle1"].set("V", rng.choice(sorted(set("0123456789") - keys)))
    return _others(fields, "Cle1")


def _cle2_wrong(root: Any, rng: random.Random) -> list[Any]:
    _bloc, fields, _keys = _ormc_piece(root, rng)
    right = fields["Cle2"].get("V")
    fields["Cle2"].set("V", rng.choice([c for c in ORMC_CLE2_LETTERS if c != right]))
    return _others(fields, "Cle2")


EXTRA: list[Mutation] = [
    Mutation(
        "ormc.cle1_wrong",
        "A recette piece becomes a titre ORMC (TypPce 15, NatPce 01) with NumDette, Per "
        "and a correct Cle2, and a Cle1 that none of the candidate inputs gives (CodCol "
        "with IdBord, NatPce or a line Nature, then year, période and debt number).",
        "PES-REC-012",
        None,
        "business",
        _cle1_wrong,
        structural=True,
    ),
    Mutation(
        "ormc.cle2_wrong",
        "A recette piece becomes a titre ORMC (TypPce 15, NatPce 01) with NumDette, Per "
        "and a correct Cle1, and another letter than its modulo-23 key in Cle2.",
        "PES-REC-013",
        None,
        "business",
        _cle2_wrong,
        structural=True,
    ),
]
