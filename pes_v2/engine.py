"""The streaming pass: read once, validate against the XSD, run the rules on each record."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from . import rules
from .bundles import SchemaBundle, resolve_bundle
from .context import gives
from .findings import Finding, FlowSummary, Report, Severity
from .flowfacts import BordereauFacts, PjFacts
from .limits import DEFAULT_LIMITS, Limits
from .prediction import Predictor
from .probes import probe
from .records import FlowFacts, Record, relative_xpath, value_of
from .rules import structure as S
from .rules.registry import Rule, checks_on
from .xmlio import Element, Reader, Source, XPath, line_in_flow, reopener, step_name
from .xsd_findings import dropped_finding, schema_finding

rules.load()
TRUST_ANCHORS = "signatures.trust_anchors"
"""``FlowFacts.memo`` key of the PEM trust anchors read by the signature rules."""

LANGS = ("fr", "en")
PROFILES = ("default", "strict")
DS = "{http://www.w3.org/2000/09/xmldsig#}Signature"
DOMAINS = {
    "PES_DepenseAller": "depense",
    "PES_RecetteAller": "recette",
    "PES_Facture": "facture",
    "PES_Marche": "marche",
    "PES_PJ": "pj",
}
RECORD_KINDS = (
    "envelope",
    "header",
    "domain_header",
    "bordereau",
    "pj",
    "content",
    "signature",
)
"""Records rules can run on (besides ``flow``); ``signature`` is a ds:Signature child of
the root (a global signature), whole."""
HEADER_FIELDS = ("IdPost", "LibellePoste", "IdColl", "FinJur", "CodCol", "CodBud", "LibelleColBud")
UNCHECKED_BY_EMBEDDED = ("PES_Facture", "PES_Marche")
ID_NAMESPACES = (None, "http://www.w3.org/2000/09/xmldsig#", "http://uri.etsi.org/01903/v1.1.1#")
"""Where an ``Id`` attribute is an xs:ID in the PES schemas (PES elements, XML-DSig, XAdES)."""
_WITH_ID = XPath(
    "self::*[@Id] | ds:Signature/descendant-or-self::*[@Id]",
    namespaces={"ds": "http://www.w3.org/2000/09/xmldsig#"},
)
"""Where a record (Bordereau…) may carry xs:ID attributes per the schemas: on itself and in
its ds:Signature.  An ``Id`` anywhere else is already an XSD error (attribute not allowed)."""


def _with_id(record: Element) -> list[Element]:
    """:data:`_WITH_ID` of ``record``; without a ds:Signature child, read without XPath (lxml
    lets other threads run during an XPath call, which the reader then waits to get back)."""
    if record.find(DS) is None:
        return [record] if record.get("Id") is not None else []
    found: list[Element] = _WITH_ID(record)
    return found


@dataclass
class Options:
    """How one validation runs (resolved from the public API's keyword arguments)."""

    lang: str = "fr"
    profile: str = "default"
    limits: Limits = DEFAULT_LIMITS
    bundle: SchemaBundle | None = None
    context: Mapping[str, Any] | None = None
    rules: bool = True
    """False runs reading and XSD validation only (used to measure what the rules cost)."""
    trust: tuple[bytes, ...] = ()
    """PEM trust anchors for signature certificate chains; empty: chains INDETERMINATE."""


@dataclass
class _FlowHandler:
    """Receives the top three levels of the flow and runs the record rules."""

    options: Options
    pending: list[Finding] = field(default_factory=list)
    facts: FlowFacts = field(default_factory=FlowFacts)
    steps: list[str] = field(default_factory=list)
    counters: list[dict[str, int]] = field(default_factory=lambda: [{}])
    root_namespace: str | None = None
    domain: str | None = None
    check_ids: bool = False
    """True when a schema validates the flow: duplicate xs:ID values are then reported here,
    since libxml2's streaming validator does not detect them."""
    ids: set[str] = field(default_factory=set)
    line_offset: int = 0
    """Added to the ``sourceline`` of the record being handled (see ``Reader``)."""

    def __post_init__(self) -> None:
        profile, context = self.options.profile, self.options.context
        self.facts.context = context
        self.skipped: list[Rule] = []

        given: dict[str, bool] = {}

        def runnable(kind: str) -> tuple[Rule, ...]:
            checks = checks_on(kind, profile) if self.options.rules else ()
            ready: list[Rule] = []
            for rule in checks:
                for key in rule.context_keys:
                    if key not in given:
                        given[key] = gives(context, key)
                    if not given[key]:
                        self.skipped.append(rule)
                        break
                else:
                    ready.append(rule)
            return tuple(ready)

        self.on_record = {kind: _checks_of(runnable(kind)) for kind in RECORD_KINDS}
        self.on_flow = _checks_of(runnable("flow"))

    def start(self, element: Element, depth: int) -> None:
        if depth == 1:
            qname = etree.QName(element)
            self.root_namespace = qname.namespace
            self.facts.root = qname.localname
            self.facts.root_line = element.sourceline
            self.steps.append(step_name(element, self.root_namespace))
            self.facts.root_xpath = "/" + self.steps[0]
            self.counters.append({})
            if self.check_ids:
                self._check_ids((element,), element)
            if self.facts.root == "PES_Aller":
                for rule in self.skipped:
                    self.pending.append(_not_checked(rule, self.options))
            return
        name = step_name(element, self.root_namespace)
        counter = self.counters[-1]
        counter[name] = position = counter.get(name, 0) + 1
        self.steps.append(f"{name}[{position}]")
        self.counters.append({})
        if depth == 2:
            local = etree.QName(element).localname
            domain = DOMAINS.get(local)
            self.domain = domain
            if domain and domain not in self.facts.domains:
                self.facts.domains.append(domain)
            bundle = self.options.bundle
            if local in UNCHECKED_BY_EMBEDDED and bundle is not None and bundle.kind == "embedded":
                self.pending.append(
                    S.NOT_CHECKED_BY_EMBEDDED.finding(
                        self.options.lang,
                        line=line_in_flow(element, 0),
                        xpath=self.xpath,
                        element=local,
                    )
                )

    @property
    def xpath(self) -> str:
        return "/" + "/".join(self.steps)

    def end(self, element: Element, depth: int, line_offset: int = 0) -> bool:
        self.line_offset = line_offset
        if self.check_ids and depth > 1:
            self._check_ids(_with_id(element) if depth == 3 else (element,), element)
        if depth == 1:
            self._end_flow(element)
        else:
            kind = self._record_kind(element, depth)
            if kind is not None:
                self._run(kind, element)
        self.steps.pop()
        self.counters.pop()
        if depth == 2:
            self.domain = None
        return True

    def _line(self, element: Element) -> int | None:
        """The line ``element``, of the record being handled, starts on in the flow."""
        return line_in_flow(element, self.line_offset)

    def _check_ids(self, elements: Iterable[Element], record: Element) -> None:
        for element in elements:
            identifier = element.get("Id")
            namespace, local = _split_tag(element.tag)  # not QName: the name may be broken
            if identifier is None or (
                namespace not in ID_NAMESPACES and namespace != self.root_namespace
            ):
                continue
            if identifier in self.ids:
                label = f"{local}/@Id"
                self.pending.append(
                    S.XSD_DUPLICATE_ID.finding(
                        self.options.lang,
                        line=self._line(element),
                        value=identifier,
                        xpath=relative_xpath(record, self.xpath, element),
                        element=label,
                    )
                )
            else:
                self.ids.add(identifier)

    def _record_kind(self, element: Element, depth: int) -> str | None:
        tag = element.tag
        facts = self.facts
        if depth == 2:
            if tag == "Enveloppe":
                nom_fic = element.find("Parametres/NomFic")
                if nom_fic is not None:
                    facts.nom_fic, facts.nom_fic_line = nom_fic.get("V"), self._line(nom_fic)
                return "envelope"
            if tag == "EnTetePES":
                facts.dte_str = value_of(element, "DteStr")
                for name in HEADER_FIELDS:
                    found = element.find(name)
                    if found is not None and found.get("V") is not None:
                        facts.header[name] = found.get("V", "")
                return "header"
            if tag == DS:
                facts.signatures += 1
                return "signature"
            if self.domain in ("facture", "marche"):
                facts.content += sum(
                    1 for child in element if not str(child.tag).startswith("EnTete")
                )
                return "content"
            return None
        if self.domain in ("depense", "recette"):
            if tag == "Bordereau":
                pieces = signed = 0
                for child in element:
                    if child.tag == "Piece":
                        pieces += 1
                    elif child.tag == DS:
                        signed += 1
                facts.bordereaux += 1
                facts.content += 1
                facts.pieces += pieces
                facts.signatures += signed
                bloc = element.find("BlocBordereau")
                totals = (
                    ()
                    if bloc is None
                    else tuple(
                        (str(child.tag), child.get("V", ""))
                        for child in bloc
                        if str(child.tag).startswith("Mt")
                    )
                )
                facts.bordereau_list.append(
                    BordereauFacts(
                        domain=self.domain or "",
                        xpath=self.xpath,
                        line=self._line(element),
                        exer=value_of(bloc, "Exer"),
                        typ_bord=value_of(bloc, "TypBord"),
                        id_bord=value_of(bloc, "IdBord"),
                        pieces=pieces,
                        lines=int(_count_lines(element)),
                        totals=totals,
                        signed=bool(signed),
                    )
                )
                return "bordereau"
            return "domain_header" if isinstance(tag, str) and tag.startswith("EnTete") else None
        if self.domain == "pj":
            if tag == "PJ":
                facts.pjs += 1
                facts.content += 1
                fichier = element.find("Contenu/Fichier")
                text = "" if fichier is None else (fichier.text or "")
                facts.pj_list.append(
                    PjFacts(
                        xpath=self.xpath,
                        line=self._line(element),
                        id_unique=value_of(element, "IdUnique"),
                        name=value_of(element, "NomPJ"),
                        mime_type=None if fichier is None else fichier.get("MIMEType"),
                        encoded_size=len(text) - sum(text.count(c) for c in " \t\r\n"),
                    )
                )
                return "pj"
            return "domain_header"
        return None

    def _run(self, kind: str, element: Element) -> None:
        checks = self.on_record.get(kind)
        if not checks or self.facts.root != "PES_Aller":  # rules are about PES_Aller flows
            return
        record = Record(
            kind, element, self.xpath, self.domain, self.options.lang, line_offset=self.line_offset
        )
        if kind == "bordereau":
            record.bordereau = value_of(element, "BlocBordereau/IdBord")
        extend, facts = self.pending.extend, self.facts
        for check in checks:
            extend(check(record, facts))

    def _end_flow(self, element: Element) -> None:
        if self.facts.root != "PES_Aller":
            return
        record = Record("flow", element, self.facts.root_xpath, None, self.options.lang)
        for check in self.on_flow:
            self.pending.extend(check(record, self.facts))


_WITHOUT_CONTEXT: dict[tuple[str, str], tuple[Rule, Finding]] = {}
"""``_not_checked`` findings of validations without a context, by rule id and language."""


def _checks_of(rules: tuple[Rule, ...]) -> tuple[Callable[..., Iterable[Finding]], ...]:
    """The check functions of ``rules`` (each one declared with the function it runs)."""
    checks = []
    for rule in rules:
        assert rule.check is not None  # checks_on lists rules that have a check
        checks.append(rule.check)
    return tuple(checks)


def _not_checked(rule: Rule, options: Options) -> Finding:
    """The one info finding saying a rule did not run for want of a context file, or of the
    context key it needs."""
    if options.context is None:
        known = _WITHOUT_CONTEXT.get((rule.id, options.lang))
        if known is not None and known[0] is rule:
            return known[1]
        finding = _not_checked_anew(rule, options)
        _WITHOUT_CONTEXT[rule.id, options.lang] = (rule, finding)
        return finding
    return _not_checked_anew(rule, options)


def _not_checked_anew(rule: Rule, options: Options) -> Finding:
    english = options.lang == "en"
    if options.context is None:
        message = (
            f"Not checked: “{rule.title_en}” needs a context file (--context)."
            if english
            else f"Non vérifié : « {rule.title_fr} » nécessite un fichier de contexte (--context)."
        )
    else:
        missing = [k for k in rule.context_keys if not gives(options.context, k)]
        message = (
            f"Not checked: “{rule.title_en}” needs "
            + ", ".join(f"'{k}'" for k in missing)
            + " in the context file."
            if english
            else f"Non vérifié : « {rule.title_fr} » nécessite "
            + ", ".join(f"« {k} »" for k in missing)
            + " dans le fichier de contexte."
        )
    return Finding(rule=rule.id, severity=Severity.INFO, message=message, scope=rule.scope)


def _split_tag(tag: str) -> tuple[str | None, str]:
    """Namespace and local name of a Clark tag, whatever the name (libxml2 may hand over
    an invalid one such as ``ds:Signature`` when a prefix is undeclared)."""
    if tag.startswith("{"):
        namespace, _sep, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


_count_lines = probe("count(Piece/LigneDePiece)")


class Validation:
    """One validation of one source; iterate it for findings, then read its report."""

    def __init__(self, source: Source, options: Options) -> None:
        self.source = source
        self.options = options
        self.bundle = options.bundle or resolve_bundle(None)
        self.handler = _FlowHandler(options)
        facts = self.handler.facts
        facts.limits = options.limits
        facts.reopen = reopener(source)
        if isinstance(source, (bytes, bytearray, memoryview)):
            facts.size = len(source)
        elif isinstance(source, (str, os.PathLike)) and os.path.isfile(source):
            facts.size = os.path.getsize(source)
        if options.trust:
            facts.memo[TRUST_ANCHORS] = options.trust
        self.reader = Reader(
            source,
            schema_for=self._schema_for,
            native_for=self._native_for,
            tree_schema_for=self.bundle.tree_schema_for,
            limits=options.limits,
            lang=options.lang,
        )
        self.findings: list[Finding] = []
        self.predictor = Predictor()
        self._per_rule: dict[str, int] = {}
        self.unlisted: dict[str, int] = {}
        """Findings not listed, by rule (see :meth:`_listed`)."""

    def _schema_for(self, root: str) -> Any:
        return self._validating(self.bundle.schema_for(root))

    def _native_for(self, root: str) -> Any:
        return self._validating(self.bundle.native_schema_for(root))

    def _validating(self, schema: Any) -> Any:
        """Note that a schema validates the flow (either kind), and hand it on."""
        self.handler.check_ids = self.handler.check_ids or schema is not None
        return schema

    def __iter__(self) -> Iterator[Finding]:
        lang = self.options.lang
        result = self.reader.result
        yield from self._listed(self.reader.read(self.handler))
        schema = (schema_finding(error, lang) for error in result.schema_errors or ())
        yield from self._listed(schema)
        closing = []
        if result.schema_errors_dropped:
            closing.append(dropped_finding(result.schema_errors_dropped, lang))
        if result.size > self.options.limits.helios_max_bytes:
            closing.append(S.TOO_LARGE.finding(lang, size=result.size))
        yield from self._listed(closing)
        limit = self.options.limits.max_findings_per_rule
        for rule_id, count in sorted(self.unlisted.items()):
            finding = S.FINDINGS_NOT_LISTED.finding(lang, rule=rule_id, count=count, limit=limit)
            self.findings.append(finding)
            yield finding

    def _listed(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        """The findings to list: every one counts in the prediction, but beyond
        ``max_findings_per_rule`` of one rule (XSD errors have their own bound) they are only
        counted, in :attr:`unlisted`."""
        limit = self.options.limits.max_findings_per_rule
        listed, unlisted = self._per_rule, self.unlisted
        for finding in findings:
            self.predictor.add(finding)
            rule_id = finding.rule
            if not rule_id.startswith("PES-XSD-"):
                seen = listed[rule_id] = listed.get(rule_id, 0) + 1
                if seen > limit:
                    unlisted[rule_id] = unlisted.get(rule_id, 0) + 1
                    continue
            self.findings.append(finding)
            yield finding

    def report(self) -> Report:
        """The report, once iteration is over; findings sorted in document order."""
        facts = self.handler.facts
        result = self.reader.result
        ordered = sorted(
            enumerate(self.findings),
            key=lambda item: (item[1].line if item[1].line is not None else 0, item[0]),
        )
        flow = FlowSummary(
            root=facts.root,
            namespace=result.root_namespace,
            encoding=result.encoding,
            size=result.size,
            header=dict(facts.header),
            nom_fic=facts.nom_fic,
            domains=tuple(facts.domains),
            bordereaux=facts.bordereaux,
            pieces=facts.pieces,
            pjs=facts.pjs,
            signatures=facts.signatures,
            dte_str=facts.dte_str,
            nom_fic_line=facts.nom_fic_line,
            bordereau_list=tuple(facts.bordereau_list),
            pj_list=tuple(facts.pj_list),
            complete=result.complete,
        )
        signatures = tuple(facts.memo.get("signatures", ()))
        path = (
            self.source
            if isinstance(self.source, str)
            else (os.fspath(self.source) if isinstance(self.source, os.PathLike) else None)
        )
        return Report(
            findings=tuple(finding for _index, finding in ordered),
            flow=flow,
            schemas=self.bundle.info,
            path=path,
            lang=self.options.lang,
            signatures=signatures,
            predicted=self.predictor.result(),
        )
