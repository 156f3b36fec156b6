"""Mutations for the header, tiers and bank-detail rules."""

from __future__ import annotations

import random
from typing import Any

from ..identifiers import iban_check_digits, rib_key
from .mutations import Mutation, _pick, _set
from .values import make_nir

DS = "{http://www.w3.org/2000/09/xmldsig#}Signature"


def _pj_idver_not_1(root: Any, rng: random.Random) -> list[Any]:
    return _set(_pick(root, "PES_PJ/EnTetePES_PJ/IdVer", rng, "PES_PJ"), 2)


def _demat_without_signature(root: Any, rng: random.Random) -> list[Any]:
    if root.find(f".//{DS}") is not None:
        raise ValueError("the flow is signed")
    el = _pick(
        root,
        "PES_DepenseAller/EnTeteDepense/InfoDematerialisee"
        " | PES_RecetteAller/EnTeteRecette/InfoDematerialisee",
        rng,
        "InfoDematerialisee",
    )
    return _set(el, 1)


def _person_without_civilite(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(
        root,
        ".//Tiers/InfoTiers[not(Civilite) and not(Prenom)]/CatTiers[@V!='01']",
        rng,
        "tiers that is not a natural person",
    )
    return _set(el, "01")


def _bad_siret(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//Tiers/InfoTiers[NatIdTiers/@V='01']/IdTiers", rng, "SIRET tiers")
    siret = el.get("V")
    pos = rng.randint(9, 13)  # keep the SIREN: only the SIRET key is broken
    digit = int(siret[pos])
    return _set(el, siret[:pos] + str((digit + rng.randint(1, 9)) % 10) + siret[pos + 1 :])


def _nir_not_allowed(root: Any, rng: random.Random) -> list[Any]:
    info = _pick(
        root,
        "PES_DepenseAller/Bordereau/Piece[BlocPiece/InfoPce/TypPce/@V!='02']"
        "//Tiers/InfoTiers[NatIdTiers/@V='01']"
        " | PES_RecetteAller/Bordereau/Piece/LigneDePiece[not(BlocLignePiece/InfoAssure)]"
        "/Tiers/InfoTiers[NatIdTiers/@V='01' and TypTiers/@V!='07']",
        rng,
        "tiers identified by a SIRET",
    )
    return _set(info.find("NatIdTiers"), "04") + _set(info.find("IdTiers"), make_nir(rng))


def _codres_without_codpays(root: Any, rng: random.Random) -> list[Any]:
    return _set(_pick(root, ".//Tiers/Adresse[not(CodPays)]/CodRes", rng, "address"), 1)


def _iban_lowercase(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//CpteBancaire/IBAN", rng, "IBAN")
    iban = el.get("V")
    bban = list(iban[4:])
    letters = [i for i, c in enumerate(bban) if c.isalpha()]
    if letters:
        i = rng.choice(letters)
    else:  # put a letter in the account number (its first characters after bank + branch)
        i = 10 + rng.randint(0, 8)
        bban[i] = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
    bban[i] = bban[i].lower()
    body = "".join(bban)
    return _set(el, iban[:2] + iban_check_digits(iban[:2], body.upper()) + body)


def _bad_rib_key(root: Any, rng: random.Random) -> list[Any]:
    cpte = _pick(root, ".//CpteBancaire[CleRib]", rng, "RIB")
    good = rib_key(*(cpte.find(t).get("V") for t in ("CodeEtab", "CodeGuic", "IdCpte")))
    bad = f"{(int(good) + rng.randint(1, 96)) % 97 + 1:02d}"
    while bad == good:
        bad = f"{int(bad) % 97 + 1:02d}"
    return _set(cpte.find("CleRib"), bad)


def _account_with_cheque(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(
        root,
        "PES_DepenseAller//LigneDePiece[Tiers/CpteBancaire]/BlocLignePiece/InfoLignePce/ModRegl",
        rng,
        "dépense line with bank details",
    )
    return _set(el, "02")


def _b(name: str, description: str, rule: str, ack: str, apply: Any) -> Mutation:
    return Mutation(name, description, rule, ack, "business", apply)


EXTRA: tuple[Mutation, ...] = (
    _b(
        "header.pj_idver_not_1",
        "EnTetePES_PJ/IdVer is 2 instead of 1.",
        "PES-HDR-003",
        "ERREUR_VERSION_PJ",
        _pj_idver_not_1,
    ),
    _b(
        "header.demat_without_signature",
        "InfoDematerialisee is set to 1 in a flow that carries no signature.",
        "PES-HDR-009",
        "ERREUR_PES_SIGNATURE",
        _demat_without_signature,
    ),
    _b(
        "tiers.person_without_civilite",
        "A company or association tiers gets CatTiers 01 (natural person), so its missing "
        "Civilite and Prenom become required.",
        "PES-TRS-001",
        "ERREUR_AUTRE",
        _person_without_civilite,
    ),
    _b(
        "tiers.bad_siret",
        "A digit of the establishment part of a tiers SIRET (NatIdTiers 01) is changed.",
        "PES-TRS-005",
        "ERREUR_AUTRE",
        _bad_siret,
    ),
    _b(
        "tiers.nir_not_allowed",
        "A SIRET tiers is identified by a valid NIR (NatIdTiers 04) on an ordinary mandat "
        "or titre, where a NIR is not allowed.",
        "PES-TRS-006",
        "ERREUR_AUTRE",
        _nir_not_allowed,
    ),
    _b(
        "tiers.codres_without_codpays",
        "A tiers address gets CodRes 1 (non-resident) without a CodPays.",
        "PES-TRS-007",
        "ERREUR_AUTRE",
        _codres_without_codpays,
    ),
    _b(
        "iban.lowercase",
        "A letter of an IBAN's account number is in lower case (check digits still right; "
        "the XSD pattern allows it).",
        "PES-BNK-003",
        "ERREUR_AUTRE",
        _iban_lowercase,
    ),
    _b(
        "bank.bad_rib_key",
        "The CleRib of a national RIB is changed to a wrong key.",
        "PES-BNK-004",
        "ERREUR_AUTRE",
        _bad_rib_key,
    ),
    _b(
        "bank.account_with_cheque",
        "A dépense line paid by transfer (tiers with CpteBancaire) gets ModRegl 02 (chèque).",
        "PES-BNK-006",
        "ERREUR_AUTRE",
        _account_with_cheque,
    ),
)
"""Mutations added to :data:`pes_v2.testing.MUTATIONS`, after the core ones."""
