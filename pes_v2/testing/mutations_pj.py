"""Mutations for the PJ rules and strict-profile lint."""

from __future__ import annotations

import base64
import gzip
import random
from typing import Any

from .mutations import Mutation, _pick, _set

_BOMB_MEMBERS = 192
"""1 MiB gzip members of zeros: 192 MiB once inflated, above the default 200 MB cap."""


def _fichier(root: Any, rng: random.Random) -> Any:
    return _pick(root, "PES_PJ/PJ/Contenu/Fichier", rng, "PJ")


def _pj_text(payload: bytes) -> str:
    return "\n" + base64.encodebytes(payload).decode("ascii")


def _empty_content(root: Any, rng: random.Random) -> list[Any]:
    el = _fichier(root, rng)
    el.text = _pj_text(gzip.compress(b"", mtime=0))
    return [el]


def _gzip_bomb(root: Any, rng: random.Random) -> list[Any]:
    el = _fichier(root, rng)
    member = gzip.compress(bytes(1 << 20), compresslevel=9, mtime=0)
    el.text = _pj_text(member * _BOMB_MEMBERS)
    return [el]


def _mime_mismatch(root: Any, rng: random.Random) -> list[Any]:
    el = _fichier(root, rng)  # generated PJ are PDF files
    el.set("MIMEType", "image/jpeg")
    return [el]


