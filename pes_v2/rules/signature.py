"""Signature checks: placement, XMLDSig core, XAdES properties, DGFiP policy, certificates.

Every ``ds:Signature`` is verified once, by :func:`pes_v2.signatures.verify.verify_signature`;
each kind of problem is one rule. A per-bordereau signature reports ``PES-SIG-0NN`` (ACK
codes ``ERREUR_SIGNATURE_BORDEREAU_*``), a global signature of PES_Aller the same check as
``PES-SIG-1NN`` (ACK codes ``ERREUR_SIGNATURE_*``). The status of each signature, in
ETSI EN 319 102-1 words, is kept in ``facts.state("signatures", list)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from ..findings import Finding, Scope, Severity
from ..records import FlowFacts, Location, Record
from ..signatures.status import Indication, SignatureStatus, SubIndication
from ..xmlio import XPath, parse_document
from .registry import Rule, declare

DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
TRUST_ANCHORS = "signatures.trust_anchors"
"""``facts.memo`` key under which the caller may put PEM trust anchors (a sequence of
bytes); without them, certificate chains are INDETERMINATE."""
_IDS = XPath("descendant-or-self::*/@Id")

_BORD = "ERREUR_SIGNATURE_BORDEREAU_"
_GLOB = "ERREUR_SIGNATURE_"


@dataclass(frozen=True)
class _Check:
    code: int
    title: tuple[str, str]
    suffix: str | None
    """ACK suffix (``INVALIDE``…) or a full ACK code starting with ``ERREUR_``."""
    source: str


_CHECKS = (
    _Check(
        1,
        ("Signature mal placée", "Misplaced signature"),
        "ERREUR_PES_SIGNATURE",
        "pes-rules §5.1 [XSD], §5.2 and §5.3 [DOC] (one signature per element)",
    ),
    _Check(
        2,
        ("Signature illisible", "Unreadable signature"),
        "ILLISIBLE",
        "pes-rules §5.4 [IMPL], §5.5",
    ),
    _Check(
        3,
        ("Référence de signature incorrecte", "Wrong signature reference"),
        "INVALIDE",
        "pes-rules §5.1 [DOC+IMPL], §5.4 [IMPL] (reference = the element's Id)",
    ),
    _Check(
        4,
        ("Contenu modifié après signature", "Content changed after signing"),
        "INVALIDE",
        "pes-rules §5.2 [DOC] (data integrity), §5.4 [IMPL]",
    ),
    _Check(
        5,
        ("Valeur de signature invalide", "Invalid signature value"),
        "INVALIDE",
        "pes-rules §5.2 [DOC], §5.4 [IMPL]",
    ),
    _Check(
        6,
        ("Algorithme SHA-1 refusé", "SHA-1 algorithm refused"),
        "INVALIDE",
        "pes-rules §5.2 [DOC] (rsa-sha256/sha256; SHA-1 refused since 2018-09-01)",
    ),
    _Check(
        7,
        ("Propriétés signées XAdES incomplètes", "Incomplete XAdES signed properties"),
        "INCOMPLETE",
        "pes-rules §5.2 [DOC], §5.4 [IMPL]",
    ),
    _Check(
        8,
        ("Heure de signature non UTC", "Signing time not in UTC"),
        "INVALIDE",
        "pes-rules §5.2 [DOC] (SigningTime in UTC), §5.4 [IMPL]",
    ),
    _Check(
        9,
        ("Certificat signataire incohérent", "Signing certificate mismatch"),
        "INVALIDE",
        "pes-rules §5.4 [IMPL] (SigningCertificate digest, issuer and serial)",
    ),
    _Check(
        10,
        ("Politique de signature non reconnue", "Signature policy not recognised"),
        "INVALIDE",
        "pes-rules §5.2 [DOC] (OID 1.2.250.1.131.1.5.18.21.1.7)",
    ),
    _Check(
        11,
        ("Empreinte de la politique incorrecte", "Wrong signature policy digest"),
        "INVALIDE",
        "pes-rules §5.2 [DOC] (SigPolicyHash)",
    ),
    _Check(
        12,
        ("Certificat hors validité", "Certificate not valid"),
        "ERREUR_CERTIFICAT",
        "pes-rules §5.2 [DOC] (validity at signing time)",
    ),
    _Check(
        13,
        ("Certificat sans usage de signature", "Certificate may not sign"),
        "ERREUR_CERTIFICAT",
        "pes-rules §5.2 [DOC], §5.4 [IMPL] (key usage)",
    ),
    _Check(
        14,
        ("Signature hors limites", "Signature beyond safety limits"),
        "ILLISIBLE",
        "pes-v2 safety limits (DESIGN §7); pes-rules §5.5",
    ),
    _Check(
        15,
        ("Élément signé non unique (wrapping)", "Signed element not unique (wrapping)"),
        "INVALIDE",
        "pes-rules §5.4 [IMPL] (the Id resolves to exactly one element)",
    ),
    _Check(
        16,
        ("Chaîne de certification non reconnue", "Certificate chain not trusted"),
        "ERREUR_CERTIFICAT",
        "pes-rules §5.2 [DOC] (chain to a recognised CA)",
    ),
)


def _ack(check: _Check, glob: bool) -> str | None:
    if check.suffix is None or check.suffix.startswith("ERREUR_"):
        return check.suffix
    return (_GLOB if glob else _BORD) + check.suffix


def _rule_id(code: int, glob: bool) -> str:
    return f"PES-SIG-{code + (100 if glob else 0):03d}"


@dataclass
class _State:
    ids: Counter[str] = field(default_factory=Counter)
    counted: set[tuple[str, int | None]] = field(default_factory=set)
    refs: list[tuple[str, Location, bool]] = field(default_factory=list)
    globals_seen: int = 0


def _state(facts: FlowFacts) -> _State:
    return facts.state("signature.ids", _State)


def statuses(facts: FlowFacts) -> list[SignatureStatus]:
    """The status of every signature verified so far, in document order."""
    return facts.state("signatures", list)


def _findings(record: Record, facts: FlowFacts) -> dict[str, list[Finding]]:
    """Verify the record's signatures once; findings by rule id."""
    return record.memoized("signatures", lambda: _verify_record(record, facts))


