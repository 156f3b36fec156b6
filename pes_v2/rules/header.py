"""EnTetePES and domain headers: collectivité identifiers, versions, InfoDematerialisee."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..findings import Finding, Scope, Severity
from ..identifiers import siret_valid
from ..records import FlowFacts, Location, Record, xsd_boolean
from .registry import get, rule

DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
HOSPITAL_NOMENCLATURES = frozenset({"M21", "M22"})


@dataclass
class _Demat:
    """What the flow rules need to know about one domain's InfoDematerialisee."""

    value: str | None = None
    """InfoDematerialisee as written, None when absent."""
    location: Location | None = None
    signed: int = 0
    """Bordereaux carrying a ds:Signature."""
    signatures: int = 0
    """ds:Signature elements inside those bordereaux (as the engine counts them)."""
    unsigned: list[Location] = field(default_factory=list)

    @property
    def declared(self) -> bool:
        """InfoDematerialisee is 1 (an xs:boolean: ``true``, whitespace around)."""
        return xsd_boolean(self.value) is True


def _demat_state(facts: FlowFacts) -> dict[str, _Demat]:
    return facts.state("header.demat", dict)


def nomenclature(facts: FlowFacts) -> str | None:
    """The budget's nomenclature from the context (``"M14"``, ``"M57"``…), upper case."""
    context = facts.context
    value = context.get("nomenclature") if context is not None else None
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("nomenclature")
    return value.strip().upper() if isinstance(value, str) and value.strip() else None


# -- EnTetePES ---------------------------------------------------------------------------