def _typepj_domaine(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(
        root,
        "PES_PJ/PJ[TypePJ/@V='003' or TypePJ/@V='002']/RefCompta/Domaine",
        rng,
        "PJ with TypePJ 002/003 and a RefCompta",
    )
    return _set(el, "02" if el.getparent().getparent().find("TypePJ").get("V") == "003" else "01")


def _domaine_unknown(root: Any, rng: random.Random) -> list[Any]:
    return _set(_pick(root, "PES_PJ/PJ/RefCompta/Domaine", rng, "PJ with a RefCompta"), "03")


def _cfu_without_refcompta(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, "PES_PJ/PJ[not(RefCompta)]/TypePJ", rng, "PJ with a TypePJ, no RefCompta")
    return _set(el, "012")


def _paper_support_with_pj(root: Any, rng: random.Random) -> list[Any]:
    known = set(root.xpath("PES_PJ/PJ/IdUnique/@V"))
    refs = [
        ref
        for ref in root.xpath(".//PJRef[Support/@V='01']")
        if ref.find("IdUnique").get("V") in known
    ]
    if not refs:
        raise ValueError("the flow has no PJRef resolved in the flow")
    ref = rng.choice(refs)
    old = ref.find("IdUnique").get("V")
    (pj,) = root.xpath("PES_PJ/PJ[IdUnique/@V=$v][1]", v=old)
    # The fault is reported at the PJ sent for a paper reference (the one Hélios rejects):
    # its IdUnique is renamed, with every PJRef naming it, so that it is changed too.
    new = old[:-1] + ("X" if old[-1] != "X" else "Y")
    changed = _set(pj.find("IdUnique"), new)
    for other in root.xpath(".//PJRef/IdUnique[@V=$v]", v=old):
        changed += _set(other, new)
    return changed + _set(ref.find("Support"), rng.choice(("02", "03")))


def _pjref_type_domain(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(
        root,
        "PES_DepenseAller//PJRef/TypePJ | PES_RecetteAller//PJRef/TypePJ",
        rng,
        "PJRef with a TypePJ",
    )
    depense = bool(el.xpath("ancestor::PES_DepenseAller"))
    return _set(el, "002" if depense else "003")


def _at_max(el: Any, limit: int, filler: str) -> list[Any]:
    value = el.get("V")
    while len(value) < limit:
        value += filler
    value = value[:limit]
    return _set(el, value[:-1] + "x" if value.endswith(" ") else value)


_FILLER = " et Associés Réunis du Grand Sud-Ouest"


def _tiers_nom_at_max(root: Any, rng: random.Random) -> list[Any]:
    return _at_max(_pick(root, ".//Tiers/InfoTiers/Nom", rng, "tiers"), 38, _FILLER)


def _pj_description_at_max(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, "PES_PJ/PJ/Description", rng, "PJ")
    return _at_max(el, 250, " : facture détaillée des prestations du mois")


def _header_libelle_at_max(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, "EnTetePES/LibelleColBud", rng, "LibelleColBud")
    return _at_max(el, 38, " - Budget principal de la commune")


def _not_latin1(el: Any, text: str) -> list[Any]:
    return _set(el, el.get("V") + text)


def _obj_not_latin1(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//Piece/BlocPiece/InfoPce/Obj | .//Piece/BlocPiece/ObjPce", rng, "piece")
    return _not_latin1(el, " – 2ᵉ envoi")


def _pj_not_latin1(root: Any, rng: random.Random) -> list[Any]:
    return _not_latin1(_pick(root, "PES_PJ/PJ/Description", rng, "PJ"), " (coût : 12 €)")


def _header_not_latin1(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, "EnTetePES/LibellePoste", rng, "LibellePoste")
    return _not_latin1(el, " – Œuvres")


def _m(name: str, description: str, rule: str, ack: str | None, apply: Any) -> Mutation:
    return Mutation(name, description, rule, ack, "business", apply)


EXTRA: tuple[Mutation, ...] = (
    _m(
        "pj.empty_content",
        "A PJ's Fichier is the gzip of an empty file.",
        "PES-PJ-005",
        "ERREUR_PJ",
        _empty_content,
    ),
    _m(
        "pj.gzip_bomb",
        "A PJ's Fichier inflates to 192 MiB of zeros (192 gzip members of 1 MiB), above the "
        "validator's max_pj_decompressed cap.",
        "PES-PJ-004",
        None,
        _gzip_bomb,
    ),
    _m(
        "pj.mime_mismatch",
        "A PDF attachment is declared MIMEType image/jpeg.",
        "PES-PJ-009",
        None,
        _mime_mismatch,
    ),
    _m(
        "pj.typepj_domaine",
        "The RefCompta Domaine of a PJ of TypePJ 003 (dépense) becomes 02, or 01 for 002.",
        "PES-PJ-006",
        "ERREUR_PJ",
        _typepj_domaine,
    ),
    _m(
        "pj.refcompta_domaine_unknown",
        "A RefCompta Domaine is set to 03, a value Hélios does not integrate.",
        "PES-PJ-011",
        "ERREUR_PJ",
        _domaine_unknown,
    ),
    _m(
        "pj.cfu_without_refcompta",
        "A PJ without RefCompta gets TypePJ 012 (CFU), which requires one.",
        "PES-PJ-010",
        "ERREUR_PJ",
        _cfu_without_refcompta,
    ),
    _m(
        "pj.paper_support_with_pj",
        "A PJRef whose PJ is in the flow gets Support 02 (paper) or 03 (CD/DVD).",
        "PES-PJ-008",
        "ERREUR_PJ",
        _paper_support_with_pj,
    ),
    _m(
        "pj.pjref_type_domain",
        "A PJRef of a dépense piece gets TypePJ 002 (recette), or 003 in a recette piece.",
        "PES-PJ-012",
        None,
        _pjref_type_domain,
    ),
    _m(
        "lint.tiers_nom_at_max_length",
        "A tiers Nom is made exactly 38 characters long (strict profile).",
        "PES-LNT-001",
        None,
        _tiers_nom_at_max,
    ),
    _m(
        "lint.pj_description_at_max_length",
        "A PJ Description is made exactly 250 characters long (strict profile).",
        "PES-LNT-002",
        None,
        _pj_description_at_max,
    ),
    _m(
        "lint.header_libelle_at_max_length",
        "EnTetePES/LibelleColBud is made exactly 38 characters long (strict profile).",
        "PES-LNT-003",
        None,
        _header_libelle_at_max,
    ),
    _m(
        "lint.obj_not_latin1",
        "A piece object gets an en dash and a superscript e, outside ISO-8859-1 (strict profile).",
        "PES-LNT-004",
        None,
        _obj_not_latin1,
    ),
    _m(
        "lint.pj_not_latin1",
        "A PJ Description gets a euro sign, outside ISO-8859-1 (strict profile).",
        "PES-LNT-005",
        None,
        _pj_not_latin1,
    ),
    _m(
        "lint.header_not_latin1",
        "EnTetePES/LibellePoste gets an en dash and Œ, outside ISO-8859-1 (strict profile).",
        "PES-LNT-006",
        None,
        _header_not_latin1,
    ),
)
"""Mutations added to :data:`pes_v2.testing.MUTATIONS`, after the core ones."""