def _verify_record(record: Record, facts: FlowFacts) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    if record.kind == "bordereau":
        _bordereau(record, facts, out)
    elif record.kind == "signature":
        _global(record, facts, out)
    return out


def _count_ancestors(state: _State, element: Any) -> None:
    for ancestor in element.iterancestors():
        key = (str(ancestor.tag), ancestor.sourceline)
        if key not in state.counted:
            state.counted.add(key)
            ident = ancestor.get("Id")
            if ident is not None:
                state.ids[ident] += 1


def _bordereau(record: Record, facts: FlowFacts, out: dict[str, list[Finding]]) -> None:
    element = record.element
    state = _state(facts)
    _count_ancestors(state, element)
    if next(element.iterchildren(DS_SIGNATURE), None) is None:
        # An unsigned bordereau, known from its children alone: its content is not walked.
        # The XSD allows a ds:Signature only as a Bordereau's last child and an Id only on
        # the Bordereau and inside its signature, so its own Id is all PES-SIG-015 needs;
        # a signature or an Id deeper down is an XSD error (PES-XSD-003, PES-XSD-005).
        ident = element.get("Id")
        if ident is not None:
            state.ids[ident] += 1
        return
    state.ids.update(str(i) for i in _IDS(element))
    sigs = list(element.iter(DS_SIGNATURE))
    direct = 0
    for sig in sigs:
        parent = sig.getparent()
        if parent is not element:
            _add(
                out,
                record,
                1,
                False,
                sig,
                etree.QName(parent).localname,
                f"signature placée dans {etree.QName(parent).localname} : seule une signature "
                "dernier enfant du Bordereau est lue",
                f"signature placed inside {etree.QName(parent).localname}: only a signature "
                "that is the Bordereau's last child is read",
            )
            continue
        direct += 1
        if direct > 1:
            _add(
                out,
                record,
                1,
                False,
                sig,
                None,
                "seconde signature sur le même bordereau : ni co-signature ni contre-signature",
                "second signature on the same bordereau: no co-signature, no counter-signature",
            )
            continue
        if sig is not element[-1]:
            _add(
                out,
                record,
                1,
                False,
                sig,
                None,
                "la signature doit être le dernier enfant du Bordereau",
                "the signature must be the Bordereau's last child",
            )
        _verify(record, facts, out, sig, element, glob=False)


def _global(record: Record, facts: FlowFacts, out: dict[str, list[Finding]]) -> None:
    sig = record.element
    state = _state(facts)
    state.ids.update(str(i) for i in _IDS(sig))
    _count_ancestors(state, sig)
    state.globals_seen += 1
    if state.globals_seen > 1:
        _add(
            out,
            record,
            1,
            True,
            sig,
            None,
            "seconde signature globale : une seule signature par élément",
            "second global signature: one signature per element",
        )
        return
    whole = _whole_document(facts)
    dom_sig = None if whole is None else _first_signature(whole)
    if dom_sig is not None and dom_sig.sourceline == sig.sourceline:
        # The whole flow could be read again: verify its digest for real, reporting each
        # problem at the matching element of the streamed signature.
        def counterpart(element: Any) -> Any:
            return _counterpart(element, dom_sig, sig, whole, sig.getparent())

        _verify(record, facts, out, dom_sig, whole, glob=True, content=True, place=counterpart)
        return
    _verify(record, facts, out, sig, sig.getparent(), glob=True)


