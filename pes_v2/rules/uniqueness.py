"""Uniqueness of bordereau, piece, line and PJ identifiers.

Inside the file: (Exer, TypBord, IdBord) per domain, IdPce per bordereau, IdLigne per piece
and PJ IdUnique.  Against Hélios history (context file): IdBord after the last one sent per
(Exer, TypBord), and PJ IdUnique not already sent.  State kept across records holds ids
only (memory follows the number of ids, never the size of the file).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..findings import Finding, Scope, Severity
from ..identifiers import natural_number
from ..probes import grouped
from ..records import FlowFacts, Record
from .registry import rule
from .totals import bordereau_view, fetch, number_key, values

_IDPCE = {
    "depense": values("Piece/BlocPiece[InfoPce][1]/InfoPce[1]/IdPce[1]/@V"),
    "recette": values("Piece/BlocPiece[1]/IdPce[1]/@V"),
}
"""The IdPce of each piece, as :func:`~.totals.bordereau_view` reads it."""
_IDLIGNE = {
    "depense": grouped("Piece", "LigneDePiece/BlocLignePiece/InfoLignePce/IdLigne/@V"),
    "recette": grouped("Piece", "LigneDePiece/BlocLignePiece/InfoLignePiece/IdLigne/@V"),
}
"""Every IdLigne value below each Piece (a superset of those checked)."""


def _piece_keys(record: Record) -> list[str | None]:
    """number_key of each piece's IdPce (pieces without one left out), in order."""
    xpath = _IDPCE.get(record.domain or "")
    return [] if xpath is None else [number_key(value) for value in fetch(record, xpath)]


def _line_duplicates(record: Record) -> bool:
    """True when some piece may hold two lines with the same IdLigne."""
    xpath = _IDLIGNE.get(record.domain or "")
    if xpath is None:
        return False
    for (idlignes,) in fetch(record, xpath):
        seen: set[str | None] = set()
        for value in idlignes:
            key = number_key(value)
            if key in seen:
                return True
            seen.add(key)
    return False


_BORDEREAUX = "uniqueness.bordereaux"
_PIECES = "uniqueness.pieces"
_PJ = "uniqueness.pj"
_SEQUENCE = "uniqueness.sequence"


