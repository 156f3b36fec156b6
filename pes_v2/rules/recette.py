"""Recette coherence: code lists, triplets, RattachPiece, majoration and ORMC keys.

Only the triplets quoted in the XSD annotations (pes-rules §3.5, §3.7) are checked: the
full recette grid is not published (pes-rules §10.3).  TypPce 08/13 and NatPceOrig 04 are
already outside the recette enumerations of every schema bundle in use (embedded, v5.17,
v5.30), so the XSD reports them and no business rule repeats it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding, Scope, Severity
from ..identifiers import ormc_cle1, ormc_cle1_input, ormc_cle2
from ..probes import probe
from ..records import FlowFacts, Record, xsd_boolean
from .depense import (
    _idligneorig,
    exerrat_findings,
    has_rattach,
    lines_lacking,
    lines_without,
    rattach_of,
    triplets,
)
from .registry import rule
from .totals import (
    BordereauView,
    PieceView,
    amount,
    bordereau_view,
    fetch,
    number_key,
    values,
)

_INFO = "Piece/LigneDePiece/BlocLignePiece/InfoLignePiece"
_IDROL = probe("boolean(Piece/BlocPiece/IdRol)")
_MAJO = values(f"{_INFO}/Majo/@V")
_MAJO_DETAILS = probe(f"boolean({_INFO}[DteMajo or TxMajo])")
_LINE_DETAILS = probe(f"boolean({_INFO}[DteMajo or TxMajo or (MtTVA and not(TxTva))])")
"""Either of the two probes below (one walk for the usual case, where both are false)."""
_EDITION = values("Piece/BlocPiece/Edition/@V")
_VAT_WITHOUT_RATE = probe(f"boolean({_INFO}[MtTVA][not(TxTva)])")


def _rec(record: Record) -> BordereauView | None:
    return bordereau_view(record) if record.domain == "recette" else None


@rule(
    "PES-REC-001",
    title=("Type de bordereau inutilisable en aller", "Bordereau type not usable in an aller flow"),
    message=(
        "TypBord vaut {value} : un bordereau de recette aller est de type 01, 02, 03 ou 06 (ORMC).",
        "TypBord is {value}: an aller recette bordereau is of type 01, 02, 03 or 06 (ORMC).",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_CODIFICATION",
    rejects="bordereau",
    source="pes-rules §3.3, §3.7 (TypBord) [XSD enum + DOC]",
    on="bordereau",
)
def typbord_aller(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Recette TypBord 04 and 05 are in the XSD enumeration but not usable in aller."""
    view = _rec(record)
    if view is None or view.bloc is None or view.typbord not in ("04", "05"):
        return
    yield record.finding(
        typbord_aller.rule,  # type: ignore[attr-defined]
        view.bloc.find("TypBord"),
        value=view.typbord,
    )


