"""What Hélios would do with a flow, predicted from the findings."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .findings import Finding, Severity
from .rules.registry import get

_PJ_STEP = re.compile(r"^(.*?/PES_PJ\[\d+\]/PJ\[\d+\])")
_PJ_BLOCK_STEP = re.compile(r"^(.*?/PES_PJ\[\d+\])")
_BORDEREAU_STEP = re.compile(r"^(.*?/Bordereau\[\d+\])")
_DOMAIN_STEP = re.compile(r"/PES_(Depense|Recette)Aller\[")


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
    """IdBord of each rejected bordereau (its XPath when it has no IdBord); prefixed with
    its domain (``depense/209``) when another rejected bordereau has the same IdBord."""
    pjs_rejected: tuple[str, ...]
    """XPath of each rejected PJ, or of a whole PES_PJ block (every PJ in it rejected)."""
    reasons: tuple[str, ...]
    """The ``NumAnoAck`` codes behind the rejections, without repetition."""
    bordereaux: tuple[tuple[str, str], ...] = ()
    """(XPath, IdBord) of each rejected bordereau, in the order of ``bordereaux_rejected``."""

    @property
    def accepted(self) -> bool:
        return not (self.flux_rejected or self.bordereaux_rejected or self.pjs_rejected)

    @cached_property
    def _bordereau_keys(self) -> frozenset[str]:
        return frozenset(key for key, _id_bord in self.bordereaux)

    @cached_property
    def _pj_keys(self) -> frozenset[str]:
        return frozenset(self.pjs_rejected)

    def rejects_bordereau(self, xpath: str, id_bord: str | None) -> bool:
        """True when the bordereau at ``xpath`` is rejected (with the whole flow or not); a
        rejection known by IdBord only (no place) counts for the bordereaux of that IdBord."""
        keys = self._bordereau_keys
        return self.flux_rejected or xpath in keys or (id_bord is not None and id_bord in keys)

    def rejects_pj(self, xpath: str) -> bool:
        """True when the PJ at ``xpath`` is rejected, by itself, with its PES_PJ block or
        with the whole flow."""
        keys = self._pj_keys
        return self.flux_rejected or xpath in keys or pj_block_of(xpath) in keys

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "flux_rejected": self.flux_rejected,
            "bordereaux_rejected": list(self.bordereaux_rejected),
            "pjs_rejected": list(self.pjs_rejected),
            "reasons": list(self.reasons),
        }


class Predictor:
    """The prediction built one finding at a time (memory: the rejected records only);
    ``start`` carries on from an earlier prediction (findings added by a batch)."""

    def __init__(self, start: Prediction | None = None) -> None:
        self._flux = False
        self._bordereaux: dict[str, str] = {}
        """IdBord (or XPath) of each rejected bordereau, by its XPath."""
        self._pjs: dict[str, None] = {}
        self._reasons: dict[str, None] = {}
        if start is not None:
            self._flux = start.flux_rejected
            self._bordereaux = dict(start.bordereaux)
            self._pjs = dict.fromkeys(start.pjs_rejected)
            self._reasons = dict.fromkeys(start.reasons)

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
            key = bordereau_of(finding.xpath) or finding.bordereau
            if key is None:
                self._flux = True
            else:
                self._bordereaux.setdefault(key, finding.bordereau or key)
        elif rejects == "pj":
            # A PJ, or every PJ of its PES_PJ block (e.g. EnTetePES_PJ's IdVer).
            key = pj_of(finding.xpath) or pj_block_of(finding.xpath)
            if key is None:
                self._flux = True
            else:
                self._pjs[key] = None
        elif rejects != "none":
            self._flux = True

    def result(self) -> Prediction:
        seen = Counter(self._bordereaux.values())
        labels = tuple(
            f"{domain}/{label}" if seen[label] > 1 and (domain := _domain_of(xpath)) else label
            for xpath, label in self._bordereaux.items()
        )
        return Prediction(
            self._flux,
            labels,
            tuple(self._pjs),
            tuple(self._reasons),
            tuple(self._bordereaux.items()),
        )


def pj_block_of(xpath: str | None) -> str | None:
    """The XPath of the PES_PJ block ``xpath`` is in (or is), None when it is in none."""
    match = _PJ_BLOCK_STEP.match(xpath or "")
    return match.group(1) if match else None


def _domain_of(xpath: str) -> str | None:
    match = _DOMAIN_STEP.search(xpath)
    return match.group(1).lower() if match else None


def predict(findings: Iterable[Finding]) -> Prediction:
    """The prediction of these findings (see :class:`Predictor`)."""
    predictor = Predictor()
    for finding in findings:
        predictor.add(finding)
    return predictor.result()
