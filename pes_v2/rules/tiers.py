"""Tiers (payees and debtors): categories, identifiers and their keys, addresses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..findings import Finding, Scope, Severity
from ..identifiers import finess_valid, nir_valid, siren_valid, siret_valid
from ..probes import probe
from ..records import FlowFacts, Record, value_of, xsd_boolean
from ..value_checks import FINESS, NIR, SIREN, SIRET, every_valid
from ..xmlio import Element
from .header import HOSPITAL_NOMENCLATURES, nomenclature
from .registry import get, rule
from .totals import amount, fetch


@dataclass(frozen=True)
class Line:
    """One LigneDePiece of a bordereau, with what the tiers and bank rules read."""

    piece: str | None
    """IdPce of its piece."""
    bloc_piece: Element | None
    """``BlocPiece/InfoPce`` (dépense) or ``BlocPiece`` (recette)."""
    element: Element
    """The LigneDePiece."""
    info: Element | None
    """``InfoLignePce`` (dépense) or ``InfoLignePiece`` (recette)."""
    tiers: tuple[Element, ...]


def lines_of(record: Record) -> tuple[Line, ...]:
    """The lines of a bordereau record, computed once per record and shared by the rules."""
    return record.memoized("lines", lambda: _lines(record))


def _lines(record: Record) -> tuple[Line, ...]:
    depense = record.domain == "depense"
    bloc_path = "BlocPiece/InfoPce" if depense else "BlocPiece"
    info_path = "BlocLignePiece/InfoLignePce" if depense else "BlocLignePiece/InfoLignePiece"
    out: list[Line] = []
    for piece in record.element.iterfind("Piece"):
        bloc = piece.find(bloc_path)
        idpce = bloc.find("IdPce") if bloc is not None else None
        piece_id = idpce.get("V") if idpce is not None else None
        for line in piece.iterfind("LigneDePiece"):
            out.append(
                Line(piece_id, bloc, line, line.find(info_path), tuple(line.iterfind("Tiers")))
            )
    return tuple(out)


def _x(path: str) -> Callable[[Element], Any]:
    return probe(path, smart_strings=False)


_TIERS = "Piece/LigneDePiece/Tiers/InfoTiers"
_TIERS1 = "Piece/LigneDePiece/Tiers/InfoTiers[1]"
_CAT01_MISSING = _x(
    f"boolean({_TIERS1}[not(Civilite[1]/@V and Prenom[1]/@V)][CatTiers[1]/@V = '01'])"
)
"""A natural person's first InfoTiers without a ``V`` on its first Civilite or Prenom.  Only
asked once every Civilite and Prenom value is known not to be blank (``str.strip()``
removes all the XML whitespace and more), so a present ``V`` is a filled one.  The cheap
presence test comes first: the category's string comparison runs only on what it keeps."""
_PERSON_FORBIDDEN = {
    domain: _x(f"boolean({_TIERS1}[CatTiers[1]/@V != '01'][{' or '.join(names)}])")
    for domain, names in {
        "depense": ("Civilite", "Prenom"),
        "recette": ("DteNaissance", "LieuNaissance"),
    }.items()
}
_CIVILITE = _x(f"{_TIERS}/Civilite/@V")
_PRENOM = _x(f"{_TIERS}/Prenom/@V")
_ID_PAIR = _x(f"boolean({_TIERS1}[boolean(IdTiers) != boolean(NatIdTiers)])")
_NATURES = _x(f"{_TIERS}/NatIdTiers/@V")
_IDTIERS_OF = {
    nature: _x(f"{_TIERS1}[NatIdTiers[1]/@V = '{nature}']/IdTiers[1]/@V")
    for nature in ("01", "02", "03", "04")
}
_IDTIERS_VALID = {
    nature: every_valid(f"{_TIERS1}[NatIdTiers[1]/@V = '{nature}']/IdTiers[1]/@V", kind)
    for nature, kind in (("01", SIRET), ("02", SIREN), ("03", FINESS), ("04", NIR))
}
"""The same identifiers checked in the compiled walk (None: read them in Python)."""
_IDTIERS_WITHOUT_V = _x(f"boolean({_TIERS1}/IdTiers[1][not(@V)])")
"""An IdTiers without a value: the exact check reads it as the empty identifier."""
_NIR = _x(f"boolean({_TIERS1}/NatIdTiers[1][@V = '04'])")
_CODRES = _x("Piece/LigneDePiece/Tiers/Adresse/CodRes/@V")
_CODPAYS = _x("Piece/LigneDePiece/Tiers/Adresse/CodPays/@V")
_VALID: dict[tuple[str, str], bool] = {}
"""Identifier validity by (kind, value), shared across records (tiers recur)."""
VALID_CACHE_MAX = 20_000
"""Entries :data:`_VALID` holds before it starts again: ≈ 200 bytes each, so ≈ 4 MB at
most (with 100,000, a 1 GB flow of distinct IBANs and RIBs peaked 25 MB higher), while
computing a key again costs a few microseconds."""


