"""Hélios acknowledgments (PES_ACQUIT): codes, a predicted ACK built from a report, and reading
a received one.

Hélios answers each PES_Aller with a PES_ACQUIT holding one ``ElementACQUIT`` per bordereau
(``DomaineAck`` 5 dépense, 6 recette: ``NumBord`` + ``ExerciceBord``) and per PJ (``DomaineAck``
4: ``IdUnique``), each ``EtatAck`` 1 (accepted) or 0 (rejected) with ``Erreur`` blocks
(``NumAnoAck`` code + ``LibelleAnoAck`` text).  See pes-rules §6.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from lxml import etree

from .errors import InputError
from .findings import Finding, Severity
from .prediction import bordereau_of, pj_block_of, pj_of
from .records import xsd_boolean
from .rules.registry import get

if TYPE_CHECKING:
    from .batch import FileOutcome

NS_V1 = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour"
NS_V2 = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2"

DOMAINS: dict[str, tuple[str, str]] = {
    "0": ("Technique (le flux entier)", "Technical (the whole flow)"),
    "1": ("Signature technique", "Technical signature"),
    "2": ("Signature globale", "Global signature"),
    "3": ("Signature de bordereau", "Bordereau signature"),
    "4": ("Pièce justificative (PJ)", "Attachment (PJ)"),
    "5": ("Dépense (bordereau de mandats)", "Expenditure (bordereau of mandats)"),
    "6": ("Recette (bordereau de titres)", "Revenue (bordereau of titres)"),
    "7": ("Rôle", "Rôle (tax roll)"),
    "8": ("Budget", "Budget"),
    "9": ("État actif", "Assets statement"),
    "10": ("État passif", "Liabilities statement"),
    "11": ("Marché", "Public contract"),
    "12": ("Facture", "Invoice"),
    "99": ("Paramétrage", "Settings"),
}
"""``DomaineAck`` codes (XSD ``TDomaineAck``)."""

NUM_ANO_ACK: dict[str, tuple[str, str]] = {
    "ERREUR_CONNECTION_IMPOSSIBLE_A_LA_BASE": (
        "Incident technique côté Hélios (base indisponible) : renvoyer le flux plus tard.",
        "Technical problem on Hélios's side (database unavailable): send the flow again later.",
    ),
    "ERREUR_ENCODING": (
        "Encodage des caractères non accepté ou invalide (ISO-8859-1 attendu).",
        "Character encoding not accepted or invalid (ISO-8859-1 expected).",
    ),
    "ERREUR_FLUX_VIDE": (
        "Le flux ne contient ni bordereau, ni PJ, ni autre contenu.",
        "The flow holds no bordereau, no PJ and no other content.",
    ),
    "ERREUR_SCHEMA_INCOMPLET": (
        "Le fichier n'est pas conforme au schéma XSD (balise manquante, mal placée ou valeur "
        "mal formée) : tout le flux est rejeté.",
        "The file does not conform to the XSD (missing or misplaced element, malformed "
        "value): the whole flow is rejected.",
    ),
    "ERREUR_CODIFICATION": (
        "Une valeur n'appartient pas à la liste de codes attendue.",
        "A value is outside the expected code list.",
    ),
    "ERREUR_CODIQUE": (
        "Poste comptable (IdPost) inconnu d'Hélios.",
        "Accounting office (IdPost) unknown to Hélios.",
    ),
    "ERREUR_SIRET": (
        "SIRET de la collectivité (IdColl) invalide ou inconnu.",
        "The collectivité's SIRET (IdColl) is invalid or unknown.",
    ),
    "ERREUR_CODE_COLLECTIVITE_BUDGET": (
        "Couple CodCol/CodBud inconnu, inactif ou dissous dans Hélios.",
        "CodCol/CodBud pair unknown, inactive or dissolved in Hélios.",
    ),
    "ERREUR_VERSION_PES": (
        "Version du PES (IdVer de l'en-tête dépense/recette) différente de 2.",
        "PES version (IdVer of the dépense/recette header) other than 2.",
    ),
    "ERREUR_VERSION_PJ": (
        "Version du bloc PJ (EnTetePES_PJ/IdVer) différente de 1.",
        "PJ block version (EnTetePES_PJ/IdVer) other than 1.",
    ),
    "ERREUR_SIGNATURE_INVALIDE": (
        "La signature globale du flux est invalide.",
        "The flow's global signature is invalid.",
    ),
    "ERREUR_SIGNATURE_ILLISIBLE": (
        "La signature globale du flux est illisible.",
        "The flow's global signature cannot be read.",
    ),
    "ERREUR_SIGNATURE_INCOMPLETE": (
        "La signature globale du flux est incomplète.",
        "The flow's global signature is incomplete.",
    ),
    "ERREUR_SIGNATURE_BORDEREAU_INVALIDE": (
        "La signature d'un bordereau est invalide.",
        "A bordereau's signature is invalid.",
    ),
    "ERREUR_SIGNATURE_BORDEREAU_ILLISIBLE": (
        "La signature d'un bordereau est illisible.",
        "A bordereau's signature cannot be read.",
    ),
    "ERREUR_SIGNATURE_BORDEREAU_INCOMPLETE": (
        "La signature d'un bordereau est incomplète.",
        "A bordereau's signature is incomplete.",
    ),
    "ERREUR_CERTIFICAT": (
        "Certificat de signature non reconnu, expiré ou révoqué.",
        "Signing certificate not recognised, expired or revoked.",
    ),
    "ERREUR_PES_SIGNATURE": (
        "Signature incohérente avec InfoDematerialisee (bordereau annoncé signé ou non).",
        "Signature inconsistent with InfoDematerialisee (bordereau declared signed or not).",
    ),
    "ERREUR_PES_PARAM_SIGNATURE": (
        "Signature incohérente avec le paramétrage Hélios de la collectivité.",
        "Signature inconsistent with the collectivité's Hélios settings.",
    ),
    "ERREUR_SIGNATURE_EXTERNE": (
        "Problème de signature externe (fichier de signature détaché).",
        "External (detached) signature problem.",
    ),
    "ERREUR_PJ_SIGNEE": (
        "Problème sur une PJ signée.",
        "Problem with a signed PJ.",
    ),
    "ERREUR_DOUBLON_BORDEREAU": (
        "Bordereau déjà reçu (même exercice, type et numéro IdBord) : doublon.",
        "Bordereau already received (same year, type and IdBord): duplicate.",
    ),
    "ERREUR_DOUBLON_PIECE": (
        "Pièce en double (même IdPce) dans le bordereau.",
        "Duplicate piece (same IdPce) in the bordereau.",
    ),
    "ERREUR_DOUBLON_LIGNE": (
        "Ligne en double (même IdLigne) dans la pièce.",
        "Duplicate line (same IdLigne) in the piece.",
    ),
    "ERREUR_DOUBLON_PJ": (
        "PJ déjà reçue : son IdUnique a déjà été intégré dans Hélios.",
        "PJ already received: its IdUnique has already been integrated in Hélios.",
    ),
    "ERREUR_PES_PARAM": (
        "Le flux ne correspond pas au paramétrage Hélios du budget.",
        "The flow does not match the budget's Hélios settings.",
    ),
    "ERREUR_TIMEOUT": (
        "Délai de traitement dépassé côté Hélios (incident technique).",
        "Processing time exceeded on Hélios's side (technical problem).",
    ),
    "ERREUR_TAILLE_BORDEREAUX": (
        "Trop de bordereaux, ou bordereau trop volumineux.",
        "Too many bordereaux, or a bordereau too large.",
    ),
    "ERREUR_TAILLE_PIECE": (
        "Trop de pièces, ou pièce trop volumineuse.",
        "Too many pieces, or a piece too large.",
    ),
    "ERREUR_TAILLE_LIGNE": (
        "Trop de lignes, ou ligne trop volumineuse.",
        "Too many lines, or a line too large.",
    ),
    "ERREUR_MONTANT_TVA_ZERO_NEGATIF": (
        "Montant de TVA nul ou négatif là où il doit être positif.",
        "VAT amount zero or negative where it must be positive.",
    ),
    "ERREUR_CUMUL_MONTANTS": (
        "Totaux du bordereau différents de la somme des pièces/lignes, ou cumul annuel faux.",
        "Bordereau totals differ from the sum of its pieces/lines, or a wrong annual total.",
    ),
    "ERREUR_PJ": (
        "Pièce justificative non conforme (contenu, référence, taille ou format).",
        "Non-conforming attachment (content, reference, size or format).",
    ),
    "ERREUR_AUTRE": (
        "Contrôle métier Hélios (boîte 5) : le détail est dans le libellé « NNNN - texte ».",
        "Hélios business control (step 5): the detail is in the label “NNNN - text”.",
    ),
}
"""``NumAnoAck`` codes (XSD ``TNumAnoAck``) and what they mean, French and English."""


def domain_label(code: str | None, lang: str = "fr") -> str:
    labels = DOMAINS.get(code or "")
    if labels is None:
        return ("Domaine inconnu {}" if lang != "en" else "Unknown domain {}").format(code)
    return labels[1] if lang == "en" else labels[0]


def explain_code(code: str | None, lang: str = "fr") -> str:
    """What a ``NumAnoAck`` code means, in ``lang``."""
    if not code:
        return "Pas de code d'anomalie." if lang != "en" else "No anomaly code."
    meanings = NUM_ANO_ACK.get(code)
    if meanings is None:
        return "Code inconnu de pes-v2." if lang != "en" else "Code unknown to pes-v2."
    return meanings[1] if lang == "en" else meanings[0]


# -- building the ACK Hélios would likely send back ----------------------------------------

_NUM = re.compile(r"[0-9]+")
_ALNUM = re.compile(r"[0-9a-zA-Z]+")
_CODIQUE = re.compile(r"(02[A-B][0-9]{3,4}|[0-9]{6,7})")
_CODCOL = re.compile(r"[0-9]{3}")
_CODBUD = re.compile(r"[0-9A-Z][0-9]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_ERRORS = 50


def _text(value: str | None, length: int) -> str | None:
    """A Base_TexteN value, or None when it would not be one."""
    if value is None:
        return None
    value = value.strip()[:length]
    if not value or value in ("nc", ".", " ") or set(value) == {"0"}:
        return None
    return value


def _match(pattern: re.Pattern[str], value: str | None, length: int | None = None) -> str | None:
    if value is None or not pattern.fullmatch(value):
        return None
    if length is not None and len(value) > length:
        return None
    return value


def _sub(parent: Any, tag: str, value: str) -> Any:
    return etree.SubElement(parent, tag, V=value)


def _label(finding: Finding, lang: str) -> str:
    where = ""
    if finding.line is not None:
        where = f" (ligne {finding.line})" if lang != "en" else f" (line {finding.line})"
    return f"{finding.rule} - {finding.message}{where}"[:500]


def _add_errors(parent: Any, findings: Iterable[Finding], lang: str) -> None:
    for count, finding in enumerate(findings):
        if count == _MAX_ERRORS:
            break
        erreur = etree.SubElement(parent, "Erreur")
        code = finding.ack if finding.ack in NUM_ANO_ACK else "ERREUR_AUTRE"
        _sub(erreur, "NumAnoAck", code or "ERREUR_AUTRE")
        _sub(erreur, "LibelleAnoAck", _label(finding, lang))


def _rejects(finding: Finding) -> str:
    try:
        return get(finding.rule).rejects
    except KeyError:
        return "flux"


class _ErrorsByRecord:
    """The errors that reject a bordereau or a PJ, grouped by the record they are in, in
    one pass (each record then finds its own at once, whatever the number of records)."""

    def __init__(self, errors: list[Finding]) -> None:
        self._by_xpath: dict[tuple[str, str], list[tuple[int, Finding]]] = {}
        self._by_id_bord: dict[str, list[tuple[int, Finding]]] = {}
        for index, finding in enumerate(errors):
            rejects = _rejects(finding)
            if rejects == "bordereau":
                if finding.xpath is not None:
                    key = bordereau_of(finding.xpath)
                    if key is not None:
                        self._by_xpath.setdefault(("bordereau", key), []).append((index, finding))
                elif finding.bordereau:
                    self._by_id_bord.setdefault(finding.bordereau, []).append((index, finding))
            elif rejects == "pj" and (key := pj_of(finding.xpath)) is not None:
                self._by_xpath.setdefault(("pj", key), []).append((index, finding))
            elif rejects == "pj" and (block := pj_block_of(finding.xpath)) is not None:
                # e.g. EnTetePES_PJ's IdVer: every PJ of the block carries it
                self._by_xpath.setdefault(("pj-block", block), []).append((index, finding))

    def of_bordereau(self, xpath: str, id_bord: str | None) -> list[Finding]:
        """Its errors: inside it, or naming its IdBord without a place, in order."""
        found = self._by_xpath.get(("bordereau", xpath), [])
        if id_bord:
            found = sorted(found + self._by_id_bord.get(id_bord, []), key=lambda item: item[0])
        return [finding for _index, finding in found]

    def of_pj(self, xpath: str) -> list[Finding]:
        """Its errors: inside it, or in the header of its PES_PJ block, in order."""
        found = self._by_xpath.get(("pj", xpath), [])
        block = self._by_xpath.get(("pj-block", pj_block_of(xpath) or ""), [])
        if block:
            found = sorted(found + block, key=lambda item: item[0])
        return [finding for _index, finding in found]


def build_acquit(outcome: FileOutcome, lang: str = "fr", today: str | None = None) -> bytes | None:
    """The PES_ACQUIT (v2) Hélios would likely send back for this flow, or None.

    None when the file has no report or is not a PES_Aller.  The ACK validates against the
    official ``PES_V2_Acquit_Autonome_V2.xsd``: values the flow carries that the ACK types
    would refuse are replaced (header) or left out (``NumBord``, ``IdUnique``).  ``DteStr``
    is the flow's own date unless ``today`` is given (so that the output is reproducible).
    """
    report = outcome.report
    if report is None or report.flow.root != "PES_Aller":
        return None
    facts = outcome.facts
    flow = report.flow
    header = flow.header
    prediction = report.prediction
    errors = [f for f in report.findings if f.severity is Severity.ERROR]

    root = etree.Element(f"{{{NS_V2}}}PES_ACQUIT", nsmap={"n": NS_V2})
    enveloppe = etree.SubElement(root, "Enveloppe")
    parametres = etree.SubElement(enveloppe, "Parametres")
    _sub(parametres, "Version", "2")
    _sub(parametres, "TypFic", "PESALR2")
    _sub(parametres, "NomFic", _text(flow.nom_fic, 100) or "inconnu")
    emetteur = etree.SubElement(enveloppe, "Emetteur")
    _sub(emetteur, "Sigle", "HELIOS")
    _sub(emetteur, "Adresse", "Prediction pes-v2")

    entete = etree.SubElement(root, "EnTetePES")
    date = today or _match(_DATE, facts.dte_str if facts else None)
    _sub(entete, "DteStr", date or datetime.date.today().isoformat())
    _sub(entete, "IdPost", _match(_CODIQUE, header.get("IdPost")) or "000001")
    if poste := _text(header.get("LibellePoste"), 38):
        _sub(entete, "LibellePoste", poste)
    _sub(entete, "IdColl", _match(_NUM, header.get("IdColl"), 14) or "")
    if finjur := _match(_ALNUM, header.get("FinJur"), 20):
        _sub(entete, "FinJur", finjur)
    _sub(entete, "CodCol", _match(_CODCOL, header.get("CodCol")) or "001")
    _sub(entete, "CodBud", _match(_CODBUD, header.get("CodBud")) or "01")
    if libelle := _text(header.get("LibelleColBud"), 38):
        _sub(entete, "LibelleColBud", libelle)

    acquit = etree.SubElement(root, "ACQUIT")
    _sub(etree.SubElement(acquit, "EnTeteAcquit"), "IdVer", "2")

    bordereaux = facts.bordereaux if facts else ()
    pjs = facts.pjs if facts else ()
    if prediction.flux_rejected:
        element = etree.SubElement(acquit, "ElementACQUIT")
        flux_errors = [f for f in errors if _rejects(f) not in ("bordereau", "pj")]
        _sub(element, "DomaineAck", _flux_domain(flux_errors))
        _sub(element, "EtatAck", "0")
        _add_errors(element, flux_errors or errors, lang)
    by_record = _ErrorsByRecord(errors)
    for bordereau in bordereaux:
        mine = by_record.of_bordereau(bordereau.xpath, bordereau.id_bord)
        rejected = bool(mine) or prediction.rejects_bordereau(bordereau.xpath, bordereau.id_bord)
        element = etree.SubElement(acquit, "ElementACQUIT")
        _sub(element, "DomaineAck", "5" if bordereau.domain == "depense" else "6")
        _sub(element, "EtatAck", "0" if rejected else "1")
        if num := _match(_NUM, bordereau.id_bord, 7):
            _sub(element, "NumBord", num)
        if exer := _match(_NUM, bordereau.exer, 4):
            _sub(element, "ExerciceBord", exer)
        whole = [f for f in mine if not (f.piece and _NUM.fullmatch(f.piece))]
        _add_errors(element, whole, lang)
        pieces: dict[str, list[Finding]] = {}
        for finding in mine:
            if finding.piece and _NUM.fullmatch(finding.piece) and len(finding.piece) <= 13:
                pieces.setdefault(finding.piece, []).append(finding)
        for number, found in pieces.items():
            detail = etree.SubElement(element, "DetailPiece")
            _sub(detail, "NumPiece", number)
            on_piece: list[Finding] = []
            lines: dict[str, list[Finding]] = {}
            for finding in found:
                ligne = finding.ligne
                if ligne and _NUM.fullmatch(ligne) and len(ligne) <= 13:
                    lines.setdefault(ligne, []).append(finding)
                else:
                    on_piece.append(finding)
            _add_errors(detail, on_piece, lang)
            for ligne, on_line in lines.items():
                line_detail = etree.SubElement(detail, "DetailLigne")
                _sub(line_detail, "NumLigne", ligne)
                _add_errors(line_detail, on_line, lang)
    for pj in pjs:
        mine = by_record.of_pj(pj.xpath)
        rejected = bool(mine) or prediction.rejects_pj(pj.xpath)
        element = etree.SubElement(acquit, "ElementACQUIT")
        _sub(element, "DomaineAck", "4")
        _sub(element, "EtatAck", "0" if rejected else "1")
        if identifier := _match(_ALNUM, pj.id_unique, 50):
            _sub(element, "IdUnique", identifier)
        _add_errors(element, mine, lang)
    if len(acquit) == 1:  # nothing acknowledged: one element for the flow itself
        element = etree.SubElement(acquit, "ElementACQUIT")
        domain = "12" if "facture" in flow.domains else "11" if "marche" in flow.domains else "0"
        _sub(element, "DomaineAck", domain)
        _sub(element, "EtatAck", "1" if report.valid else "0")
        _add_errors(element, errors, lang)
    return etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1", pretty_print=True)  # type: ignore[no-any-return]


# -- reading a received ACK ------------------------------------------------------------------


@dataclass(frozen=True)
class AckError:
    """One ``Erreur``: code, Hélios's label, and what pes-v2 knows the code means."""

    code: str | None
    label: str | None

    def as_dict(self, lang: str = "fr") -> dict[str, Any]:
        return {
            "NumAnoAck": self.code,
            "LibelleAnoAck": self.label,
            "meaning": explain_code(self.code, lang),
        }