def _whole_document(facts: FlowFacts) -> Any:
    """The flow as a tree, when it can be read again and is small enough; else None."""
    limit = facts.limits.max_signed_document_bytes
    if facts.reopen is None or facts.size is None or facts.size > limit:
        return None
    try:
        with facts.reopen() as stream:
            data = stream.read(min(limit, facts.size) + 1)  # never a buffer of the limit
        return parse_document(data, facts.limits.max_prolog) if len(data) <= limit else None
    except (OSError, ValueError, etree.XMLSyntaxError):
        return None


def _first_signature(root: Any) -> Any:
    """The first ds:Signature child of the re-read root: the counterpart of the first
    global signature streamed, the only one verified (a second one is PES-SIG-101)."""
    for child in root:
        if child.tag == DS_SIGNATURE:
            return child
    return None


def _counterpart(element: Any, dom_sig: Any, sig: Any, dom_root: Any, root: Any) -> Any:
    """The element of the streamed signature at the place of ``element`` in the re-read one."""
    if element is dom_root:
        return root
    steps: list[int] = []
    current = element
    while current is not None and current is not dom_sig:
        parent = current.getparent()
        if parent is None:
            return sig
        steps.append(parent.index(current))
        current = parent
    if current is None:
        return sig
    target = sig
    for position in reversed(steps):
        if position >= len(target):
            return sig
        target = target[position]
    return target


def _add(
    out: dict[str, list[Finding]],
    record: Record,
    code: int,
    glob: bool,
    element: Any,
    value: str | None,
    fr: str,
    en: str,
) -> None:
    rule_id = _rule_id(code, glob)
    why = en if record.lang == "en" else fr
    finding = record.finding(_RULES[rule_id], element, value=value, why=why)
    out.setdefault(rule_id, []).append(finding)


def _verify(
    record: Record,
    facts: FlowFacts,
    out: dict[str, list[Finding]],
    sig: Any,
    signed: Any,
    *,
    glob: bool,
    content: bool | None = None,
    place: Callable[[Any], Any] | None = None,
) -> None:
    """Verify ``sig``; ``place`` maps its elements to the streamed ones (re-read flows)."""
    # Imported here: flows without signatures never load cryptography.
    from ..signatures import verify as V
    from ..signatures.certs import verify_chain

    target = "flux" if glob else "bordereau"
    here = place or (lambda element: element)
    try:
        v = V.verify_signature(
            sig, signed, target=target, content=not glob if content is None else content
        )
    except (etree.C14NError, ValueError) as exc:  # a damaged signature lxml cannot render
        reason = str(exc)[:200]
        _add(out, record, V.UNREADABLE, glob, here(sig), None, reason, reason)
        return
    streamed = here(sig)
    for problem in v.problems:
        _add(
            out,
            record,
            problem.check,
            glob,
            here(problem.element),
            problem.value,
            problem.why_fr,
            problem.why_en,
        )
    if v.referenced_id is not None:
        _state(facts).refs.append((v.referenced_id, record.locate(streamed), glob))
    chain_sub: SubIndication | None = SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    anchors = facts.memo.get(TRUST_ANCHORS)
    if anchors and v.certificate is not None:
        at = v.signing_moment or datetime.now(timezone.utc)
        pool = [c for c in _key_info_certs(sig) if c != v.certificate]
        # The signer's own validity at SigningTime is PES-SIG-012's; the chain is judged on
        # its issuers then (the leaf is checked here only when SigningTime is unknown).
        chain = verify_chain(
            v.certificate,
            anchors,
            at=at,
            intermediates=pool,
            leaf_validity=v.signing_moment is None,
        )
        chain_sub = chain.sub_indication
        if chain.indication is not Indication.PASSED:
            _add(
                out,
                record,
                16,
                glob,
                here(_or(sig.find(f"{V._DS}KeyInfo"), sig)),
                v.certificate.issuer.rfc4514_string(),
                f"le certificat ne remonte à aucune autorité de confiance ({chain.reason})",
                f"the certificate chains to no trust anchor ({chain.reason})",
            )
    indication, sub = v.indication(chain_sub)
    name, subject, issuer, serial = V.signer_name(v.certificate)
    rules = sorted({_rule_id(p.check, glob) for p in v.problems})
    statuses(facts).append(
        SignatureStatus(
            xpath=record.xpath_of(streamed),
            line=record.line_of(streamed),
            target="flux" if glob else "bordereau",
            bordereau=record.bordereau,
            indication=indication,
            sub_indication=sub,
            signer=name,
            subject=subject,
            issuer=issuer,
            serial=serial,
            signing_time=v.signing_time,
            algorithms=tuple(dict.fromkeys(v.algorithms)),
            rules=tuple(rules),
            intact=v.intact,
        )
    )


