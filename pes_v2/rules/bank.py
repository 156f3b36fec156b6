"""Bank details: IBAN, BIC, RIB, payment mode coherence."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..findings import Finding, Scope, Severity
from ..identifiers import IBAN_LENGTHS, bic_valid, iban_valid, rib_key, rib_valid
from ..probes import grouped, probe
from ..records import FlowFacts, Record, value_of, xsd_boolean
from ..value_checks import BIC, IBAN, IBAN_UPPER, RIB, every_group_valid, every_valid
from ..xmlio import Element
from .registry import get, rule
from .tiers import Line, lines_of, valid_cached
from .totals import fetch

_SRC_BANCAIRE = "pes-rules §2.6, §7 [DOC] (XSD 5.30 annotations of Class_Bancaire.xsd)"
MODREGL_NEEDS_ACCOUNT = frozenset({"03", "05"})
MODREGL_NO_ACCOUNT = frozenset({"01", "02", "04", "07", "08", "09", "11"})
DOMESTIC_IBAN = frozenset(
    {"FR", "GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF"}
)
"""IBAN country codes of French domiciliations (metropole and outre-mer)."""
_ICS = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{6}")


_CPTE = "Piece/LigneDePiece/Tiers/CpteBancaire"
_IBAN = probe(f"{_CPTE}/IBAN/@V", smart_strings=False)
_BIC = probe(f"{_CPTE}/BIC/@V", smart_strings=False)
_BIC_COUNT = probe(f"count({_CPTE}/BIC)")
_RIB_PARTS = ("CodeEtab", "CodeGuic", "IdCpte", "CleRib")
_RIBS = grouped(f"{_CPTE}[CleRib]", *(f"{name}[1]/@V" for name in _RIB_PARTS))
"""The four parts of every account with a RIB key, as the exact check reads them."""
_IBANS_VALID = every_valid(f"{_CPTE}/IBAN/@V", IBAN)
_IBANS_UPPER = every_valid(f"{_CPTE}/IBAN/@V", IBAN_UPPER)
_BICS_VALID = every_valid(f"{_CPTE}/BIC/@V", BIC)
_RIBS_VALID = every_group_valid(f"{_CPTE}[CleRib]", tuple(f"{n}[1]/@V" for n in _RIB_PARTS), RIB)
"""The same checks in the compiled walk, for the fast paths (None: read the values)."""
_INTL_APART = probe(f"boolean({_CPTE}[boolean(IdPayInt) != boolean(IdBancInt)])")
_LINE_ACCOUNT = "Piece/LigneDePiece[BlocLignePiece/InfoLignePce/ModRegl[{}]]"
_NEEDS_MISSING = probe(
    "boolean("
    + _LINE_ACCOUNT.format(" or ".join(f"@V = '{m}'" for m in sorted(MODREGL_NEEDS_ACCOUNT)))
    + "[not(Tiers/CpteBancaire)])"
)
_FORBIDDEN_GIVEN = probe(
    "boolean("
    + _LINE_ACCOUNT.format(" or ".join(f"@V = '{m}'" for m in sorted(MODREGL_NO_ACCOUNT)))
    + "[Tiers/CpteBancaire])"
)
_SEPA = probe("boolean(Piece/LigneDePiece/BlocLignePiece/InfoPrelevementSEPA)")


def _ibans(record: Record) -> set[str]:
    return set(fetch(record, _IBAN))


def _iban_ok(value: str) -> bool:
    return valid_cached("IBAN", value.upper(), _iban_any)


def _iban_any(value: str) -> bool:
    return iban_valid(value, known_countries_only=False)


def _accounts(record: Record) -> Iterator[tuple[Line, Element]]:
    for line in lines_of(record):
        for tiers in line.tiers:
            cpte = tiers.find("CpteBancaire")
            if cpte is not None:
                yield line, cpte


@rule(
    "PES-BNK-001",
    title=("IBAN invalide", "Invalid IBAN"),
    message=(
        "IBAN « {value} » invalide : {why}.",
        "IBAN '{value}' is invalid: {why}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source=_SRC_BANCAIRE + "; ISO 13616 mod 97",
    on="bordereau",
)
def iban_checksum(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IBAN has the length of its country and a mod-97 checksum of 1 (case ignored here)."""
    if _IBANS_VALID(record.element) is not None or all(_iban_ok(v) for v in _ibans(record)):
        return
    for line, cpte in _accounts(record):
        el = cpte.find("IBAN")
        value = el.get("V") if el is not None else None
        if el is None or value is None:
            continue
        upper = value.upper()
        if iban_valid(upper, known_countries_only=False):
            continue
        expected = IBAN_LENGTHS.get(upper[:2])
        if expected is not None and len(upper) != expected:
            why = (
                f"{len(upper)} caractères au lieu de {expected} pour le pays {upper[:2]}",
                f"{len(upper)} characters instead of {expected} for country {upper[:2]}",
            )
        else:
            why = ("la clé de contrôle (mod 97) est fausse", "the mod-97 check digits are wrong")
        yield record.finding(
            get("PES-BNK-001"), el, value=value, piece=line.piece, why=why[record.lang == "en"]
        )


