"""Per-file facts beyond the findings: bordereau keys and totals, PJ ids and sizes.

The batch checks (the same bordereau or PJ in two files), the predicted acknowledgment
(one ``ElementACQUIT`` per bordereau and per PJ), the HTML report and ``pes-v2 info`` use
them.  The engine gathers them during its single pass (:class:`~pes_v2.findings.FlowSummary`);
:func:`facts_of` presents them to those callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .findings import Report


@dataclass(frozen=True)
class BordereauFacts:
    """One bordereau: its keys, size and declared totals."""

    domain: str
    """``depense`` or ``recette``."""
    xpath: str
    """``/n:PES_Aller/PES_DepenseAller[1]/Bordereau[2]``, as findings spell it."""
    line: int | None
    exer: str | None
    typ_bord: str | None
    id_bord: str | None
    pieces: int
    lines: int
    totals: tuple[tuple[str, str], ...] = ()
    """``BlocBordereau`` amounts as written: (``MtBordHT``, "1234.56"), ``MtBordTVA``…"""
    signed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "xpath": self.xpath,
            "line": self.line,
            "Exer": self.exer,
            "TypBord": self.typ_bord,
            "IdBord": self.id_bord,
            "pieces": self.pieces,
            "lines": self.lines,
            "totals": dict(self.totals),
            "signed": self.signed,
        }


@dataclass(frozen=True)
class PjFacts:
    """One attachment of ``PES_PJ``."""

    xpath: str
    line: int | None
    id_unique: str | None
    name: str | None
    mime_type: str | None
    encoded_size: int
    """Characters of the base64 ``Fichier`` (the transmitted size)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "xpath": self.xpath,
            "line": self.line,
            "IdUnique": self.id_unique,
            "NomPJ": self.name,
            "MIMEType": self.mime_type,
            "encoded_size": self.encoded_size,
        }


@dataclass(frozen=True)
class FileFacts:
    """One file's facts (see :func:`facts_of`); ``complete`` is False when the file stopped
    being XML."""

    root: str | None = None
    root_prefix: str = "n:"
    dte_str: str | None = None
    nom_fic_line: int | None = None
    bordereaux: tuple[BordereauFacts, ...] = ()
    pjs: tuple[PjFacts, ...] = ()
    complete: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "DteStr": self.dte_str,
            "bordereaux": [b.as_dict() for b in self.bordereaux],
            "pjs": [p.as_dict() for p in self.pjs],
            "complete": self.complete,
        }


def facts_of(report: Report) -> FileFacts:
    """The facts the engine gathered during the validation's single pass."""
    flow = report.flow
    return FileFacts(
        root=flow.root,
        root_prefix="n:" if flow.namespace else "",
        dte_str=flow.dte_str,
        nom_fic_line=flow.nom_fic_line,
        bordereaux=flow.bordereau_list,
        pjs=flow.pj_list,
        complete=flow.complete,
    )