def _or(element: Any, default: Any) -> Any:
    return default if element is None else element


def _key_info_certs(sig: Any) -> list[Any]:
    from ..signatures import verify as V
    from ..signatures.certs import load_certificate

    found = []
    for el in sig.iterfind(f"{V._DS}KeyInfo/{V._DS}X509Data/{V._DS}X509Certificate"):
        der = V._b64(el)
        if der:
            try:
                found.append(load_certificate(der))
            except ValueError:
                continue
    return found


def _make_check(rule_id: str) -> Callable[[Record, FlowFacts], Iterable[Finding]]:
    def check(record: Record, facts: FlowFacts) -> Iterable[Finding]:
        # Not a generator: fifteen of these run on every bordereau, signed or not.
        found = record.memo.get("signatures")
        if found is None:
            found = _findings(record, facts)
        return found.get(rule_id, ())

    check.__doc__ = f"Findings of {rule_id} from the record's signature verification."
    return check


def _wrapping(glob: bool) -> Callable[[Record, FlowFacts], Iterator[Finding]]:
    def check(record: Record, facts: FlowFacts) -> Iterator[Finding]:
        """The Id a signature references occurs once in the whole flow."""
        state = _state(facts)
        for ident, location, is_global in state.refs:
            if is_global == glob and state.ids[ident] > 1:
                yield record.finding_at(
                    _RULES[_rule_id(15, glob)],
                    location,
                    value=ident,
                    why=(
                        f"Id '{ident}' occurs {state.ids[ident]} times in the flow: the "
                        "signed element is ambiguous (signature wrapping)"
                        if record.lang == "en"
                        else f"l'Id « {ident} » apparaît {state.ids[ident]} fois dans le "
                        "flux : l'élément signé est ambigu (signature wrapping)"
                    ),
                )

    return check


def _chains_not_checked(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """Without trust anchors, say once that certificate chains were not checked."""
    found = statuses(facts)
    if found and not facts.memo.get(TRUST_ANCHORS):
        yield record.finding(_RULES["PES-SIG-030"], value=str(len(found)), count=len(found))


_RULES: dict[str, Rule] = {}
for _check in _CHECKS:
    for _glob in (False, True):
        _id = _rule_id(_check.code, _glob)
        _label = (
            ("Signature globale : ", "Global signature: ")
            if _glob
            else ("Signature du bordereau : ", "Bordereau signature: ")
        )
        _on = "flow" if _check.code == 15 else ("signature" if _glob else "bordereau")
        _RULES[_id] = declare(
            _id,
            title=(
                _check.title[0] + (" (signature globale)" if _glob else ""),
                _check.title[1] + (" (global signature)" if _glob else ""),
            ),
            message=(_label[0] + "{why}.", _label[1] + "{why}."),
            severity=Severity.ERROR,
            scope=Scope.FLUX if _glob else Scope.BORDEREAU,
            ack=_ack(_check, _glob),
            rejects="flux",
            source=_check.source,
            on=_on,
            check=_wrapping(_glob) if _check.code == 15 else _make_check(_id),
        )

_RULES["PES-SIG-120"] = declare(
    "PES-SIG-120",
    title=("Empreinte de la signature globale non vérifiée", "Global signature digest not checked"),
    message=(
        "Signature globale : {why} ; statut INDETERMINATE (SIGNED_DATA_NOT_FOUND). Le reste "
        "de la signature (valeur, propriétés signées, certificat) est vérifié.",
        "Global signature: {why}; status INDETERMINATE (SIGNED_DATA_NOT_FOUND). The rest "
        "of the signature (value, signed properties, certificate) is checked.",
    ),
    severity=Severity.WARNING,
    scope=Scope.FLUX,
    ack=None,
    rejects="none",
    source="pes-v2 streaming pass (DESIGN §7); pes-rules §5.1",
    on="signature",
    check=_make_check("PES-SIG-120"),
)
_RULES["PES-SIG-030"] = declare(
    "PES-SIG-030",
    title=("Chaînes de certification non vérifiées", "Certificate chains not checked"),
    message=(
        "{count} signature(s) vérifiée(s) sans autorité de confiance fournie : leur chaîne de "
        "certification n'est pas vérifiée (statut au mieux INDETERMINATE).",
        "{count} signature(s) verified without trust anchors: their certificate chain is not "
        "checked (status at best INDETERMINATE).",
    ),
    severity=Severity.INFO,
    scope=Scope.FLUX,
    ack=None,
    rejects="none",
    source="pes-rules §5.2 [DOC] (chain to a recognised CA); DESIGN §7",
    on="flow",
    check=_chains_not_checked,
)