@rule(
    "PES-DUP-001",
    title=("Bordereau en double dans le flux", "Duplicate bordereau in the flow"),
    message=(
        "Le bordereau n° {value} (exercice {exer}, type {typbord}) figure déjà plus haut dans "
        "le flux : chaque (Exer, TypBord, IdBord) doit être unique.",
        "Bordereau {value} (year {exer}, type {typbord}) already appears earlier in the flow: "
        "each (Exer, TypBord, IdBord) must be unique.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_DOUBLON_BORDEREAU",
    rejects="bordereau",
    source="pes-rules §2.3, §2.9 item 6, §3.3 [IMPL; DOC-ctx against Hélios history]",
    on="bordereau",
)
def duplicate_bordereau(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """No two bordereaux of one domain share (Exer, TypBord, IdBord)."""
    view = bordereau_view(record)
    if view.idbord is None or view.bloc is None:
        return
    key = (view.domain, number_key(view.exer), view.typbord, number_key(view.idbord))
    seen: set[tuple[str | None, ...]] = facts.state(_BORDEREAUX, set)
    if key in seen:
        yield record.finding(
            duplicate_bordereau.rule,  # type: ignore[attr-defined]
            view.bloc.find("IdBord"),
            value=view.idbord,
            exer=view.exer,
            typbord=view.typbord,
        )
    else:
        seen.add(key)


@rule(
    "PES-DUP-002",
    title=("Pièce en double dans le bordereau", "Duplicate piece in the bordereau"),
    message=(
        "La pièce n° {value} figure deux fois dans le bordereau : IdPce doit y être unique.",
        "Piece {value} appears twice in the bordereau: IdPce must be unique in it.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PIECE,
    ack="ERREUR_DOUBLON_PIECE",
    rejects="bordereau",
    source="pes-rules §2.4, §2.9 item 7, §3.4 [IMPL: ACK code ERREUR_DOUBLON_PIECE]",
    on="bordereau",
)
def duplicate_piece(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdPce is unique inside its bordereau."""
    keys = _piece_keys(record)
    if len(set(keys)) == len(keys):
        return
    seen: set[str | None] = set()
    for piece in bordereau_view(record).pieces:
        if piece.idpce is None or piece.info is None:
            continue
        key = number_key(piece.idpce)
        if key in seen:
            yield record.finding(
                duplicate_piece.rule,  # type: ignore[attr-defined]
                piece.info.find("IdPce"),
                value=piece.idpce,
                piece=piece.idpce,
            )
        seen.add(key)


@rule(
    "PES-DUP-003",
    title=("Ligne en double dans la pièce", "Duplicate line in the piece"),
    message=(
        "La ligne n° {value} figure deux fois dans la pièce {idpce} : IdLigne doit y être unique.",
        "Line {value} appears twice in piece {idpce}: IdLigne must be unique in it.",
    ),
    severity=Severity.ERROR,
    scope=Scope.LIGNE,
    ack="ERREUR_DOUBLON_LIGNE",
    rejects="bordereau",
    source="pes-rules §2.5, §2.9 item 7, §3.5 [IMPL: ACK code ERREUR_DOUBLON_LIGNE]",
    on="bordereau",
)
def duplicate_line(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdLigne is unique inside its piece."""
    if not _line_duplicates(record):
        return
    for piece in bordereau_view(record).pieces:
        seen: set[str | None] = set()
        for line in piece.lines:
            idligne = None if line.info is None else line.info.find("IdLigne")
            value = None if idligne is None else idligne.get("V")
            if idligne is None or value is None:
                continue
            key = number_key(value)
            if key in seen:
                yield record.finding(
                    duplicate_line.rule,  # type: ignore[attr-defined]
                    idligne,
                    value=value,
                    piece=piece.idpce,
                    idpce=piece.idpce,
                )
            seen.add(key)


@rule(
    "PES-DUP-004",
    title=("Pièce justificative en double dans le flux", "Duplicate attachment in the flow"),
    message=(
        "L'identifiant de PJ {value} figure déjà plus haut dans le flux : IdUnique doit être "
        "unique.",
        "Attachment id {value} already appears earlier in the flow: IdUnique must be unique.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_DOUBLON_PJ",
    rejects="pj",
    source="pes-rules §4.2 (IdUnique) [IMPL within a file; DOC-ctx against Hélios]",
    on="pj",
)
def duplicate_pj(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """No two PES_PJ/PJ share an IdUnique."""
    element = record.element.find("IdUnique")
    value = None if element is None else element.get("V")
    if element is None or value is None:
        return
    seen: set[str] = facts.state(_PJ, set)
    if value in seen:
        yield record.finding(duplicate_pj.rule, element, value=value)  # type: ignore[attr-defined]
    else:
        seen.add(value)


@rule(
    "PES-DUP-005",
    title=(
        "Numéro de pièce déjà utilisé dans un autre bordereau du flux",
        "Piece number already used in another bordereau of the flow",
    ),
    message=(
        "La pièce n° {value} (exercice {exer}) figure déjà dans un autre bordereau de ce flux.",
        "Piece {value} (year {exer}) already appears in another bordereau of this flow.",
    ),
    severity=Severity.WARNING,
    scope=Scope.PIECE,
    ack="ERREUR_DOUBLON_PIECE",
    rejects="none",
    source="pes-rules §2.4 (IdPce), §10.6 [IMPL: scope of IdPce uniqueness undocumented]",
    on="bordereau",
)
def piece_in_two_bordereaux(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdPce is not reused by two bordereaux of one domain and Exer in the file."""
    view = bordereau_view(record)
    seen: dict[tuple[str, str | None], set[str | None]] = facts.state(_PIECES, dict)
    known = seen.setdefault((view.domain, number_key(view.exer)), set())
    keys = _piece_keys(record)
    if known.isdisjoint(keys):
        known.update(keys)
        return
    here: set[str | None] = set()
    for piece in view.pieces:
        if piece.idpce is None or piece.info is None:
            continue
        key = number_key(piece.idpce)
        if key in known:
            yield record.finding(
                piece_in_two_bordereaux.rule,  # type: ignore[attr-defined]
                piece.info.find("IdPce"),
                value=piece.idpce,
                piece=piece.idpce,
                exer=view.exer,
            )
        here.add(key)
    known |= here


def _last_idbord(context: Mapping[str, Any] | None, domain: str, exer: str, typbord: str) -> int:
    """The last IdBord sent for (domain, Exer, TypBord), or -1 when the context is silent.

    Keys are ``"<domain>/<Exer>/<TypBord>"`` (domain ``depense`` or ``recette``) or
    ``"<Exer>/<TypBord>"`` for both domains."""
    table = None if context is None else context.get("last_idbord")
    if not isinstance(table, Mapping):
        return -1
    for key in (f"{domain}/{exer}/{typbord}", f"{exer}/{typbord}"):
        value = table.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        number = natural_number(value) if isinstance(value, str) else None
        if number is not None:
            return number
    return -1


@rule(
    "PES-DUP-006",
    title=("Bordereau déjà transmis", "Bordereau already sent"),
    message=(
        "Le bordereau n° {value} (exercice {exer}, type {typbord}) n'est pas postérieur au "
        "dernier bordereau transmis ({expected}) : Hélios le rejette comme doublon.",
        "Bordereau {value} (year {exer}, type {typbord}) does not come after the last "
        "bordereau sent ({expected}): Hélios rejects it as a duplicate.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_DOUBLON_BORDEREAU",
    rejects="bordereau",
    source="pes-rules §2.3, §3.3 (IdBord) [DOC-ctx]",
    on="bordereau",
    context_keys=("last_idbord",),
)
def idbord_already_sent(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdBord comes after the last IdBord sent for its (Exer, TypBord) (context)."""
    view = bordereau_view(record)
    idbord, exer = natural_number(number_key(view.idbord)), number_key(view.exer)
    if view.bloc is None or idbord is None or exer is None:
        return
    last = _last_idbord(facts.context, view.domain, exer, view.typbord or "")
    if 0 <= idbord <= last:
        yield record.finding(
            idbord_already_sent.rule,  # type: ignore[attr-defined]
            view.bloc.find("IdBord"),
            value=view.idbord,
            exer=view.exer,
            typbord=view.typbord,
            expected=str(last),
        )


@rule(
    "PES-DUP-007",
    title=("Numérotation des bordereaux discontinue", "Gap in the bordereau numbering"),
    message=(
        "Le bordereau n° {value} (exercice {exer}, type {typbord}) ne suit pas le précédent : "
        "le numéro attendu est {expected}.",
        "Bordereau {value} (year {exer}, type {typbord}) does not follow the previous one: "
        "the expected number is {expected}.",
    ),
    severity=Severity.WARNING,
    scope=Scope.BORDEREAU,
    ack=None,
    rejects="none",
    source="pes-rules §2.3, §3.3 (Hélios checks the sequence) [DOC-ctx]; strictness open, §10.6",
    on="bordereau",
    context_keys=("last_idbord",),
)
def idbord_gap(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdBord is the next number after the last one sent, or after the previous bordereau
    of the same (Exer, TypBord) in the file (context)."""
    view = bordereau_view(record)
    number, exer = natural_number(number_key(view.idbord)), number_key(view.exer)
    if view.bloc is None or number is None or exer is None:
        return
    last = _last_idbord(facts.context, view.domain, exer, view.typbord or "")
    highest: dict[tuple[str, str, str | None], int] = facts.state(_SEQUENCE, dict)
    key = (view.domain, exer, view.typbord)
    previous = max(highest.get(key, -1), last)
    highest[key] = max(previous, number)
    if previous >= 0 and number > previous + 1:
        yield record.finding(
            idbord_gap.rule,  # type: ignore[attr-defined]
            view.bloc.find("IdBord"),
            value=view.idbord,
            exer=view.exer,
            typbord=view.typbord,
            expected=str(previous + 1),
        )


@rule(
    "PES-DUP-008",
    title=("Pièce justificative déjà transmise", "Attachment already sent"),
    message=(
        "L'identifiant de PJ {value} a déjà été intégré dans Hélios : la PJ est rejetée.",
        "Attachment id {value} was already integrated in Hélios: the attachment is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_DOUBLON_PJ",
    rejects="pj",
    source="pes-rules §4.2 (IdUnique) [DOC-ctx]",
    on="pj",
    context_keys=("sent_idunique",),
)
def pj_already_sent(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """PJ IdUnique is not one already sent (context ``sent_idunique``)."""
    sent = None if facts.context is None else facts.context.get("sent_idunique")
    if not isinstance(sent, (list, tuple, set, frozenset)) or not sent:
        return
    known = facts.state("uniqueness.sent_idunique", lambda: {str(x) for x in sent})
    element = record.element.find("IdUnique")
    value = None if element is None else element.get("V")
    if element is not None and value in known:
        yield record.finding(pj_already_sent.rule, element, value=value)  # type: ignore[attr-defined]
