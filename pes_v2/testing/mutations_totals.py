"""Mutations for the VAT totals and the first dépense coherence rules (value edits only).

Rules that need a block the generator never writes (RattachPiece, LiensIdent, DteMajo…)
have structural mutations in :mod:`.mutations_business`.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from .mutations import Mutation, _pick, _set


def _depense_bordereau_with_vat(root: Any, rng: random.Random) -> Any:
    return _pick(
        root,
        "PES_DepenseAller/Bordereau[BlocBordereau/MtBordTVA]",
        rng,
        "dépense bordereau with VAT",
    )


def _mtbordtva_without_line_vat(root: Any, rng: random.Random) -> list[Any]:
    bord = _depense_bordereau_with_vat(root, rng)
    total = bord.find("BlocBordereau/MtBordTVA")
    changed = _set(total, Decimal(total.get("V")) + Decimal("0.01"))
    for mttva in bord.iterfind("Piece/LigneDePiece/BlocLignePiece/InfoLignePce/MtTVA"):
        changed += _set(mttva, "0.00")
    return changed


def _mtbordtva_zero(root: Any, rng: random.Random) -> list[Any]:
    bord = _depense_bordereau_with_vat(root, rng)
    return _set(bord.find("BlocBordereau/MtBordTVA"), "0.00")


def _mtbordtva_off_by_cent(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, "*/Bordereau/BlocBordereau/MtBordTVA", rng, "bordereau with VAT")
    return _set(el, Decimal(el.get("V")) + Decimal("0.01"))


def _depense_typbord_04(root: Any, rng: random.Random) -> list[Any]:
    return _set(
        _pick(root, "PES_DepenseAller/Bordereau/BlocBordereau/TypBord", rng, "dépense bordereau"),
        "04",
    )


def _depense_cca_without_rattachpiece(root: Any, rng: random.Random) -> list[Any]:
    info = _pick(
        root,
        "PES_DepenseAller/Bordereau[BlocBordereau/TypBord/@V='01']/Piece/BlocPiece/InfoPce",
        rng,
        "dépense piece in an ordinary bordereau",
    )
    changed = _set(info.find("TypPce"), "13")
    if info.find("NatPce").get("V") != "01":
        changed += _set(info.find("NatPce"), "01")
    return changed


EXTRA: tuple[Mutation, ...] = (
    Mutation(
        "totals.mtbordtva_without_line_vat",
        "Every MtTVA of a dépense bordereau is set to 0.00 while its MtBordTVA still "
        "declares VAT (raised by one cent).",
        "PES-TOT-003",
        "ERREUR_CUMUL_MONTANTS",
        "business",
        _mtbordtva_without_line_vat,
    ),
    Mutation(
        "totals.mtbordtva_zero",
        "MtBordTVA of a dépense bordereau is set to 0.00 while its lines carry VAT.",
        "PES-TOT-004",
        "ERREUR_CUMUL_MONTANTS",
        "business",
        _mtbordtva_zero,
    ),
    Mutation(
        "totals.mtbordtva_off_by_cent",
        "MtBordTVA is one cent above the sum of the lines' MtTVA.",
        "PES-TOT-005",
        "ERREUR_CUMUL_MONTANTS",
        "business",
        _mtbordtva_off_by_cent,
    ),
    Mutation(
        "depense.typbord_04",
        "A dépense bordereau gets TypBord 04, which exists only in return flows.",
        "PES-DEP-001",
        "ERREUR_CODIFICATION",
        "business",
        _depense_typbord_04,
    ),
    Mutation(
        "depense.cca_without_rattachpiece",
        "A dépense piece becomes 01-13-01 (charges constatées d'avance) without the "
        "RattachPiece its lines need.",
        "PES-DEP-002",
        "ERREUR_AUTRE",
        "business",
        _depense_cca_without_rattachpiece,
    ),
)
"""Mutations added to :data:`pes_v2.testing.MUTATIONS`, after the core ones."""