def valid_cached(kind: str, value: str, valid: Callable[[str], bool]) -> bool:
    """``valid(value)``, remembered per (kind, value) (bounded)."""
    key = (kind, value)
    known = _VALID.get(key)
    if known is None:
        if len(_VALID) >= VALID_CACHE_MAX:
            _VALID.clear()
        known = _VALID[key] = valid(value)
    return known


def _tiers_scope(record: Record) -> Iterator[tuple[Line, Element, Element]]:
    """(line, Tiers, InfoTiers) for every tiers of the bordereau."""
    for line in lines_of(record):
        for tiers in line.tiers:
            info = tiers.find("InfoTiers")
            if info is not None:
                yield line, tiers, info


PERSON_ONLY = {"depense": ("Civilite", "Prenom"), "recette": ("DteNaissance", "LieuNaissance")}
"""Children of InfoTiers documented as forbidden when CatTiers is not 01, per domain.

Dépense: Civilite and Prenom ("ne pas utiliser si Cat différent de 01, sinon rejet du
bordereau"). Recette: DteNaissance and LieuNaissance ("toute autre catégorie de tiers
aboutira au rejet du bordereau"); the recette annotations of Civilite and Prenom only say
they are mandatory for CatTiers 01."""

_SRC_INFOTIERS = "pes-rules §2.6, §3.6 [DOC] (XSD annotations of InfoTiers)"