@rule(
    "PES-HDR-001",
    title=("SIRET de la collectivité invalide", "Invalid collectivité SIRET"),
    message=(
        "IdColl vaut « {value} » : un SIRET de 14 chiffres avec une clé de Luhn valide "
        "est attendu.",
        "IdColl is '{value}': a 14-digit SIRET with a valid Luhn key is expected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack="ERREUR_SIRET",
    rejects="flux",
    source="pes-rules §1.5, §7 [DOC] (XSD annotation of IdColl; algorithm S²LOW Siret.php)",
    on="header",
)
def idcoll_siret(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """EnTetePES/IdColl is a 14-digit SIRET whose key is valid (La Poste exception)."""
    el = record.element.find("IdColl")
    if el is None:
        return  # missing element: an XSD finding
    value = el.get("V")
    if value is not None and not siret_valid(value):
        yield record.finding(get("PES-HDR-001"), el, value=value)


@rule(
    "PES-HDR-005",
    title=("Code budget absent ou vide", "Budget code missing or empty"),
    message=(
        "EnTetePES n'a pas de CodBud servi : le schéma le permet, mais les plateformes de "
        "télétransmission (S²LOW, STELA) l'exigent pour adresser le flux.",
        "EnTetePES has no CodBud value: the schema allows it, but the transmission "
        "platforms (S²LOW, STELA) need it to route the flow.",
    ),
    severity=Severity.WARNING,
    scope=Scope.FLUX,
    ack=None,
    rejects="none",
    source="pes-rules §1.5 [IMPL] (S²LOW PesAllerReader / HeliosNamesGenerator)",
    on="header",
)
def codbud_present(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """EnTetePES/CodBud is present and non-empty (required by TdTs, optional in the XSD)."""
    el = record.element.find("CodBud")
    if el is None:
        yield record.finding(get("PES-HDR-005"), value=None)
    elif not (el.get("V") or "").strip():
        yield record.finding(get("PES-HDR-005"), el, value=el.get("V"))


@rule(
    "PES-HDR-006",
    title=("Poste comptable inconnu", "Unknown poste comptable"),
    message=(
        "IdPost « {value} » ne figure pas parmi les postes comptables connus du contexte.",
        "IdPost '{value}' is not one of the postes comptables listed in the context.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack="ERREUR_CODIQUE",
    rejects="flux",
    source="pes-rules §1.5 [DOC-ctx] (XSD annotation of IdPost)",
    on="header",
    context_keys=("IdPost",),
)
def idpost_known(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """EnTetePES/IdPost is one of the postes the context lists (context key ``IdPost``)."""
    known = (facts.context or {}).get("IdPost")
    el = record.element.find("IdPost")
    if el is None or not isinstance(known, (list, tuple, set, frozenset)) or not known:
        return
    value = el.get("V")
    if value is not None and value not in {str(k) for k in known}:
        yield record.finding(get("PES-HDR-006"), el, value=value)


@rule(
    "PES-HDR-007",
    title=("Budget collectivité inconnu", "Unknown collectivité budget"),
    message=(
        "Le couple CodCol « {codcol} » / CodBud « {codbud} » ne figure pas parmi les budgets "
        "du contexte : le budget doit exister dans le poste, actif et non dissous.",
        "CodCol '{codcol}' / CodBud '{codbud}' is not one of the budgets listed in the "
        "context: the budget must exist in the poste, active and not dissolved.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack="ERREUR_CODE_COLLECTIVITE_BUDGET",
    rejects="flux",
    source="pes-rules §1.5 [DOC-ctx] (XSD annotations of CodCol and CodBud)",
    on="header",
    context_keys=("budgets",),
)
def budget_known(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """(CodCol, CodBud) is one of the budgets the context lists (context key ``budgets``)."""
    budgets = (facts.context or {}).get("budgets")
    el = record.element.find("CodCol")
    if el is None or not isinstance(budgets, (list, tuple)) or not budgets:
        return
    codcol = el.get("V") or ""
    codbud_el = record.element.find("CodBud")
    codbud = (codbud_el.get("V") or "") if codbud_el is not None else ""
    pairs = {
        (str(b.get("CodCol", "")), str(b.get("CodBud", "") or ""))
        for b in budgets
        if isinstance(b, Mapping)
    }
    if (codcol, codbud) not in pairs:
        yield record.finding(
            get("PES-HDR-007"), el, value=f"{codcol}/{codbud}", codcol=codcol, codbud=codbud
        )


@rule(
    "PES-HDR-008",
    title=(
        "FINESS juridique incohérent avec la nomenclature",
        "FinJur inconsistent with the nomenclature",
    ),
    message=(
        "FinJur est {finjur} alors que la nomenclature du budget est {nomenclature} : il est "
        "obligatoire en M21 et interdit hors M21 et M22, sinon le flux est rejeté.",
        "FinJur is {finjur} while the budget's nomenclature is {nomenclature}: it is mandatory "
        "in M21 and forbidden outside M21 and M22, else the flow is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack="ERREUR_PES_PARAM",
    rejects="flux",
    source="pes-rules §1.5 [DOC-ctx] (XSD 5.30 annotation of FinJur)",
    on="header",
    context_keys=("nomenclature",),
)
def finjur_nomenclature(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """FinJur is mandatory in M21 and forbidden outside M21/M22 (context key ``nomenclature``).

    M22 requires it only for some budgets (ESMS, GTSMS), which the flow does not tell, so
    a missing FinJur is reported for M21 only.
    """
    nomen = nomenclature(facts)
    if nomen is None:
        return
    el = record.element.find("FinJur")
    value = el.get("V") if el is not None else None
    present = bool(value and value.strip())
    if (present and nomen not in HOSPITAL_NOMENCLATURES) or (not present and nomen == "M21"):
        yield record.finding(
            get("PES-HDR-008"),
            el,
            value=value,
            finjur=value if present else "absent",
            nomenclature=nomen,
        )


# -- Enveloppe ---------------------------------------------------------------------------


@rule(
    "PES-HDR-004",
    title=("Version de l'enveloppe différente de 2", "Envelope version is not 2"),
    message=(
        "Enveloppe/Parametres/Version vaut {value} : la documentation DGFiP demande 2.",
        "Enveloppe/Parametres/Version is {value}: the DGFiP documentation asks for 2.",
    ),
    severity=Severity.WARNING,
    scope=Scope.FLUX,
    ack=None,
    rejects="none",
    source="pes-rules §1.4 [DOC] (XSD annotation of Version; no rejection stated)",
    on="envelope",
)
def envelope_version(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Enveloppe/Parametres/Version is 2."""
    el = record.element.find("Parametres/Version")
    if el is None:
        return
    value = el.get("V")
    if value is not None and _number(value) != 2:
        yield record.finding(get("PES-HDR-004"), el, value=value)


def _number(value: str) -> int | None:
    """A Base_NumN value as an integer ("02", "+2" and "2.0" are lexically valid)."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


# -- domain headers ----------------------------------------------------------------------


@rule(
    "PES-HDR-002",
    title=("Version du PES dépense ou recette différente de 2", "PES version is not 2"),
    message=(
        "{header}/IdVer vaut {value} : la seule valeur admise est 2, sinon le flux est rejeté.",
        "{header}/IdVer is {value}: the only accepted value is 2, else the flow is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack="ERREUR_VERSION_PES",
    rejects="flux",
    source="pes-rules §2.2, §3.1 [DOC] (XSD annotations of EnTeteDepense and EnTeteRecette)",
    on="domain_header",
)
def domain_idver(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """EnTeteDepense/IdVer and EnTeteRecette/IdVer are 2."""
    if record.domain not in ("depense", "recette"):
        return
    _note_demat(record, facts)  # bookkeeping for PES-HDR-009 to PES-HDR-012
    el = record.element.find("IdVer")
    if el is None:
        return
    value = el.get("V")
    if value is not None and _number(value) != 2:
        yield record.finding(get("PES-HDR-002"), el, value=value, header=record.element.tag)


@rule(
    "PES-HDR-003",
    title=("Version du bloc PJ différente de 1", "PJ block version is not 1"),
    message=(
        "EnTetePES_PJ/IdVer vaut {value} : la seule valeur admise est 1, sinon les PJ sont "
        "rejetées.",
        "EnTetePES_PJ/IdVer is {value}: the only accepted value is 1, else the PJ are rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_VERSION_PJ",
    rejects="pj",
    source="pes-rules §4.2 [DOC] (XSD annotation of EnTetePES_PJ)",
    on="domain_header",
)
def pj_idver(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """EnTetePES_PJ/IdVer is 1."""
    if record.domain != "pj" or record.element.tag != "EnTetePES_PJ":
        return
    el = record.element.find("IdVer")
    if el is None:
        return
    value = el.get("V")
    if value is not None and _number(value) != 1:
        yield record.finding(get("PES-HDR-003"), el, value=value)


def _note_demat(record: Record, facts: FlowFacts) -> None:
    """Note the domain's InfoDematerialisee for the flow-level signature rules."""
    el = record.element.find("InfoDematerialisee")
    state = _demat_state(facts).setdefault(str(record.domain), _Demat())
    state.value = el.get("V") if el is not None else None
    state.location = record.locate(el if el is not None else record.element)


@rule(
    "PES-HDR-011",
    title=("Bordereau signé sans attribut Id", "Signed bordereau without an Id attribute"),
    message=(
        "Le bordereau porte sa propre signature mais pas d'attribut Id : la signature "
        "unitaire d'un bordereau référence son Id, obligatoire dans ce cas.",
        "The bordereau carries its own signature but no Id attribute: a per-bordereau "
        "signature references the bordereau's Id, which is then mandatory.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_SIGNATURE_BORDEREAU_INVALIDE",
    rejects="flux",
    source="pes-rules §2.3, §5.1 [DOC] (XSD annotation of Bordereau/@Id)",
    on="bordereau",
)
def signed_bordereau_id(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """A bordereau carrying its own ds:Signature has an Id (the signature's target).

    Also notes whether the bordereau is signed, for PES-HDR-009, PES-HDR-010 and
    PES-HDR-012 (which run once the flow is read, after any global signature).
    """
    demat = _demat_state(facts).setdefault(str(record.domain), _Demat())
    signatures = sum(1 for child in record.element if child.tag == DS_SIGNATURE)
    if not signatures:
        demat.unsigned.append(record.locate())
        return
    demat.signed += 1
    demat.signatures += signatures
    if not record.element.get("Id"):
        yield record.finding(get("PES-HDR-011"), value=record.element.get("Id"))


_DEMAT_SOURCE = (
    "pes-rules §2.2, §3.1, §5.3, §5.4 [DOC] (XSD annotations of InfoDematerialisee; "
    "ACK code ERREUR_PES_SIGNATURE)"
)
_LABELS = {"depense": "EnTeteDepense", "recette": "EnTeteRecette"}


@rule(
    "PES-HDR-009",
    title=(
        "Flux déclaré dématérialisé sans signature",
        "Flow declared dematerialised without signature",
    ),
    message=(
        "{header}/InfoDematerialisee vaut 1 mais aucune signature électronique (globale ou "
        "de bordereau) ne couvre ce domaine : le flux est rejeté.",
        "{header}/InfoDematerialisee is 1 but no electronic signature (global or per "
        "bordereau) covers this domain: the flow is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack="ERREUR_PES_SIGNATURE",
    rejects="flux",
    source=_DEMAT_SOURCE,
    on="flow",
)
def demat_without_signature(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """InfoDematerialisee = 1 needs a global signature or signed bordereaux."""
    states = _demat_state(facts)
    if _global_signatures(facts, states):
        return
    for domain, demat in states.items():
        if demat.declared and demat.signed == 0 and demat.location is not None:
            yield record.finding_at(
                get("PES-HDR-009"), demat.location, value="1", header=_LABELS[domain]
            )


@rule(
    "PES-HDR-010",
    title=("Flux signé déclaré non dématérialisé", "Signed flow declared not dematerialised"),
    message=(
        "{header}/InfoDematerialisee vaut {value} (0 si absent) alors que le flux porte "
        "{what} : 1 est attendu, sinon le flux est rejeté.",
        "{header}/InfoDematerialisee is {value} (0 when absent) while the flow carries "
        "{what}: 1 is expected, else the flow is rejected.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack="ERREUR_PES_SIGNATURE",
    rejects="flux",
    source=_DEMAT_SOURCE,
    on="flow",
)
def signature_without_demat(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """A signature covering a domain (global, or one of its bordereaux) needs
    InfoDematerialisee = 1."""
    states = _demat_state(facts)
    glob = _global_signatures(facts, states) > 0
    for domain, demat in states.items():
        if demat.declared or demat.location is None or not (glob or demat.signed):
            continue
        yield record.finding_at(
            get("PES-HDR-010"),
            demat.location,
            value=demat.value if demat.value is not None else "absent",
            header=_LABELS[domain],
            what=_signature_kind(record.lang, glob),
        )


@rule(
    "PES-HDR-012",
    title=(
        "Bordereau non signé dans un flux dématérialisé",
        "Unsigned bordereau in a dematerialised flow",
    ),
    message=(
        "InfoDematerialisee vaut 1 et d'autres bordereaux sont signés un à un, mais celui-ci "
        "n'a pas de signature et le flux n'a pas de signature globale.",
        "InfoDematerialisee is 1 and other bordereaux are signed one by one, but this one has "
        "no signature and the flow has no global signature.",
    ),
    severity=Severity.WARNING,
    scope=Scope.BORDEREAU,
    ack=None,
    rejects="none",
    source="pes-rules §5.3 [IMPL] (Axyus verifier: « certains bordereaux ne sont pas signés»; "
    "STELA), §10 item 15",
    on="flow",
)
def partly_signed(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """With per-bordereau signatures and no global one, every bordereau should be signed."""
    states = _demat_state(facts)
    if _global_signatures(facts, states):
        return
    for demat in states.values():
        if demat.declared and demat.signed:
            for location in demat.unsigned:
                yield record.finding_at(get("PES-HDR-012"), location)


def _signature_kind(lang: str, glob: bool) -> str:
    if lang == "en":
        return "a global signature" if glob else "signed bordereaux"
    return "une signature globale" if glob else "des bordereaux signés"


def _global_signatures(facts: FlowFacts, states: Mapping[str, _Demat]) -> int:
    """Signatures that are children of PES_Aller: all of them minus the bordereaux' ones."""
    return facts.signatures - sum(d.signatures for d in states.values())
