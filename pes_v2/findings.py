"""Result records: what a validation found, where, and how Hélios would react."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .flowfacts import BordereauFacts, PjFacts

if TYPE_CHECKING:
    from .prediction import Prediction


class Severity(str, enum.Enum):
    """How much a finding matters: only ``error`` makes a flow invalid."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Scope(str, enum.Enum):
    """What a finding is about, and so what Hélios would reject."""

    FLUX = "flux"
    BORDEREAU = "bordereau"
    PIECE = "piece"
    LIGNE = "ligne"
    PJ = "pj"
    SIGNATURE = "signature"


@dataclass(frozen=True)
class Finding:
    """One thing found in a flow, located by line and absolute XPath."""

    rule: str
    """Stable rule id, e.g. ``PES-TOT-001``; never changes meaning once released."""
    severity: Severity
    message: str
    """Human message in the language asked for (French by default)."""
    scope: Scope = Scope.FLUX
    line: int | None = None
    column: int | None = None
    xpath: str | None = None
    """Absolute XPath with positions; ``n:`` is the root namespace prefix."""
    ack: str | None = None
    """The Hélios ``NumAnoAck`` code this finding would produce, if any."""
    value: str | None = None
    """The offending value, truncated to 200 characters."""
    bordereau: str | None = None
    piece: str | None = None
    ligne: str | None = None
    """IdLigne of the LigneDePiece the finding is about, for line-level findings."""
    detail: str | None = None
    """Underlying technical message (e.g. libxml2's own wording), when there is one,
    truncated to :data:`DETAIL_LIMIT` characters."""

    def as_dict(self) -> dict[str, Any]:
        """The finding as the JSON report shows it."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "scope": self.scope.value,
            "ack": self.ack,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "xpath": self.xpath,
            "value": self.value,
            "bordereau": self.bordereau,
            "piece": self.piece,
            "ligne": self.ligne,
            "detail": self.detail,
        }


MESSAGE_PART_LIMIT = 200
"""Characters of any one text a message quotes (an element's name, libxml2's reason…): a
hostile flow's 60,000-character name or value must not make a 60 KB message."""
DETAIL_LIMIT = 2000
"""Characters of a finding's ``detail`` (libxml2's messages in the fixtures and the corpus
reach 1,072)."""
SHOWN_LIMIT = 300
"""Characters of an XPath or a header value a human report shows (the JSON report gives
them whole: an XPath locates, a header value may be compared between files)."""


def truncate(value: str | None, limit: int = 200) -> str | None:
    """Shorten a value for display, marking the cut."""
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


@dataclass(frozen=True)
class FlowSummary:
    """The flow at a glance: who sends it and what it holds."""

    root: str | None = None
    namespace: str | None = None
    encoding: str | None = None
    size: int | None = None
    header: Mapping[str, str] = field(default_factory=dict, hash=False)
    """EnTetePES values: IdPost, IdColl, CodCol, CodBud, LibelleColBud…"""
    nom_fic: str | None = None
    domains: tuple[str, ...] = ()
    """``depense``, ``recette``, ``facture``, ``marche``, ``pj``… in document order."""
    bordereaux: int = 0
    pieces: int = 0
    pjs: int = 0
    signatures: int = 0
    dte_str: str | None = None
    nom_fic_line: int | None = None
    bordereau_list: tuple[BordereauFacts, ...] = ()
    """Every bordereau in document order (not in the JSON report's ``flow``; see ``info``)."""
    pj_list: tuple[PjFacts, ...] = ()
    """Every PES_PJ/PJ in document order."""
    complete: bool = True
    """False when reading stopped early (not well-formed, encoding, depth)."""

    @property
    def pj_ids(self) -> tuple[str, ...]:
        return tuple(pj.id_unique for pj in self.pj_list if pj.id_unique is not None)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"root": self.root}
        data.update(self.header)
        data.update(
            {
                "NomFic": self.nom_fic,
                "encoding": self.encoding,
                "size": self.size,
                "domains": list(self.domains),
                "bordereaux": self.bordereaux,
                "pieces": self.pieces,
                "pjs": self.pjs,
                "signatures": self.signatures,
            }
        )
        return data


@dataclass(frozen=True)
class SchemaInfo:
    """Which schema set a validation used."""

    kind: str
    """``official``, ``embedded`` or ``none``."""
    version: str
    location: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "version": self.version}


@dataclass(frozen=True)
class Report:
    """Everything one validation of one flow found."""

    findings: tuple[Finding, ...]
    flow: FlowSummary
    schemas: SchemaInfo
    path: str | None = None
    lang: str = "fr"
    signatures: tuple[Any, ...] = ()
    """One :class:`pes_v2.signatures.status.SignatureStatus` per ds:Signature, in order."""
    predicted: Prediction | None = None
    """The prediction from every finding, listed or not (see ``Limits.max_findings_per_rule``);
    None: from the findings listed."""

    @property
    def valid(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    def fails(self, fail_on: Severity = Severity.ERROR) -> bool:
        """True when a finding reaches ``fail_on`` (error, or warning too)."""
        return any(f.severity.rank >= fail_on.rank for f in self.findings)

    @property
    def prediction(self) -> Prediction:
        """What Hélios would likely do: reject the flow, or some bordereaux and PJ."""
        if self.predicted is not None:
            return self.predicted
        from .prediction import predict

        return predict(self.findings)

    def rule_ids(self) -> tuple[str, ...]:
        """The distinct rule ids found, in first-seen order."""
        return tuple(dict.fromkeys(f.rule for f in self.findings))