@dataclass(frozen=True)
class AckDetail:
    """A ``DetailPiece`` (or ``DetailLigne``): the number and its errors."""

    number: str | None
    errors: tuple[AckError, ...] = ()
    lines: tuple[AckDetail, ...] = ()

    def as_dict(self, lang: str = "fr") -> dict[str, Any]:
        return {
            "number": self.number,
            "errors": [e.as_dict(lang) for e in self.errors],
            "lines": [line.as_dict(lang) for line in self.lines],
        }


@dataclass(frozen=True)
class AckElement:
    """One ``ElementACQUIT``: what it acknowledges and whether Hélios accepted it."""

    domain: str | None
    accepted: bool
    num_bord: str | None = None
    exercice: str | None = None
    id_unique: str | None = None
    id_marche: str | None = None
    errors: tuple[AckError, ...] = ()
    pieces: tuple[AckDetail, ...] = ()
    line: int | None = None

    def subject(self, lang: str = "fr") -> str:
        en = lang == "en"
        if self.num_bord or self.exercice:
            return (
                f"bordereau {self.num_bord or '?'} ({'year' if en else 'exercice'} "
                f"{self.exercice or '?'})"
            )
        if self.id_unique:
            return f"PJ {self.id_unique}"
        if self.id_marche:
            return f"{'contract' if en else 'marché'} {self.id_marche}"
        return "the whole flow" if en else "le flux entier"

    def as_dict(self, lang: str = "fr") -> dict[str, Any]:
        return {
            "DomaineAck": self.domain,
            "domain": domain_label(self.domain, lang),
            "accepted": self.accepted,
            "NumBord": self.num_bord,
            "ExerciceBord": self.exercice,
            "IdUnique": self.id_unique,
            "IdMarche": self.id_marche,
            "errors": [e.as_dict(lang) for e in self.errors],
            "pieces": [p.as_dict(lang) for p in self.pieces],
            "line": self.line,
        }