@rule(
    "PES-REC-002",
    title=("IdRol hors titre récapitulatif avec rôle", "IdRol outside a titre récapitulatif"),
    message=(
        "IdRol est servi sur une pièce {triplet} : il n'est admis qu'avec le triplet 01-06-01 "
        "(titre récapitulatif avec rôle).",
        "IdRol is given on a {triplet} piece: it is allowed only with triplet 01-06-01 "
        "(titre récapitulatif with rôle).",
    ),
    severity=Severity.ERROR,
    scope=Scope.PIECE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.4 (IdRol) [DOC]",
    on="bordereau",
)
def idrol_triplet(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdRol only with triplet 01-06-01."""
    view = _rec(record)
    if view is None or not fetch(record, _IDROL):
        return
    for piece in view.pieces:
        idrol = None if piece.info is None else piece.info.find("IdRol")
        if idrol is not None and view.triplet(piece) != "01-06-01":
            yield record.finding(
                idrol_triplet.rule,  # type: ignore[attr-defined]
                idrol,
                value=idrol.get("V"),
                piece=piece.idpce,
                triplet=view.triplet(piece),
            )


RATTACH_REQUIRED = ("02-02-06", "01-02-09", "02-02-10", "01-14-01")
"""Recette triplets whose lines all need a complete RattachPiece (NatPceOrig 01 or 02)."""


@rule(
    "PES-REC-003",
    title=("Rattachement manquant", "Missing RattachPiece"),
    message=(
        "La pièce {piece_id} est de type {value} : chaque ligne doit porter un bloc "
        "RattachPiece complet (NatPceOrig 01 ou 02) ; {count} ligne(s) n'en ont pas.",
        "Piece {piece_id} is of type {value}: every line needs a complete RattachPiece "
        "block (NatPceOrig 01 or 02); {count} line(s) have none.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PIECE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.5 (RattachPiece) [DOC]",
    on="bordereau",
)
def rattach_required(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Triplets 02-02-06, 01-02-09, 02-02-10 and 01-14-01 need RattachPiece on every line."""
    view = _rec(record)
    if view is None or triplets(record, view).isdisjoint(RATTACH_REQUIRED):
        return
    for piece in view.pieces:
        if view.triplet(piece) not in RATTACH_REQUIRED or piece.info is None:
            continue
        missing = lines_without(piece)
        if missing:
            yield record.finding(
                rattach_required.rule,  # type: ignore[attr-defined]
                piece.info.find("TypPce"),
                value=view.triplet(piece),
                piece=piece.idpce,
                piece_id=piece.idpce,
                count=missing,
            )


def _natpceorig_expected(view: BordereauView, piece: PieceView, nat: str, en: bool) -> str | None:
    """What NatPceOrig ``nat`` needs that ``piece`` does not give, or None when fine."""
    triplet = view.triplet(piece)
    if triplet in RATTACH_REQUIRED and nat not in ("01", "02"):
        return f"01 or 02 for {triplet}" if en else f"01 ou 02 pour {triplet}"
    if nat == "03" and piece.typpce != "05":
        return "03 only with TypPce 05" if en else "03 seulement avec TypPce 05"
    if nat == "05" and triplet != "01-09-01":
        return "05 only with triplet 01-09-01" if en else "05 seulement avec le triplet 01-09-01"
    return None


@rule(
    "PES-REC-004",
    title=("Nature de la pièce d'origine incohérente", "Inconsistent NatPceOrig"),
    message=(
        "NatPceOrig vaut {value} sur une pièce {triplet} : attendu {expected}.",
        "NatPceOrig is {value} on a {triplet} piece: expected {expected}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.LIGNE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.5 (RattachPiece) [DOC]",
    on="bordereau",
)
def natpceorig_coherent(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """NatPceOrig 01/02 for the four rattachement triplets; 03 only with TypPce 05;
    05 only with 01-09-01."""
    view = _rec(record)
    if view is None or not has_rattach(record):
        return
    en = record.lang == "en"
    for piece in view.pieces:
        for line in piece.lines:
            r = rattach_of(line)
            if r is None or not r.natpceorig:
                continue
            expected = _natpceorig_expected(view, piece, r.natpceorig, en)
            if expected is not None:
                yield record.finding(
                    natpceorig_coherent.rule,  # type: ignore[attr-defined]
                    r.element.find("NatPceOrig"),
                    value=r.natpceorig,
                    piece=piece.idpce,
                    triplet=view.triplet(piece),
                    expected=expected,
                )


@rule(
    "PES-REC-005",
    title=("Ligne d'origine incohérente", "Inconsistent IdLigneOrig"),
    message=(
        "NatPceOrig vaut {natpceorig} : IdLigneOrig {expected} (trouvé : {found}).",
        "NatPceOrig is {natpceorig}: IdLigneOrig {expected} (found: {found}).",
    ),
    severity=Severity.ERROR,
    scope=Scope.LIGNE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.5 (RattachPiece) [DOC]",
    on="bordereau",
)
def idligneorig_coherent(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdLigneOrig ≥ 1 when NatPceOrig is 01 or 02; absent or 0 when it is 03 or 05."""
    view = _rec(record)
    if view is None or not has_rattach(record):
        return
    yield from _idligneorig(
        record,
        view,
        idligneorig_coherent.rule,  # type: ignore[attr-defined]
        {"01", "02"},
        {"03", "05"},
    )


@rule(
    "PES-REC-006",
    title=("Exercice de rattachement incohérent", "Inconsistent ExerRat"),
    message=(
        "ExerRat vaut {value} pour une pièce {triplet} de l'exercice {exer} : {expected}.",
        "ExerRat is {value} for a {triplet} piece of year {exer}: {expected}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.LIGNE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.5 (RattachPiece: 02-02-06, 01-02-09) [DOC]",
    on="bordereau",
)
def exerrat_coherent(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """ExerRat = Exer for 02-02-06; ExerRat ≠ Exer for 01-02-09."""
    view = _rec(record)
    if view is not None and has_rattach(record):
        found = exerrat_coherent.rule  # type: ignore[attr-defined]
        yield from exerrat_findings(record, view, found, earlier=False)


@rule(
    "PES-REC-007",
    title=("Ligne majorable incomplète", "Incomplete majorable line"),
    message=(
        "Majo vaut {value} (ligne majorable) mais il manque : {missing}.",
        "Majo is {value} (majorable line) but these are missing: {missing}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.LIGNE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.5 (Majo) [DOC]",
    on="bordereau",
)
def majo_complete(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Majo = 1 needs DteMajo, TxMajo and a RattachPiece with NatPceOrig 05."""
    view = _rec(record)
    if view is None or all(xsd_boolean(value) is not True for value in set(fetch(record, _MAJO))):
        return
    for piece in view.pieces:
        for line in piece.lines:
            majo = None if line.info is None else line.info.find("Majo")
            if majo is None or line.info is None or xsd_boolean(majo.get("V")) is not True:
                continue
            missing = [name for name in ("DteMajo", "TxMajo") if line.info.find(name) is None]
            r = rattach_of(line)
            if r is None or r.natpceorig != "05":
                missing.append("RattachPiece/NatPceOrig = 05")
            if missing:
                yield record.finding(
                    majo_complete.rule,  # type: ignore[attr-defined]
                    majo,
                    value=majo.get("V"),
                    piece=piece.idpce,
                    missing=", ".join(missing),
                )


@rule(
    "PES-REC-008",
    title=("Majoration sur une ligne non majorable", "Majoration on a non-majorable line"),
    message=(
        "{name} est servi alors que Majo vaut 0 (ligne non majorable).",
        "{name} is given although Majo is 0 (non-majorable line).",
    ),
    severity=Severity.ERROR,
    scope=Scope.LIGNE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.5 (Majo) [DOC]",
    on="bordereau",
)
def majo_forbidden(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Majo = 0 forbids DteMajo and TxMajo."""
    view = _rec(record)
    if view is None or not fetch(record, _LINE_DETAILS) or not fetch(record, _MAJO_DETAILS):
        return
    for piece in view.pieces:
        for line in piece.lines:
            info = line.info
            if info is None or xsd_boolean(_value(info.find("Majo"))) is not False:
                continue
            for name in ("DteMajo", "TxMajo"):
                found = info.find(name)
                if found is not None:
                    yield record.finding(
                        majo_forbidden.rule,  # type: ignore[attr-defined]
                        found,
                        value=found.get("V"),
                        piece=piece.idpce,
                        name=name,
                    )


def _value(element: object) -> str | None:
    if element is None:
        return None
    value = element.get("V")  # type: ignore[attr-defined]
    return None if value is None else str(value).strip()


@rule(
    "PES-REC-009",
    title=("Titre pluriannuel sans numéro de convention", "Multi-year titre without IdConv"),
    message=(
        "La pièce {piece_id} est de type {value} : LiensIdent/IdConv (numéro de convention "
        "attribué par Hélios) est obligatoire ; {count} ligne(s) n'en ont pas.",
        "Piece {piece_id} is of type {value}: LiensIdent/IdConv (convention number given by "
        "Hélios) is mandatory; {count} line(s) have none.",
    ),
    severity=Severity.WARNING,
    scope=Scope.PIECE,
    ack=None,
    rejects="none",
    source="pes-rules §3.5 (LiensIdent) [DOC; no rejection stated]",
    on="bordereau",
)
def idconv_expected(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Triplets 01-10-01 and 01-10-02 carry LiensIdent/IdConv on their lines."""
    view = _rec(record)
    if view is None or triplets(record, view).isdisjoint(("01-10-01", "01-10-02")):
        return
    for piece in view.pieces:
        if view.triplet(piece) not in ("01-10-01", "01-10-02") or piece.info is None:
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
    "PES-REC-010",
    title=("Titre ASAP à éditer sans pièce justificative", "ASAP titre to print without a PJRef"),
    message=(
        "Edition vaut 01 (ASAP édité par la DGFiP) mais la pièce {piece_id} ne référence "
        "aucune pièce justificative (PJRef).",
        "Edition is 01 (ASAP printed by DGFiP) but piece {piece_id} references no "
        "attachment (PJRef).",
    ),
    severity=Severity.ERROR,
    scope=Scope.PIECE,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.4 (Edition), §4.2 [DOC]",
    on="bordereau",
)
def edition_needs_pjref(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Edition = 01 needs at least one PJRef on the titre (piece or line level)."""
    view = _rec(record)
    if view is None or all(value.strip() != "01" for value in set(fetch(record, _EDITION))):
        return
    for piece in view.pieces:
        edition = None if piece.info is None else piece.info.find("Edition")
        if edition is None or _value(edition) != "01":
            continue
        if piece.element.find("BlocPiece/PJRef") is not None:
            continue
        if piece.element.find("LigneDePiece/BlocLignePiece/InfoLignePiece/PJRef") is not None:
            continue
        yield record.finding(
            edition_needs_pjref.rule,  # type: ignore[attr-defined]
            edition,
            value=edition.get("V"),
            piece=piece.idpce,
            piece_id=piece.idpce,
        )


@rule(
    "PES-REC-011",
    title=("TVA de ligne sans taux", "Line VAT without a rate"),
    message=(
        "MtTVA vaut {value} mais la ligne ne donne pas de taux (TxTva).",
        "MtTVA is {value} but the line gives no rate (TxTva).",
    ),
    severity=Severity.WARNING,
    scope=Scope.LIGNE,
    ack=None,
    rejects="none",
    source="pes-rules §3.5 (TxTva: to be given when MtTVA is present) [DOC; no rejection stated]",
    on="bordereau",
)
def vat_rate_given(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """A recette line with MtTVA gives TxTva."""
    view = _rec(record)
    if view is None or not fetch(record, _LINE_DETAILS) or not fetch(record, _VAT_WITHOUT_RATE):
        return
    for piece in view.pieces:
        for line in piece.lines:
            info = line.info
            mttva = None if info is None else info.find("MtTVA")
            if info is None or mttva is None or info.find("TxTva") is not None:
                continue
            tva = amount(mttva.get("V"))
            if tva is None or tva <= 0:  # the XSD refuses it already
                continue
            yield record.finding(
                vat_rate_given.rule,  # type: ignore[attr-defined]
                mttva,
                value=mttva.get("V"),
                piece=piece.idpce,
            )


# -- ORMC article keys ------------------------------------------------------------------

_ORMC_KEYS = probe("boolean(Piece/BlocPiece[Cle1 or Cle2])")
ORMC_TYPPCE = "15"
"""TypPce of a titre ORMC: the only pieces whose NumDette, Per, Cle1 and Cle2 Hélios
reads (XSD annotation: « Balise exploitée uniquement pour les titres de type ORMC »)."""


def _ormc_keyed(record: Record) -> Iterator[tuple[BordereauView, PieceView]]:
    """The ORMC pieces of a recette bordereau that carry Cle1 or Cle2 (one precompiled
    XPath says no for the bordereaux without any)."""
    view = _rec(record)
    if view is None or not fetch(record, _ORMC_KEYS):
        return
    for piece in view.pieces:
        if piece.info is not None and piece.typpce == ORMC_TYPPCE:
            yield view, piece


def _digits(value: str | None) -> str | None:
    """A non-negative integer as written (leading zeros kept), or its canonical digits
    for other decimal spellings (``+42``); None when it is not one."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return text
    canonical = number_key(text)
    return canonical if canonical is not None and canonical.isdigit() else None


def _year2(view: BordereauView) -> str | None:
    exer = _digits(view.exer)
    return None if exer is None else exer.zfill(2)[-2:]


def _key_parts(view: BordereauView, piece: PieceView) -> tuple[str, str, str] | None:
    """(2-digit year, période, debt number) of ``piece``, or None when one is missing."""
    info = piece.info
    year2 = _year2(view)
    per = _value(None if info is None else info.find("Per"))
    dette = _digits(None if info is None else _value(info.find("NumDette")))
    if year2 is None or not per or dette is None:
        return None
    return year2, per, dette


def _cle2_key(parts: tuple[str, str, str] | None) -> str | None:
    """The Cle2 key of (2-digit year, période, debt number), or None when malformed."""
    if parts is None:
        return None
    try:
        return ormc_cle2(*parts)
    except ValueError:
        return None


def _cle1_keys(codcol: str | None, view: BordereauView, piece: PieceView) -> dict[str, str]:
    """Each documented candidate for the middle of the Cle1 input, with its key: IdBord
    (the rôle number, as one implementation does) and the code nature of the XSD
    annotation, read as NatPce or as each line Nature. Empty when no key can be computed."""
    parts = _key_parts(view, piece)
    if parts is None or not codcol or not codcol.strip():
        return {}
    codes = {"IdBord": view.idbord, "NatPce": piece.natpce}
    for line in piece.lines:
        nature = _value(None if line.info is None else line.info.find("Nature"))
        if nature:
            codes.setdefault(f"Nature {nature}", nature)
    keys: dict[str, str] = {}
    for name, code in codes.items():
        if not code:
            continue
        try:
            keys[name] = ormc_cle1(ormc_cle1_input(codcol.strip(), code, *parts))
        except ValueError:
            return {}
    return keys


@rule(
    "PES-REC-012",
    title=("Clé Cle1 de l'article de rôle incorrecte", "Wrong Cle1 key of the rôle article"),
    message=(
        "Cle1 vaut {value} mais aucune des entrées documentées ne donne cette clé modulo 11 "
        "(code collectivité, IdBord ou code nature, exercice, période, numéro de dette) ; "
        "clé attendue selon l'entrée : {expected}.",
        "Cle1 is {value} but none of the documented inputs gives this modulo-11 key "
        "(CodCol, IdBord or code nature, year, période, debt number); key expected for "
        "each input: {expected}.",
    ),
    severity=Severity.WARNING,
    scope=Scope.PIECE,
    ack=None,
    rejects="none",
    source="pes-rules §3.4, §7 (ORMC Cle1) [DOC definition, IMPL algorithm (NOETHYS)]; "
    "the input is open (§10.11): the key is accepted when it matches CodCol followed by "
    "IdBord (NOETHYS) or by a code nature (XSD: NatPce or a line Nature), then the last "
    "2 digits of Exer, Per and NumDette on 13 digits. No rejection stated and the ORMC "
    "technical annex is not available: warning, no ACK predicted",
    on="bordereau",
)
def ormc_cle1_key(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Cle1 of a titre ORMC (TypPce 15) is the modulo-11 key of one of its candidate
    inputs. Stands aside when Cle1 is empty or a key input (CodCol, Exer, Per, NumDette)
    is missing or malformed."""
    codcol = facts.header.get("CodCol")
    for view, piece in _ormc_keyed(record):
        cle1 = None if piece.info is None else piece.info.find("Cle1")
        value = _value(cle1)
        if cle1 is None or not value:
            continue
        keys = _cle1_keys(codcol, view, piece)
        if keys and value not in keys.values():
            yield record.finding(
                ormc_cle1_key.rule,  # type: ignore[attr-defined]
                cle1,
                value=cle1.get("V"),
                piece=piece.idpce,
                expected=", ".join(f"{key} ({name})" for name, key in keys.items()),
            )


@rule(
    "PES-REC-013",
    title=("Clé Cle2 de l'article de rôle incorrecte", "Wrong Cle2 key of the rôle article"),
    message=(
        "Cle2 vaut {value} mais la clé modulo 23 de l'exercice {year2}, de la période {per} "
        "et du numéro de dette {dette} est {expected}.",
        "Cle2 is {value} but the modulo-23 key of year {year2}, période {per} and debt "
        "number {dette} is {expected}.",
    ),
    severity=Severity.WARNING,
    scope=Scope.PIECE,
    ack=None,
    rejects="none",
    source="pes-rules §3.4, §7 (ORMC Cle2) [DOC definition in the XSD annotation, IMPL "
    "letter table (NOETHYS)]; the annotation states no rejection and the ORMC technical "
    "annex is not available (§10.11), so Hélios's reaction is unknown: warning, no ACK "
    "predicted",
    on="bordereau",
)
def ormc_cle2_key(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Cle2 of a titre ORMC (TypPce 15) is the modulo-23 key of the 2-digit Exer, Per,
    00 and NumDette on 13 digits. Stands aside when Cle2 is empty or a key input is
    missing or malformed."""
    for view, piece in _ormc_keyed(record):
        cle2 = None if piece.info is None else piece.info.find("Cle2")
        value = _value(cle2)
        if cle2 is None or not value:
            continue
        parts = _key_parts(view, piece)
        expected = _cle2_key(parts)
        if parts is not None and expected is not None and value != expected:
            yield record.finding(
                ormc_cle2_key.rule,  # type: ignore[attr-defined]
                cle2,
                value=cle2.get("V"),
                piece=piece.idpce,
                expected=expected,
                year2=parts[0],
                per=parts[1],
                dette=parts[2],
            )