@rule(
    "PES-TRS-001",
    title=(
        "Civilité ou prénom manquant pour une personne physique",
        "Title or first name missing for a natural person",
    ),
    message=(
        "Le tiers est une personne physique (CatTiers 01) mais {fields} manque : "
        "Civilite et Prenom sont obligatoires pour cette catégorie.",
        "The tiers is a natural person (CatTiers 01) but {fields} is missing: Civilite and "
        "Prenom are mandatory for this category.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source=_SRC_INFOTIERS,
    on="bordereau",
)
def person_fields_missing(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """CatTiers 01 requires Civilite and Prenom (both domains)."""
    given = set(fetch(record, _CIVILITE)) | set(fetch(record, _PRENOM))
    if all(value.strip() for value in given) and not fetch(record, _CAT01_MISSING):
        return
    for line, _tiers, info in _tiers_scope(record):
        cat = info.find("CatTiers")
        if cat is None or cat.get("V") != "01":
            continue
        missing = [
            name for name in ("Civilite", "Prenom") if not (value_of(info, name) or "").strip()
        ]
        if missing:
            yield record.finding(
                get("PES-TRS-001"), cat, value="01", piece=line.piece, fields=", ".join(missing)
            )


@rule(
    "PES-TRS-002",
    title=(
        "Donnée réservée aux personnes physiques sur un autre tiers",
        "Natural-person field on another kind of tiers",
    ),
    message=(
        "CatTiers vaut {value} mais {fields} est servi : réservé aux personnes physiques "
        "(CatTiers 01), sinon le bordereau est rejeté.",
        "CatTiers is {value} but {fields} is given: reserved to natural persons (CatTiers 01), "
        "else the bordereau is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source=_SRC_INFOTIERS,
    on="bordereau",
)
def person_fields_forbidden(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Civilite/Prenom (dépense) and DteNaissance/LieuNaissance (recette) need CatTiers 01."""
    names = PERSON_ONLY.get(str(record.domain), ())
    probe = _PERSON_FORBIDDEN.get(str(record.domain))
    if probe is None or not fetch(record, probe):
        return
    for line, _tiers, info in _tiers_scope(record):
        cat = info.find("CatTiers")
        if cat is None or cat.get("V") in (None, "01"):
            continue
        present = [name for name in names if info.find(name) is not None]
        if present:
            yield record.finding(
                get("PES-TRS-002"),
                cat,
                value=cat.get("V"),
                piece=line.piece,
                fields=", ".join(present),
            )


_MADEMOISELLE = frozenset({"MLLE", "MELLE", "MADEMOISELLE", "MLE"})


@rule(
    "PES-TRS-003",
    title=("Civilité « Mademoiselle »", "Title 'Mademoiselle'"),
    message=(
        "Civilite vaut « {value} » : la civilité Mademoiselle n'existe plus dans Hélios "
        "(utiliser MME).",
        "Civilite is '{value}': the title Mademoiselle no longer exists in Hélios (use MME).",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source=_SRC_INFOTIERS,
    on="bordereau",
)
def civilite_mademoiselle(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Civilite is not Mademoiselle (MLLE, MELLE…)."""
    if not any(
        value and value.strip().rstrip(".").upper() in _MADEMOISELLE
        for value in set(fetch(record, _CIVILITE))
    ):
        return
    for line, _tiers, info in _tiers_scope(record):
        civ = info.find("Civilite")
        value = civ.get("V") if civ is not None else None
        if value and value.strip().rstrip(".").upper() in _MADEMOISELLE:
            yield record.finding(get("PES-TRS-003"), civ, value=value, piece=line.piece)


@rule(
    "PES-TRS-004",
    title=(
        "Identifiant du tiers sans sa nature, ou l'inverse",
        "IdTiers without NatIdTiers, or the reverse",
    ),
    message=(
        "{present} est servi sans {absent} : l'identifiant national et sa nature vont "
        "ensemble, sinon le bordereau est rejeté.",
        "{present} is given without {absent}: the national identifier and its kind go "
        "together, else the bordereau is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.6, §9 item 9 [DOC] (XSD annotations of IdTiers and NatIdTiers)",
    on="bordereau",
)
def idtiers_natidtiers(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdTiers and NatIdTiers are both present or both absent."""
    if not fetch(record, _ID_PAIR):
        return
    for line, _tiers, info in _tiers_scope(record):
        ident, nature = info.find("IdTiers"), info.find("NatIdTiers")
        if (ident is None) == (nature is None):
            continue
        el, present, absent = (
            (ident, "IdTiers", "NatIdTiers")
            if nature is None
            else (nature, "NatIdTiers", "IdTiers")
        )
        yield record.finding(
            get("PES-TRS-004"),
            el,
            value=el.get("V"),
            piece=line.piece,
            present=present,
            absent=absent,
        )


_KINDS = {
    "01": ("SIRET", "14", siret_valid),
    "02": ("SIREN", "9", siren_valid),
    "03": ("FINESS", "9", finess_valid),
    "04": ("NIR", "15", nir_valid),
}


@rule(
    "PES-TRS-005",
    title=("Identifiant du tiers invalide", "Invalid tiers identifier"),
    message=(
        "IdTiers « {value} » n'est pas un {kind} valide (NatIdTiers {nature}) : "
        "{length} caractères et une clé correcte sont attendus.",
        "IdTiers '{value}' is not a valid {kind} (NatIdTiers {nature}): {length} characters "
        "and a correct key are expected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §2.6, §3.6, §7 [DOC] (XSD annotation of IdTiers; FINESS algorithm "
    "assumed Luhn, §10 item 12)",
    on="bordereau",
)
def idtiers_key(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """SIRET, SIREN, FINESS and NIR identifiers have their length and a valid key."""
    if not _idtiers_candidates(record):
        return
    for line, _tiers, info in _tiers_scope(record):
        nature = value_of(info, "NatIdTiers")
        kind = _KINDS.get(nature or "")
        ident = info.find("IdTiers")
        if kind is None or ident is None:
            continue
        value = ident.get("V") or ""
        name, length, valid = kind
        if not valid(value):
            yield record.finding(
                get("PES-TRS-005"),
                ident,
                value=value,
                piece=line.piece,
                kind=name,
                nature=nature,
                length=length,
            )


def _idtiers_candidates(record: Record) -> bool:
    """True when some IdTiers may fail its key (the exact check then runs)."""
    natures = set(fetch(record, _NATURES)) & _KINDS.keys()
    if natures and fetch(record, _IDTIERS_WITHOUT_V):
        return True
    for nature in natures:
        if _IDTIERS_VALID[nature](record.element) is not None:
            continue
        name, _length, valid = _KINDS[nature]
        for ident in fetch(record, _IDTIERS_OF[nature]):
            if not valid_cached(name, ident, valid):
                return True
    return False


@rule(
    "PES-TRS-006",
    title=("NIR hors des cas autorisés", "NIR outside the allowed cases"),
    message=(
        "Un NIR (NatIdTiers 04) identifie ce tiers alors que {why}.",
        "A NIR (NatIdTiers 04) identifies this tiers while {why}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §2.6, §3.6 [DOC] (XSD annotations of IdTiers); the M21/M22 part is "
    "checked only with a context giving the nomenclature",
    on="bordereau",
)
def nir_allowed(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """A NIR is allowed only for dépense TypPce 02 + NatPce 09, recette assuré/CodAssDeb 1,
    and (with a context) only in M21/M22."""
    if not fetch(record, _NIR):
        return
    nomen = nomenclature(facts)
    depense = record.domain == "depense"
    for line, _tiers, info in _tiers_scope(record):
        nature = info.find("NatIdTiers")
        if nature is None or nature.get("V") != "04":
            continue
        if nomen is not None and nomen not in HOSPITAL_NOMENCLATURES:
            why = (
                f"la nomenclature est {nomen} (NIR réservé à M21 et M22)",
                f"the nomenclature is {nomen} (NIR is reserved to M21 and M22)",
            )
        elif depense:
            typ, nat = value_of(line.bloc_piece, "TypPce"), value_of(line.bloc_piece, "NatPce")
            if (typ, nat) == ("02", "09"):
                continue
            why = (
                f"le mandat est de type {typ}-{nat} (NIR admis seulement pour TypPce 02, "
                "NatPce 09 : correctif annulant un titre)",
                f"the mandat is {typ}-{nat} (NIR only allowed for TypPce 02, NatPce 09: "
                "correction cancelling a titre)",
            )
        else:
            codassdeb = value_of(line.element, "BlocLignePiece/InfoAssure/CodAssDeb")
            if codassdeb == "1" or value_of(info, "TypTiers") == "07":
                continue
            why = (
                "le tiers n'est pas l'assuré (TypTiers 07) et CodAssDeb ne vaut pas 1",
                "the tiers is not the assuré (TypTiers 07) and CodAssDeb is not 1",
            )
        yield record.finding(
            get("PES-TRS-006"), nature, value="04", piece=line.piece, why=why[record.lang == "en"]
        )


def _france(pays: str) -> bool:
    """CodPays (xs:decimal) is 100, France, however written ("100", "0100", "+100.0")."""
    number = amount(pays)
    return number is not None and number == 100


@rule(
    "PES-TRS-007",
    title=("Code pays incohérent avec le code résidence", "Country code inconsistent with CodRes"),
    message=(
        "CodRes vaut {value} et CodPays est {country} : {expected}, sinon le bordereau est rejeté.",
        "CodRes is {value} and CodPays is {country}: {expected}, else the bordereau is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §2.6 [DOC] (XSD annotations of CodRes and CodPays)",
    on="bordereau",
)
def codres_codpays(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """CodRes 1 (non-resident) needs CodPays; CodRes 0 allows no CodPays but 100."""
    codes = {xsd_boolean(code) for code in fetch(record, _CODRES)}
    if True not in codes and not (
        False in codes and any(p.strip() and not _france(p) for p in set(fetch(record, _CODPAYS)))
    ):
        return
    for line, tiers, _info in _tiers_scope(record):
        adresse = tiers.find("Adresse")
        codres = adresse.find("CodRes") if adresse is not None else None
        if codres is None:
            continue
        resident = xsd_boolean(codres.get("V"))
        pays = value_of(adresse, "CodPays")
        if resident is True and not (pays or "").strip():
            expected = (
                "un tiers non résident doit avoir un CodPays",
                "a non-resident tiers needs a CodPays",
            )
        elif resident is False and (pays or "").strip() and not _france(pays or ""):
            expected = (
                "un tiers résident n'a pas de CodPays, ou 100 (France)",
                "a resident tiers has no CodPays, or 100 (France)",
            )
        else:
            continue
        yield record.finding(
            get("PES-TRS-007"),
            codres,
            value=codres.get("V"),
            piece=line.piece,
            country=pays or "absent",
            expected=expected[record.lang == "en"],
        )