@dataclass(frozen=True)
class AckDocument:
    """A received PES_ACQUIT, read."""

    version: str
    """``v2`` (…/retour/v2) or ``v1`` (…/retour)."""
    nom_fic: str | None
    header: dict[str, str] = field(default_factory=dict)
    elements: tuple[AckElement, ...] = ()

    @property
    def accepted(self) -> bool:
        """True only when every element is accepted (anything else is a NACK)."""
        return bool(self.elements) and all(e.accepted for e in self.elements)

    def as_dict(self, lang: str = "fr") -> dict[str, Any]:
        return {
            "format": "pes-v2/ack",
            "version": 1,
            "ack_version": self.version,
            "NomFic": self.nom_fic,
            "header": dict(self.header),
            "accepted": self.accepted,
            "elements": [e.as_dict(lang) for e in self.elements],
        }


def _local(element: Any) -> str:
    return str(etree.QName(element).localname) if isinstance(element.tag, str) else ""


_GLOBAL_SIGNATURE_RULE = re.compile(r"PES-SIG-1[0-9]{2}")
_BORDEREAU_SIGNATURE_RULE = re.compile(r"PES-SIG-0[0-9]{2}")


def _flux_domain(errors: list[Finding]) -> str:
    """The DomaineAck of a whole-flow rejection: 2 (signature globale) when the global
    signature is in error (its rules, certificate ones included, are PES-SIG-1xx), else 3
    (signature bordereau) for a bordereau's signature, else 0 (technique)."""
    if any(_GLOBAL_SIGNATURE_RULE.fullmatch(f.rule) or f.ack in _GLOBAL_CODES for f in errors):
        return "2"
    if any(
        _BORDEREAU_SIGNATURE_RULE.fullmatch(f.rule)
        or (f.ack or "").startswith("ERREUR_SIGNATURE_BORDEREAU_")
        for f in errors
    ):  # also the header rules on signed bordereaux (e.g. PES-HDR-011)
        return "3"
    return "0"


