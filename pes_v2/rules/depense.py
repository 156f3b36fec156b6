"""Dépense coherence: code lists and triplets beyond the XSD.

The full (TypBord, TypPce, NatPce) grid of DosTech annexe 2 is not published (pes-rules
§10.3): only the triplets quoted in the XSD annotations (pes-rules §2.8) are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..findings import Finding, Scope, Severity
from ..probes import probe
from ..records import FlowFacts, Record
from ..xmlio import Element
from .registry import Rule, rule
from .totals import (
    BordereauView,
    LineView,
    PieceView,
    amount,
    bordereau_view,
    fetch,
    number_key,
    values,
)

_RATTACH = probe("boolean(Piece/LigneDePiece/BlocLignePiece/RattachPiece)")
_CODES = {
    "depense": (
        values("Piece/BlocPiece/InfoPce/TypPce/@V"),
        values("Piece/BlocPiece/InfoPce/NatPce/@V"),
    ),
    "recette": (values("Piece/BlocPiece/TypPce/@V"), values("Piece/BlocPiece/NatPce/@V")),
}


def has_rattach(record: Record) -> bool:
    """True when some line of the bordereau carries a RattachPiece."""
    return bool(fetch(record, _RATTACH))


def piece_codes(record: Record) -> tuple[set[str | None], set[str | None]]:
    """Every TypPce and NatPce value of the bordereau (stripped, None for a missing one)."""
    typ, nat = _CODES[record.domain or ""]
    return (
        {value.strip() for value in fetch(record, typ)} | {None},
        {value.strip() for value in fetch(record, nat)} | {None},
    )


def triplets(record: Record, view: BordereauView) -> set[str]:
    """Every triplet a piece of the bordereau may have (a superset)."""
    typs, nats = piece_codes(record)
    return {f"{view.typbord}-{typ}-{nat}" for typ in typs for nat in nats}


@dataclass
class Rattach:
    """A line's RattachPiece block, read once."""

    element: Element
    natpceorig: str | None
    exerrat: str | None
    idligneorig: Element | None


def rattach_of(line: LineView) -> Rattach | None:
    """The RattachPiece of ``line``, or None."""
    block = None if line.bloc is None else line.bloc.find("RattachPiece")
    if block is None:
        return None
    nat = block.find("NatPceOrig")
    exer = block.find("ExerRat")
    return Rattach(
        block,
        None if nat is None else (nat.get("V") or "").strip(),
        None if exer is None else (exer.get("V") or "").strip(),
        block.find("IdLigneOrig"),
    )


def lines_without(piece: PieceView) -> int:
    """How many lines of ``piece`` lack a RattachPiece."""
    return sum(1 for line in piece.lines if rattach_of(line) is None)


def idligneorig_problem(r: Rattach, needs_line: set[str], no_line: set[str]) -> str | None:
    """Why IdLigneOrig does not suit NatPceOrig (``needs`` / ``forbids``), or None."""
    value = None if r.idligneorig is None else (r.idligneorig.get("V") or "").strip()
    number = amount(value)
    if r.natpceorig in needs_line and (number is None or number < 1):
        return "needs"
    if r.natpceorig in no_line and value not in (None, "") and number != 0:
        return "forbids"
    return None


def _dep(record: Record) -> BordereauView | None:
    return bordereau_view(record) if record.domain == "depense" else None