@rule(
    "PES-BNK-002",
    title=("BIC invalide", "Invalid BIC"),
    message=(
        "BIC « {value} » invalide : 8 ou 11 caractères en majuscules au format ISO 9362 "
        "sont attendus.",
        "BIC '{value}' is invalid: 8 or 11 upper-case characters in the ISO 9362 form are "
        "expected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="flux",
    source=_SRC_BANCAIRE + " (lower case: flux rejected; unknown or invalid: bordereau)",
    on="bordereau",
)
def bic_shape(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """BIC is 8 or 11 upper-case characters in the ISO 9362 shape."""
    valid = _BICS_VALID(record.element)
    if valid is not None and valid == fetch(record, _BIC_COUNT):
        return
    bics = fetch(record, _BIC)
    if len(bics) == fetch(record, _BIC_COUNT) and all(
        valid_cached("BIC", value, bic_valid) for value in set(bics)
    ):
        return
    for line, cpte in _accounts(record):
        el = cpte.find("BIC")
        if el is not None and not bic_valid(el.get("V") or ""):
            yield record.finding(get("PES-BNK-002"), el, value=el.get("V"), piece=line.piece)


@rule(
    "PES-BNK-003",
    title=("IBAN en minuscules", "IBAN in lower case"),
    message=(
        "IBAN « {value} » contient des minuscules : toutes ses lettres doivent être en "
        "majuscules, sinon le flux est rejeté.",
        "IBAN '{value}' holds lower-case letters: all its letters must be upper case, else "
        "the flow is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack="ERREUR_AUTRE",
    rejects="flux",
    source=_SRC_BANCAIRE,
    on="bordereau",
)
def iban_upper(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IBAN letters are all upper case (the XSD pattern allows lower case in the BBAN)."""
    if _IBANS_UPPER(record.element) is not None or all(
        value == value.upper() for value in _ibans(record)
    ):
        return
    for line, cpte in _accounts(record):
        el = cpte.find("IBAN")
        value = el.get("V") if el is not None else None
        if value is not None and value != value.upper():
            yield record.finding(get("PES-BNK-003"), el, value=value, piece=line.piece)


@rule(
    "PES-BNK-004",
    title=("RIB incomplet ou clé RIB fausse", "Incomplete RIB or wrong RIB key"),
    message=(
        "RIB {bank} {branch} {account} clé « {value} » : les quatre zones doivent être "
        "servies et la clé doit valoir {expected}.",
        "RIB {bank} {branch} {account} key '{value}': the four parts must be given and the "
        "key must be {expected}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source=_SRC_BANCAIRE + "; key algorithm pes-rules §7 [IMPL]",
    on="bordereau",
)
def rib_key_valid(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """CodeEtab, CodeGuic, IdCpte and CleRib are all filled and the RIB key is right."""
    if _RIBS_VALID(record.element) is not None or not any(
        _rib_wrong(parts) for parts in fetch(record, _RIBS)
    ):
        return
    for line, cpte in _accounts(record):
        cle = cpte.find("CleRib")
        if cle is None:
            continue
        bank, branch, account = (
            value_of(cpte, n) or "" for n in ("CodeEtab", "CodeGuic", "IdCpte")
        )
        key = cle.get("V") or ""
        if rib_valid(bank, branch, account, key):
            continue
        try:
            expected = rib_key(bank, branch, account)
        except ValueError:
            expected = "?"
        yield record.finding(
            get("PES-BNK-004"),
            cle,
            value=key,
            piece=line.piece,
            bank=bank or "?",
            branch=branch or "?",
            account=account or "?",
            expected=expected,
        )


def _rib_wrong(parts: tuple[list[str], ...]) -> bool:
    """True when the account whose RIB ``parts`` these are (the ``V`` of the first
    CodeEtab, CodeGuic, IdCpte and CleRib, each a list of at most one) may fail
    PES-BNK-004 (checked exactly then)."""
    # NUL joins the four parts: no XML value holds it.
    key = "\0".join(found[0] if found else "" for found in parts)
    return not valid_cached("RIB", key, _rib_key_valid)


def _rib_key_valid(key: str) -> bool:
    bank, branch, account, cle = key.split("\0")
    return rib_valid(bank, branch, account, cle)


def _modregl_lines(record: Record) -> Iterator[tuple[Line, Element, bool]]:
    """Dépense lines with a ModRegl: (line, ModRegl element, has bank details)."""
    if record.domain != "depense":
        return
    for line in lines_of(record):
        modregl = line.info.find("ModRegl") if line.info is not None else None
        if modregl is not None:
            has = any(t.find("CpteBancaire") is not None for t in line.tiers)
            yield line, modregl, has


@rule(
    "PES-BNK-005",
    title=("Virement sans coordonnées bancaires", "Transfer without bank details"),
    message=(
        "ModRegl vaut {value} (virement) mais le tiers de la ligne n'a pas de CpteBancaire : "
        "les modes 03 et 05 exigent des coordonnées bancaires valides.",
        "ModRegl is {value} (transfer) but the line's tiers has no CpteBancaire: modes 03 and "
        "05 require valid bank details.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §2.9 item 9 [DOC] (XSD annotation of dépense ModRegl)",
    on="bordereau",
)
def transfer_needs_account(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Dépense ModRegl 03 and 05 need a CpteBancaire on the line's tiers."""
    if record.domain != "depense" or not fetch(record, _NEEDS_MISSING):
        return
    for line, modregl, has in _modregl_lines(record):
        if modregl.get("V") in MODREGL_NEEDS_ACCOUNT and not has:
            yield record.finding(
                get("PES-BNK-005"), modregl, value=modregl.get("V"), piece=line.piece
            )


@rule(
    "PES-BNK-006",
    title=(
        "Coordonnées bancaires interdites pour ce mode de règlement",
        "Bank details forbidden for this payment mode",
    ),
    message=(
        "ModRegl vaut {value} mais le tiers de la ligne porte un CpteBancaire : aucun RIB ni "
        "IBAN ne doit être transmis avec les modes 01, 02, 04, 07, 08, 09 et 11.",
        "ModRegl is {value} but the line's tiers carries a CpteBancaire: no RIB or IBAN may "
        "be sent with modes 01, 02, 04, 07, 08, 09 and 11.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §2.9 item 9 [DOC] (XSD annotation of dépense ModRegl)",
    on="bordereau",
)
def account_forbidden(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Dépense ModRegl 01, 02, 04, 07, 08, 09 and 11 allow no CpteBancaire."""
    if record.domain != "depense" or not fetch(record, _FORBIDDEN_GIVEN):
        return
    for line, modregl, has in _modregl_lines(record):
        if modregl.get("V") in MODREGL_NO_ACCOUNT and has:
            yield record.finding(
                get("PES-BNK-006"), modregl, value=modregl.get("V"), piece=line.piece
            )


@rule(
    "PES-BNK-007",
    title=("IdPayInt et IdBancInt dissociés", "IdPayInt and IdBancInt apart"),
    message=(
        "{present} est servi sans {absent} : les deux zones vont ensemble, sinon le bordereau "
        "est rejeté.",
        "{present} is given without {absent}: both go together, else the bordereau is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source=_SRC_BANCAIRE,
    on="bordereau",
)
def intl_pair(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """IdPayInt and IdBancInt are both present or both absent."""
    if not fetch(record, _INTL_APART):
        return
    for line, cpte in _accounts(record):
        pay, banc = cpte.find("IdPayInt"), cpte.find("IdBancInt")
        if (pay is None) == (banc is None):
            continue
        el, present, absent = (
            (pay, "IdPayInt", "IdBancInt") if banc is None else (banc, "IdBancInt", "IdPayInt")
        )
        yield record.finding(
            get("PES-BNK-007"),
            el,
            value=el.get("V"),
            piece=line.piece,
            present=present,
            absent=absent,
        )


@rule(
    "PES-BNK-008",
    title=("BIC absent pour une domiciliation étrangère", "BIC missing for a foreign account"),
    message=(
        "L'IBAN « {value} » est domicilié hors de France ({country}) et aucun BIC n'est "
        "servi : le BIC est obligatoire pour une domiciliation à l'étranger.",
        "IBAN '{value}' is domiciled outside France ({country}) and no BIC is given: the BIC "
        "is mandatory for a foreign account.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source=_SRC_BANCAIRE,
    on="bordereau",
)
def foreign_needs_bic(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """An IBAN outside France (and its outre-mer) comes with a BIC."""
    if all(not value or value[:2].upper() in DOMESTIC_IBAN for value in _ibans(record)):
        return
    for line, cpte in _accounts(record):
        el = cpte.find("IBAN")
        value = el.get("V") if el is not None else None
        if value and value[:2].upper() not in DOMESTIC_IBAN and cpte.find("BIC") is None:
            yield record.finding(
                get("PES-BNK-008"), el, value=value, piece=line.piece, country=value[:2].upper()
            )


# -- recette direct debits ------------------------------------------------------------------


def _sepa_blocks(record: Record) -> Iterator[tuple[Line, Element]]:
    if record.domain != "recette" or not fetch(record, _SEPA):
        return
    for line in lines_of(record):
        sepa = line.element.find("BlocLignePiece/InfoPrelevementSEPA")
        if sepa is not None:
            yield line, sepa


@rule(
    "PES-BNK-009",
    title=("Prélèvement SEPA sans coordonnées bancaires", "SEPA direct debit without bank details"),
    message=(
        "La ligne porte un InfoPrelevementSEPA mais aucun de ses tiers n'a de CpteBancaire : "
        "un prélèvement émis par le Trésor exige les références bancaires du débiteur.",
        "The line carries an InfoPrelevementSEPA but none of its tiers has a CpteBancaire: a "
        "direct debit issued by the Trésor needs the debtor's bank details.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.5 [DOC] (XSD annotation of NatPrel in InfoPrelevementSEPA)",
    on="bordereau",
)
def sepa_needs_account(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """InfoPrelevementSEPA needs bank details on one of the line's tiers."""
    for line, sepa in _sepa_blocks(record):
        if not any(t.find("CpteBancaire") is not None for t in line.tiers):
            yield record.finding(get("PES-BNK-009"), sepa, piece=line.piece)


def ics_valid(value: str) -> bool:
    """An old NNE (6 digits) or a 13-character ICS with valid ISO 7064 mod 97-10 digits."""
    if len(value) == 6:
        return value.isascii() and value.isdigit()
    if len(value) != 13 or not _ICS.fullmatch(value):
        return False
    national = value[7:]
    digits = "".join(str(int(c, 36)) for c in national + value[:2] + "00")
    return f"{98 - int(digits) % 97:02d}" == value[2:4]


@rule(
    "PES-BNK-010",
    title=("Ancien ICS mal formé", "Malformed former ICS"),
    message=(
        "AncienICS vaut « {value} » : 6 chiffres (ancien NNE) ou un ICS de 13 caractères "
        "(pays, clé, code activité, identifiant national) avec une clé juste sont attendus.",
        "AncienICS is '{value}': 6 digits (former NNE) or a 13-character ICS (country, check "
        "digits, business code, national id) with correct check digits are expected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.5, §7 [DOC] (XSD annotation of AncienICS); ICS key [IMPL, EPC]",
    on="bordereau",
)
def ancien_ics(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """AncienICS is 6 digits or a well-formed 13-character ICS."""
    for line, sepa in _sepa_blocks(record):
        el = sepa.find("AncienICS")
        if el is not None and not ics_valid(el.get("V") or ""):
            yield record.finding(get("PES-BNK-010"), el, value=el.get("V"), piece=line.piece)


@rule(
    "PES-BNK-011",
    title=("AncienneBanque et AncienIBAN ensemble", "AncienneBanque together with AncienIBAN"),
    message=(
        "AncienneBanque et AncienIBAN sont servis ensemble : ils s'excluent l'un l'autre.",
        "AncienneBanque and AncienIBAN are both given: they exclude each other.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_AUTRE",
    rejects="bordereau",
    source="pes-rules §3.5, §3.8 [DOC] (XSD annotations of AncienneBanque and AncienIBAN; "
    "the rejection scope is not stated, bordereau assumed)",
    on="bordereau",
)
def ancienne_banque_iban(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """AncienneBanque and AncienIBAN are mutually exclusive."""
    for line, sepa in _sepa_blocks(record):
        iban = sepa.find("AncienIBAN")
        if iban is not None and sepa.find("AncienneBanque") is not None:
            yield record.finding(get("PES-BNK-011"), iban, value=iban.get("V"), piece=line.piece)


@rule(
    "PES-BNK-012",
    title=(
        "Changement de banque sans séquence FRST",
        "Change of bank without the FRST sequence",
    ),
    message=(
        "AncienneBanque vaut 1 mais SequencePres vaut {sequence} : un changement de banque "
        "du débiteur se présente en séquence 02 (FRST).",
        "AncienneBanque is 1 but SequencePres is {sequence}: a change of the debtor's bank is "
        "presented with sequence 02 (FRST).",
    ),
    severity=Severity.WARNING,
    scope=Scope.BORDEREAU,
    ack=None,
    rejects="none",
    source="pes-rules §3.5 [DOC] (older XSD annotation; no longer in the 5.30 annotation, "
    "and the EPC rulebook dropped the FRST obligation in 2016)",
    on="bordereau",
)
def ancienne_banque_frst(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """AncienneBanque = 1 goes with SequencePres 02 (FRST)."""
    for line, sepa in _sepa_blocks(record):
        old = sepa.find("AncienneBanque")
        if old is None or xsd_boolean(old.get("V")) is not True:
            continue
        sequence = value_of(sepa, "SequencePres")
        if sequence != "02":
            yield record.finding(
                get("PES-BNK-012"), old, value=old.get("V"), piece=line.piece, sequence=sequence
            )