_GLOBAL_CODES = frozenset(
    {"ERREUR_SIGNATURE_INVALIDE", "ERREUR_SIGNATURE_ILLISIBLE", "ERREUR_SIGNATURE_INCOMPLETE"}
)


def _child(element: Any, name: str) -> Any:
    for child in element:
        if _local(child) == name:
            return child
    return None


def _children(element: Any, name: str) -> list[Any]:
    return [child for child in element if _local(child) == name]


def _value(element: Any, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None else child.get("V")


def _errors(element: Any) -> tuple[AckError, ...]:
    return tuple(
        AckError(_value(e, "NumAnoAck"), _value(e, "LibelleAnoAck"))
        for e in _children(element, "Erreur")
    )


ACK_MAX_BYTES = 64 << 20
"""Largest acknowledgment read (Hélios's are a few kilobytes; one element per bordereau/PJ)."""


def read_acquit(source: str | os.PathLike[str] | bytes | IO[bytes]) -> AckDocument:
    """Read a received PES_ACQUIT (v1 or v2 namespace) with a hardened parser.

    Raises :class:`~pes_v2.InputError` when the file is not XML or not a PES_ACQUIT.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        if isinstance(source, bytes):
            root = etree.fromstring(source, parser)
        else:
            root = etree.parse(
                os.fspath(source) if isinstance(source, (str, os.PathLike)) else source, parser
            ).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        raise InputError(
            f"not a readable XML file: {exc}", f"fichier XML illisible : {exc}"
        ) from None
    if root.getroottree().docinfo.doctype:
        raise InputError(
            "a DOCTYPE is refused (Hélios writes none)",
            "une déclaration DOCTYPE est refusée (Hélios n'en écrit pas)",
        )
    qname = etree.QName(root)
    if qname.localname != "PES_ACQUIT":
        raise InputError(
            f"root element is {qname.localname}, not PES_ACQUIT",
            f"l'élément racine est {qname.localname}, pas PES_ACQUIT",
        )
    version = {NS_V2: "v2", NS_V1: "v1"}.get(qname.namespace or "")
    if version is None:
        where = f"namespace {qname.namespace}" if qname.namespace else "no namespace"
        lieu = f"l'espace de noms {qname.namespace}" if qname.namespace else "aucun espace de noms"
        raise InputError(
            f"PES_ACQUIT in {where}: not an Hélios acknowledgment ({NS_V2} or {NS_V1})",
            f"PES_ACQUIT dans {lieu} : pas un accusé d'Hélios ({NS_V2} ou {NS_V1})",
        )
    enveloppe = _child(root, "Enveloppe")
    parametres = None if enveloppe is None else _child(enveloppe, "Parametres")
    nom_fic = None if parametres is None else _value(parametres, "NomFic")
    entete = _child(root, "EnTetePES")
    header = {}
    if entete is not None:
        header = {_local(c): c.get("V", "") for c in entete if _local(c) and c.get("V") is not None}
    elements = []
    # The schema has one ACQUIT; a second one (schema error) still counts in the verdict.
    items = [
        item for acquit in _children(root, "ACQUIT") for item in _children(acquit, "ElementACQUIT")
    ]
    for item in items:
        pieces = tuple(
            AckDetail(
                _value(piece, "NumPiece"),
                _errors(piece),
                tuple(
                    AckDetail(_value(line, "NumLigne"), _errors(line))
                    for line in _children(piece, "DetailLigne")
                ),
            )
            for piece in _children(item, "DetailPiece")
        )
        elements.append(
            AckElement(
                domain=_value(item, "DomaineAck"),
                accepted=xsd_boolean(_value(item, "EtatAck")) is True,
                num_bord=_value(item, "NumBord"),
                exercice=_value(item, "ExerciceBord"),
                id_unique=_value(item, "IdUnique"),
                id_marche=_value(item, "IdMarche"),
                errors=_errors(item),
                pieces=pieces,
                line=item.sourceline,
            )
        )
    return AckDocument(version, nom_fic, header, tuple(elements))


_ACK_WORDS = {
    "fr": {
        "title": "Accusé de réception Hélios (PES_ACQUIT {version}) du fichier {nom_fic}",
        "coll": "Collectivité {IdColl}, budget {CodCol}/{CodBud}, poste {IdPost}, le {DteStr}",
        "accepted": "Verdict : flux ACCEPTÉ — tous les éléments sont acquittés (EtatAck = 1).",
        "rejected": "Verdict : REJET (NACK) — {ko} élément(s) sur {total} rejeté(s) (EtatAck = 0).",
        "empty": "Verdict : aucun ElementACQUIT — accusé inexploitable.",
        "ok": "accepté",
        "ko": "REJETÉ",
        "piece": "pièce",
        "line": "ligne",
        "label": "libellé Hélios",
        "meaning": "signification",
        "colon": " : ",
    },
    "en": {
        "title": "Hélios acknowledgment (PES_ACQUIT {version}) of file {nom_fic}",
        "coll": "Collectivité {IdColl}, budget {CodCol}/{CodBud}, office {IdPost}, on {DteStr}",
        "accepted": "Verdict: flow ACCEPTED — every element is acknowledged (EtatAck = 1).",
        "rejected": (
            "Verdict: REJECTION (NACK) — {ko} of {total} element(s) rejected (EtatAck = 0)."
        ),
        "empty": "Verdict: no ElementACQUIT — unusable acknowledgment.",
        "ok": "accepted",
        "ko": "REJECTED",
        "piece": "piece",
        "line": "line",
        "label": "Hélios label",
        "meaning": "meaning",
        "colon": ": ",
    },
}


def explain_acquit(document: AckDocument, lang: str = "fr") -> str:
    """The acknowledgment in plain words: verdict, then each element and its errors."""
    words = _ACK_WORDS["en" if lang == "en" else "fr"]
    out = [words["title"].format(version=document.version, nom_fic=document.nom_fic or "?")]
    header = {
        k: document.header.get(k, "?") for k in ("IdColl", "CodCol", "CodBud", "IdPost", "DteStr")
    }
    out.append(words["coll"].format(**header))
    total = len(document.elements)
    ko = sum(1 for e in document.elements if not e.accepted)
    if not total:
        out.append(words["empty"])
    elif ko:
        out.append(words["rejected"].format(ko=ko, total=total))
    else:
        out.append(words["accepted"])

    def errors(items: tuple[AckError, ...], indent: str) -> None:
        for error in items:
            out.append(
                f"{indent}• {error.code or '-'} — {words['meaning']}{words['colon']}"
                f"{explain_code(error.code, lang)}"
            )
            if error.label:
                out.append(f"{indent}  {words['label']}{words['colon']}{error.label}")

    for element in document.elements:
        state = words["ok"] if element.accepted else words["ko"]
        mark = "✔" if element.accepted else "✘"
        out.append(
            f"{mark} {element.subject(lang)} — {domain_label(element.domain, lang)} "
            f"(DomaineAck {element.domain}){words['colon']}{state}"
        )
        errors(element.errors, "    ")
        for piece in element.pieces:
            out.append(f"    {words['piece']} {piece.number}")
            errors(piece.errors, "      ")
            for line in piece.lines:
                out.append(f"      {words['line']} {line.number}")
                errors(line.errors, "        ")
    return "\n".join(out) + "\n"