@rule(
    "PES-DEP-001",
    title=("Type de bordereau inutilisable en aller", "Bordereau type not usable in an aller flow"),
    message=(
        "TypBord vaut {value} : un bordereau de dépense aller est de type 01, 02 ou 03 "
        "(04 est réservé aux flux retour).",
        "TypBord is {value}: an aller dépense bordereau is of type 01, 02 or 03 "
        "(04 is for return flows only).",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_CODIFICATION",
    rejects="bordereau",
    source="pes-rules §2.3, §2.7 (TypBord) [XSD enum + DOC]",
    on="bordereau",
)
def typbord_aller(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Dépense TypBord 04 exists in the XSD enumeration but only for return flows."""
    view = _dep(record)
    if view is None or view.bloc is None or view.typbord != "04":
        return
    yield record.finding(
        typbord_aller.rule,  # type: ignore[attr-defined]
        view.bloc.find("TypBord"),
        value=view.typbord,
    )


RATTACH_REQUIRED = {
    "02-02-06": "01/02",
    "01-02-09": "01/02",
    "01-13-01": "01/02",
    "02-02-10": "01/02",
    "01-07-01": "04",
}
"""Dépense triplets whose lines all need a RattachPiece, and the NatPceOrig expected."""


@rule(
    "PES-DEP-002",
    title=("Rattachement manquant", "Missing RattachPiece"),
    message=(
        "La pièce {piece_id} est de type {value} : chaque ligne doit porter un bloc "
        "RattachPiece complet (NatPceOrig {expected}) ; {count} ligne(s) n'en ont pas.",
        "Piece {piece_id} is of type {value}: every line needs a complete RattachPiece "
        "block (NatPceOrig {expected}); {count} line(s) have none.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PIECE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §2.8, §2.9 item 10 [DOC]",
    on="bordereau",
)
def rattach_required(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Triplets 02-02-06, 01-02-09, 01-13-01, 02-02-10 and 01-07-01 need RattachPiece."""
    view = _dep(record)
    if view is None or triplets(record, view).isdisjoint(RATTACH_REQUIRED):
        return
    for piece in view.pieces:
        expected = RATTACH_REQUIRED.get(view.triplet(piece))
        missing = lines_without(piece) if expected and piece.info is not None else 0
        if missing and piece.info is not None:
            yield record.finding(
                rattach_required.rule,  # type: ignore[attr-defined]
                piece.info.find("TypPce"),
                value=view.triplet(piece),
                piece=piece.idpce,
                piece_id=piece.idpce,
                expected=expected,
                count=missing,
            )


def _allowed_natpceorig(view: BordereauView, piece: PieceView) -> tuple[set[str], str] | None:
    required = RATTACH_REQUIRED.get(view.triplet(piece))
    if required is not None:
        return set(required.split("/")), f"{view.triplet(piece)}"
    if piece.typpce == "05":
        return {"03"}, "TypPce 05"
    return None


@rule(
    "PES-DEP-003",
    title=("Nature de la pièce d'origine incohérente", "Inconsistent NatPceOrig"),
    message=(
        "NatPceOrig vaut {value} mais la pièce ({context}) demande NatPceOrig {expected}.",
        "NatPceOrig is {value} but the piece ({context}) requires NatPceOrig {expected}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.LIGNE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §2.8 [DOC]",
    on="bordereau",
)
def natpceorig_coherent(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """NatPceOrig is 01/02 for 02-02-06, 01-02-09, 01-13-01, 02-02-10; 04 for 01-07-01;
    03 for TypPce 05."""
    view = _dep(record)
    if view is None or not has_rattach(record):
        return
    for piece in view.pieces:
        allowed = _allowed_natpceorig(view, piece)
        if allowed is None:
            continue
        for line in piece.lines:
            r = rattach_of(line)
            if r is None or r.natpceorig is None or r.natpceorig in allowed[0]:
                continue
            yield record.finding(
                natpceorig_coherent.rule,  # type: ignore[attr-defined]
                r.element.find("NatPceOrig"),
                value=r.natpceorig,
                piece=piece.idpce,
                context=allowed[1],
                expected=" ou ".join(sorted(allowed[0]))
                if record.lang != "en"
                else " or ".join(sorted(allowed[0])),
            )


@rule(
    "PES-DEP-004",
    title=("Ligne d'origine incohérente", "Inconsistent IdLigneOrig"),
    message=(
        "NatPceOrig vaut {natpceorig} : IdLigneOrig {expected} (trouvé : {found}).",
        "NatPceOrig is {natpceorig}: IdLigneOrig {expected} (found: {found}).",
    ),
    severity=Severity.ERROR,
    scope=Scope.LIGNE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §2.9 item 10 [DOC]",
    on="bordereau",
)
def idligneorig_coherent(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdLigneOrig ≥ 1 when NatPceOrig is 01 or 02; absent or 0 when it is 03 or 04."""
    view = _dep(record)
    if view is None or not has_rattach(record):
        return
    yield from _idligneorig(record, view, idligneorig_coherent.rule, {"01", "02"}, {"03", "04"})  # type: ignore[attr-defined]


def _idligneorig(
    record: Record, view: BordereauView, which: object, needs: set[str], forbids: set[str]
) -> Iterator[Finding]:
    en = record.lang == "en"
    for piece in view.pieces:
        for line in piece.lines:
            r = rattach_of(line)
            problem = None if r is None else idligneorig_problem(r, needs, forbids)
            if r is None or problem is None:
                continue
            value = None if r.idligneorig is None else r.idligneorig.get("V")
            if problem == "needs":
                expected = "must be 1 or more" if en else "doit valoir 1 ou plus"
            else:
                expected = "must be absent or 0" if en else "doit être absent ou valoir 0"
            found = value if value is not None else ("missing" if en else "absent")
            yield record.finding(
                which,  # type: ignore[arg-type]
                r.element if r.idligneorig is None else r.idligneorig,
                value=value,
                piece=piece.idpce,
                natpceorig=r.natpceorig,
                expected=expected,
                found=found,
            )


@rule(
    "PES-DEP-005",
    title=("Exercice de rattachement incohérent", "Inconsistent ExerRat"),
    message=(
        "ExerRat vaut {value} pour une pièce {triplet} de l'exercice {exer} : {expected}.",
        "ExerRat is {value} for a {triplet} piece of year {exer}: {expected}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.LIGNE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §2.8 (02-02-06, 01-02-09) [DOC]",
    on="bordereau",
)
def exerrat_coherent(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """ExerRat = Exer for 02-02-06; ExerRat earlier than Exer for 01-02-09."""
    view = _dep(record)
    if view is not None and has_rattach(record):
        found = exerrat_coherent.rule  # type: ignore[attr-defined]
        yield from exerrat_findings(record, view, found, earlier=True)


def exerrat_findings(
    record: Record, view: BordereauView, rule: Rule, *, earlier: bool
) -> Iterator[Finding]:
    """ExerRat must equal Exer for 02-02-06; for 01-02-09 it must be an earlier year
    (dépense, ``earlier``) or just another one (recette)."""
    en = record.lang == "en"
    exer = amount(view.exer)
    if exer is None:
        return
    for piece in view.pieces:
        triplet = view.triplet(piece)
        if triplet not in ("02-02-06", "01-02-09"):
            continue
        for line in piece.lines:
            r = rattach_of(line)
            year = None if r is None else amount(r.exerrat)
            if r is None or year is None:
                continue
            if triplet == "02-02-06" and year != exer:
                expected = "it must equal Exer" if en else "il doit être égal à Exer"
            elif triplet == "01-02-09" and earlier and year >= exer:
                expected = (
                    "it must be an earlier year" if en else "il doit être un exercice antérieur"
                )
            elif triplet == "01-02-09" and not earlier and year == exer:
                expected = "it must differ from Exer" if en else "il doit différer de Exer"
            else:
                continue
            yield record.finding(
                rule,
                r.element.find("ExerRat"),
                value=r.exerrat,
                piece=piece.idpce,
                triplet=triplet,
                exer=view.exer,
                expected=expected,
            )


def lines_lacking(piece: PieceView, path: str) -> int:
    """How many lines of ``piece`` have no ``BlocLignePiece/<path>``."""
    return sum(1 for line in piece.lines if line.bloc is None or line.bloc.find(path) is None)


@rule(
    "PES-DEP-006",
    title=("Mandat global sans numéro de convention", "Mandat global without IdConv"),
    message=(
        "La pièce {piece_id} est un mandat global (01-06-01) : LiensIdent/IdConv est "
        "attendu sur chaque ligne ; {count} ligne(s) n'en ont pas.",
        "Piece {piece_id} is a mandat global (01-06-01): LiensIdent/IdConv is expected on "
        "every line; {count} line(s) have none.",
    ),
    severity=Severity.WARNING,
    scope=Scope.PIECE,
    ack=None,
    rejects="none",
    source="pes-rules §2.5 (LiensIdent), §2.8 [DOC: missing ids surface at Hélios prévisa]",
    on="bordereau",
)
def idconv_expected(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Triplet 01-06-01 carries LiensIdent/IdConv on its lines."""
    view = _dep(record)
    if view is None or "01-06-01" not in triplets(record, view):
        return
    for piece in view.pieces:
        if view.triplet(piece) != "01-06-01" or piece.info is None:
            continue
        missing = lines_lacking(piece, "LiensIdent/IdConv")
        if missing:
            yield record.finding(
                idconv_expected.rule,  # type: ignore[attr-defined]
                piece.info.find("TypPce"),
                value=view.triplet(piece),
                piece=piece.idpce,
                piece_id=piece.idpce,
                count=missing,
            )


@rule(
    "PES-DEP-007",
    title=("Mandat de régie sans numéro de régie", "Régie mandat without IdRegie"),
    message=(
        "La pièce {piece_id} est de nature régie (05) : LiensIdent/IdRegie est attendu ; "
        "{count} ligne(s) n'en ont pas (anomalie au prévisa Hélios).",
        "Piece {piece_id} is of nature régie (05): LiensIdent/IdRegie is expected; "
        "{count} line(s) have none (anomaly at Hélios prévisa).",
    ),
    severity=Severity.WARNING,
    scope=Scope.PIECE,
    ack=None,
    rejects="none",
    source="pes-rules §2.5 (LiensIdent/IdRegie) [DOC]",
    on="bordereau",
)
def idregie_expected(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """NatPce 05 (régie) carries LiensIdent/IdRegie on its lines."""
    view = _dep(record)
    if view is None or all(number_key(nat) != "5" for nat in piece_codes(record)[1]):
        return
    for piece in view.pieces:
        if number_key(piece.natpce) != "5" or piece.info is None:
            continue
        missing = lines_lacking(piece, "LiensIdent/IdRegie")
        if missing:
            yield record.finding(
                idregie_expected.rule,  # type: ignore[attr-defined]
                piece.info.find("NatPce"),
                value=piece.natpce,
                piece=piece.idpce,
                piece_id=piece.idpce,
                count=missing,
            )
