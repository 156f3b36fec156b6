"""What Hélios would do with a flow, predicted from the findings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .findings import Finding, Severity
from .rules.registry import get

_PJ_STEP = re.compile(r"^(.*?/PES_PJ\[\d+\]/PJ\[\d+\])")
_BORDEREAU_STEP = re.compile(r"^(.*?/Bordereau\[\d+\])")


def bordereau_of(xpath: str | None) -> str | None:
    """The XPath of the bordereau ``xpath`` is in (or is), None when it is in none."""
    match = _BORDEREAU_STEP.match(xpath or "")
    return match.group(1) if match else None


def pj_of(xpath: str | None) -> str | None:
    """The XPath of the PES_PJ/PJ ``xpath`` is in (or is), None when it is in none."""
    match = _PJ_STEP.match(xpath or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class Prediction:
    """The likely acknowledgment: the whole flow rejected, or some bordereaux and PJ."""

    flux_rejected: bool
    bordereaux_rejected: tuple[str, ...]
    """IdBord of each rejected bordereau (its XPath when it has no IdBord)."""
    pjs_rejected: tuple[str, ...]
    """XPath of each rejected PJ."""
    reasons: tuple[str, ...]
    """The ``NumAnoAck`` codes behind the rejections, without repetition."""

    @property
    def accepted(self) -> bool:
        return not (self.flux_rejected or self.bordereaux_rejected or self.pjs_rejected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "flux_rejected": self.flux_rejected,
            "bordereaux_rejected": list(self.bordereaux_rejected),
            "pjs_rejected": list(self.pjs_rejected),
            "reasons": list(self.reasons),
        }


class Predictor:
    """The prediction built one finding at a time (memory: the rejected records only)."""

    def __init__(self) -> None:
        self._flux = False
        self._bordereaux: dict[str, None] = {}
        self._pjs: dict[str, None] = {}
        self._reasons: dict[str, None] = {}

    def add(self, finding: Finding) -> None:
        """Apply the error's rejection scope (flux, bordereau or PJ) as its rule declares it."""
        if finding.severity is not Severity.ERROR:
            return
        try:
            rejects = get(finding.rule).rejects
        except KeyError:
            rejects = "flux"
        if finding.ack:
            self._reasons[finding.ack] = None
        if rejects == "bordereau":
            key = finding.bordereau or bordereau_of(finding.xpath)
            if key is None:
                self._flux = True
            else:
                self._bordereaux[key] = None
        elif rejects == "pj":
            key = pj_of(finding.xpath)
            if key is None:
                self._flux = True
            else:
                self._pjs[key] = None
        elif rejects != "none":
            self._flux = True

    def result(self) -> Prediction:
        return Prediction(
            self._flux, tuple(self._bordereaux), tuple(self._pjs), tuple(self._reasons)
        )


def predict(findings: Iterable[Finding]) -> Prediction:
    """The prediction of these findings (see :class:`Predictor`)."""
    predictor = Predictor()
    for finding in findings:
        predictor.add(finding)
    return predictor.result()
