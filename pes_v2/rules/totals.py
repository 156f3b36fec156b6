"""Bordereau totals and counts.

Every check here works from one pass over the bordereau (:func:`bordereau_view`), shared
with the uniqueness and dépense/recette modules: the view is built once per record.
Amounts are compared as :class:`~decimal.Decimal`, never as floats; a value the XSD
refuses (not a number) makes the check stand aside, since the XSD finding already says it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..findings import Finding, Scope, Severity
from ..probes import probe
from ..records import FlowFacts, Record, value_of, xsd_boolean
from ..value_checks import plain_decimal_sum
from ..xmlio import Element
from .registry import rule

ZERO = Decimal("0")

# -- the shared per-bordereau view --------------------------------------------------------


@dataclass
class LineView:
    """One LigneDePiece: its element and its InfoLignePce / InfoLignePiece block."""

    element: Element
    info: Element | None
    bloc: Element | None


@dataclass
class PieceView:
    """One Piece: its InfoPce (dépense) or BlocPiece (recette), codes and lines."""

    element: Element
    info: Element | None
    idpce: str | None
    typpce: str | None
    natpce: str | None
    lines: list[LineView] = field(default_factory=list)


@dataclass
class BordereauView:
    """One Bordereau read once: its BlocBordereau, codes and (on first use) pieces."""

    domain: str
    bloc: Element | None
    exer: str | None
    idbord: str | None
    typbord: str | None
    element: Element | None = None
    _pieces: list[PieceView] | None = field(default=None, repr=False)

    @property
    def pieces(self) -> list[PieceView]:
        """Every Piece with its lines, read element by element the first time it is asked
        (the fast paths of the rules ask precompiled XPath expressions instead)."""
        if self._pieces is None:
            self._pieces = (
                [] if self.element is None else _pieces(self.element, self.domain == "depense")
            )
        return self._pieces

    @property
    def piece_count(self) -> int:
        if self._pieces is not None:
            return len(self._pieces)
        return 0 if self.element is None else int(_COUNT_PIECES(self.element))

    def triplet(self, piece: PieceView) -> str:
        return f"{self.typbord}-{piece.typpce}-{piece.natpce}"


_COUNT_PIECES = probe("count(Piece)")


def fetch(record: Record, xpath: Callable[[Element], Any]) -> Any:
    """``xpath`` (a probe) evaluated on the record's element, once per record (shared by the
    rules).

    The rules' fast paths ask a few precompiled XPath expressions for values in bulk and
    fall back to the element-by-element code only when a finding is possible."""
    cache: dict[Callable[[Element], Any], Any] | None = record.memo.get("xpath")
    if cache is None:
        cache = record.memo["xpath"] = {}
    elif xpath in cache:
        return cache[xpath]
    result = cache[xpath] = xpath(record.element)
    return result


def values(path: str) -> Callable[[Element], list[str]]:
    """A precompiled probe returning plain strings (attribute values)."""
    return probe(path, smart_strings=False)


def v(element: Element | None, path: str) -> str | None:
    """The ``V`` attribute at ``path`` below ``element`` (stripped), or None."""
    value = value_of(element, path)
    return None if value is None else value.strip()


_MAX_ADJUSTED = 27
"""Amounts below 10**28 only: Decimal's default context adds them exactly (28 digits) and
never overflows; no PES amount type allows more than 25 digits."""


def amount(value: str | None) -> Decimal | None:
    """``value`` as a Decimal, or None when absent or not an xs:decimal below 10**28 (the
    XSD reports such a value; a sum of them would have overflowed, e.g. ``9E+999999``).

    xs:decimal is what Decimal reads less exponents, infinities, NaN, ``_`` between digits
    and digits other than ASCII ones: those are ruled out before and after reading."""
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or "e" in text or "E" in text or "_" in text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and number.adjusted() <= _MAX_ADJUSTED else None


def number_key(value: str | None) -> str | None:
    """A numeric identifier in canonical form (leading zeros are not significant)."""
    if value is None:
        return None
    if value.isdigit() and value.isascii() and (value[0] != "0" or value == "0"):
        return value  # already canonical
    text = value.strip()
    number = amount(text)
    if number is not None and number == number.to_integral_value() and number >= 0:
        return str(int(number))
    return text


def bordereau_view(record: Record) -> BordereauView:
    """The view of ``record`` (a dépense or recette Bordereau), built once per record."""
    return record.memoized("bordereau_view", lambda: _build(record))


def _build(record: Record) -> BordereauView:
    element = record.element
    bloc = element.find("BlocBordereau")
    return BordereauView(
        domain=record.domain or "",
        bloc=bloc,
        exer=v(bloc, "Exer"),
        idbord=v(bloc, "IdBord"),
        typbord=v(bloc, "TypBord"),
        element=element,
    )


def _pieces(element: Element, depense: bool) -> list[PieceView]:
    pieces: list[PieceView] = []
    info_path = "BlocPiece/InfoPce" if depense else "BlocPiece"
    line_path = "InfoLignePce" if depense else "InfoLignePiece"
    for piece in element.iterfind("Piece"):
        info = piece.find(info_path)
        pv = PieceView(piece, info, v(info, "IdPce"), v(info, "TypPce"), v(info, "NatPce"))
        for line in piece.iterfind("LigneDePiece"):
            lbloc = line.find("BlocLignePiece")
            linfo = None if lbloc is None else lbloc.find(line_path)
            pv.lines.append(LineView(line, linfo, lbloc))
        pieces.append(pv)
    return pieces


@dataclass
class _Sums:
    ht: Decimal | None
    """Σ MtHT, or None when a line amount is missing or unreadable (the XSD says so)."""
    tva: Decimal | None
    tva_lines: int
    """Lines with MtTVA > 0."""


_LINES = probe("count(Piece/LigneDePiece)")
_AMOUNTS = {
    (info, name): values(f"Piece/LigneDePiece/BlocLignePiece[1]/{info}[1]/{name}[1]/@V")
    for info in ("InfoLignePce", "InfoLignePiece")
    for name in ("MtHT", "MtTVA")
}
"""The first MtHT / MtTVA of each line's block, as :func:`_build` reads them."""


_AMOUNT_SUMS = {
    key: plain_decimal_sum(f"Piece/LigneDePiece/BlocLignePiece[1]/{key[0]}[1]/{key[1]}[1]/@V")
    for key in _AMOUNTS
}
"""The same amounts added in the compiled walk when each is written plainly (else None)."""


def _sums(record: Record) -> _Sums:
    return record.memoized("sums", lambda: _compute_sums(record))


def _compute_sums(record: Record) -> _Sums:
    info = "InfoLignePce" if record.domain == "depense" else "InfoLignePiece"
    ht_sum = _AMOUNT_SUMS[info, "MtHT"](record.element)
    tva_sum = _AMOUNT_SUMS[info, "MtTVA"](record.element) if ht_sum is not None else None
    if ht_sum is not None and tva_sum is not None:
        lines, total, _positive = ht_sum
        _count, tva, tva_lines = tva_sum
        return _Sums(total if lines == fetch(record, _LINES) else None, tva, tva_lines)
    raw_ht = fetch(record, _AMOUNTS[info, "MtHT"])
    # Σ MtHT stays None when a line has no MtHT, or an unreadable one.
    ht = _sum(_amounts(raw_ht)) if len(raw_ht) == fetch(record, _LINES) else None
    tva_amounts = _amounts(fetch(record, _AMOUNTS[info, "MtTVA"]))
    tva_lines = sum(1 for line_tva in tva_amounts if line_tva is not None and line_tva > 0)
    return _Sums(ht, _sum(tva_amounts), tva_lines)


_PLAIN_CHARACTERS = re.compile(r"[0-9.,+-]*")
_PLAIN_LENGTH = 28
"""A decimal of at most this many characters is below 10**28 (see :func:`amount`)."""


def _amounts(raws: list[str]) -> list[Decimal | None]:
    """What :func:`amount` reads of each of ``raws``: at once, when each is written plainly
    (ASCII digits, sign and point only, at most :data:`_PLAIN_LENGTH` characters: amount
    then reads it as Decimal does), checked for all of them by one match; else one by one."""
    joined = ",".join(raws)  # the commas are the joins only when there are len - 1 of them
    if (
        raws
        and joined.count(",") == len(raws) - 1
        and _PLAIN_CHARACTERS.fullmatch(joined)
        and max(map(len, raws)) <= _PLAIN_LENGTH
    ):
        try:
            return list(map(Decimal, raws))
        except InvalidOperation:  # e.g. "1.2.3", "+-1", "": amount says None
            pass
    return [amount(raw) for raw in raws]


def _sum(amounts: list[Decimal | None]) -> Decimal | None:
    """The amounts added in order (as ``+=`` adds them), or None when one is unreadable."""
    total = ZERO
    for line_amount in amounts:
        if line_amount is None:
            return None
        total += line_amount
    return total


def cents(value: Decimal) -> str:
    """An amount as Hélios writes it: two decimals."""
    return f"{value:.2f}"


def _ht_name(record: Record) -> str:
    return "MtBordHT" if record.domain == "depense" else "MtBordHt"


# -- rules ----------------------------------------------------------------------------------


@rule(
    "PES-TOT-001",
    title=("Total HT du bordereau incohérent", "Bordereau HT total inconsistent"),
    message=(
        "{name} vaut {value} mais la somme des MtHT des lignes du bordereau est {expected}.",
        "{name} is {value} but the MtHT of the bordereau's lines add up to {expected}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_CUMUL_MONTANTS",
    rejects="bordereau",
    source="pes-rules §2.3, §2.9 item 4, §3.3 [DEF/IMPL; DOC for ORMC]",
    on="bordereau",
)
def bordereau_ht_total(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """MtBordHT (dépense) / MtBordHt (recette) equals the sum of the lines' MtHT."""
    view = bordereau_view(record)
    name = _ht_name(record)
    total = None if view.bloc is None else view.bloc.find(name)
    declared = amount(None if total is None else total.get("V"))
    computed = _sums(record).ht
    if total is None or declared is None or computed is None or declared == computed:
        return
    yield record.finding(
        bordereau_ht_total.rule,  # type: ignore[attr-defined]
        total,
        value=total.get("V"),
        name=name,
        expected=cents(computed),
    )


@rule(
    "PES-TOT-002",
    title=("Nombre de pièces du bordereau incohérent", "Bordereau piece count inconsistent"),
    message=(
        "NbrPce vaut {value} mais le bordereau contient {expected} pièce(s).",
        "NbrPce is {value} but the bordereau holds {expected} piece(s).",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_CUMUL_MONTANTS",
    rejects="bordereau",
    source="pes-rules §2.3, §2.9 item 3, §3.3 [DEF]",
    on="bordereau",
)
def piece_count(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """NbrPce equals the number of Piece elements of the bordereau (this pass also runs
    the bordereau half of PES-TOT-006)."""
    yield from cumul_required(record, facts)
    view = bordereau_view(record)
    nbr = None if view.bloc is None else view.bloc.find("NbrPce")
    declared = amount(None if nbr is None else nbr.get("V"))
    count = view.piece_count
    if nbr is None or declared is None or declared == count:
        return
    yield record.finding(
        piece_count.rule,  # type: ignore[attr-defined]
        nbr,
        value=nbr.get("V"),
        expected=str(count),
    )


@rule(
    "PES-TOT-003",
    title=("TVA du bordereau sans ligne de TVA", "Bordereau VAT without any VAT line"),
    message=(
        "MtBordTVA vaut {value} mais aucune ligne du bordereau n'a de MtTVA supérieur à 0,00.",
        "MtBordTVA is {value} but no line of the bordereau has an MtTVA above 0.00.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_CUMUL_MONTANTS",
    rejects="bordereau",
    source="pes-rules §2.3, §2.9 item 5, §3.3 [DOC]",
    on="bordereau",
)
def vat_without_lines(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """MtBordTVA > 0 needs at least one line with MtTVA > 0."""
    view = bordereau_view(record)
    total = None if view.bloc is None else view.bloc.find("MtBordTVA")
    declared = amount(None if total is None else total.get("V"))
    sums = _sums(record)
    if total is None or declared is None or declared <= 0 or sums.tva is None:
        return
    if sums.tva_lines == 0:
        yield record.finding(
            vat_without_lines.rule,  # type: ignore[attr-defined]
            total,
            value=total.get("V"),
        )


@rule(
    "PES-TOT-004",
    title=("Lignes avec TVA sans TVA du bordereau", "VAT lines without bordereau VAT"),
    message=(
        "{count} ligne(s) ont un MtTVA supérieur à 0,00 (total {expected}) mais MtBordTVA "
        "est {state}.",
        "{count} line(s) have an MtTVA above 0.00 (total {expected}) but MtBordTVA is {state}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_CUMUL_MONTANTS",
    rejects="bordereau",
    source="pes-rules §2.5 (MtTVA), §2.9 item 5, §3.2, §3.5 (MtTVA) [DOC]",
    on="bordereau",
)
def lines_without_vat_total(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """A line with MtTVA > 0 needs MtBordTVA present and > 0."""
    view = bordereau_view(record)
    sums = _sums(record)
    if view.bloc is None or sums.tva_lines == 0 or sums.tva is None:
        return
    total = view.bloc.find("MtBordTVA")
    declared = amount(None if total is None else total.get("V"))
    if total is not None and (declared is None or declared > 0):
        return
    fr, en = ("absent", "missing") if total is None else ("à zéro", "zero")
    state = en if record.lang == "en" else fr
    yield record.finding(
        lines_without_vat_total.rule,  # type: ignore[attr-defined]
        view.bloc if total is None else total,
        value=None if total is None else total.get("V"),
        count=sums.tva_lines,
        expected=cents(sums.tva),
        state=state,
    )


@rule(
    "PES-TOT-005",
    title=("Total TVA du bordereau incohérent", "Bordereau VAT total inconsistent"),
    message=(
        "MtBordTVA vaut {value} mais la somme des MtTVA des lignes du bordereau est {expected}.",
        "MtBordTVA is {value} but the MtTVA of the bordereau's lines add up to {expected}.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_CUMUL_MONTANTS",
    rejects="bordereau",
    source="pes-rules §2.3, §2.9 item 5 [DEF], §3.3 [DOC for ORMC]",
    on="bordereau",
)
def bordereau_vat_total(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """MtBordTVA equals Σ MtTVA when both are above zero (the other cases are TOT-003/004)."""
    view = bordereau_view(record)
    total = None if view.bloc is None else view.bloc.find("MtBordTVA")
    declared = amount(None if total is None else total.get("V"))
    sums = _sums(record)
    if total is None or declared is None or declared <= 0 or sums.tva is None:
        return
    if sums.tva_lines and declared != sums.tva:
        yield record.finding(
            bordereau_vat_total.rule,  # type: ignore[attr-defined]
            total,
            value=total.get("V"),
            expected=cents(sums.tva),
        )


# InfoDematerialisee lives in the domain header, which is released before the bordereaux
# are read: PES-TOT-006 runs on the domain header to note it, per domain, and each
# bordereau is then checked by the bordereau pass of this module (see piece_count).
_DEMAT = "totals.infodematerialisee"


@rule(
    "PES-TOT-006",
    title=(
        "MtCumulAnnuel absent d'un bordereau dématérialisé",
        "MtCumulAnnuel missing from a dematerialised bordereau",
    ),
    message=(
        "InfoDematerialisee vaut 1 : MtCumulAnnuel doit être présent et supérieur à 0,00 "
        "(trouvé : {found}).",
        "InfoDematerialisee is 1: MtCumulAnnuel must be present and above 0.00 (found: {found}).",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_CUMUL_MONTANTS",
    rejects="bordereau",
    source="pes-rules §2.3, §2.9 item 2, §3.3 [DOC] (recette ORMC, TypBord 06, exempt)",
    on="domain_header",
)
def note_dematerialised(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """InfoDematerialisee = 1 ⇒ every bordereau has MtCumulAnnuel > 0 (recette ORMC
    exempt). Runs on EnTeteDepense/EnTeteRecette to note the flag; the bordereaux are
    checked as they come by :func:`cumul_required`."""
    if record.domain in ("depense", "recette"):
        flag = v(record.element, "InfoDematerialisee")
        demat: dict[str, bool] = facts.state(_DEMAT, dict)
        demat[record.domain] = xsd_boolean(flag) is True
    return iter(())


def cumul_required(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """The bordereau half of PES-TOT-006."""
    demat: dict[str, bool] = facts.state(_DEMAT, dict)
    if not demat.get(record.domain or ""):
        return
    view = bordereau_view(record)
    if view.bloc is None or (record.domain == "recette" and view.typbord in ("06", "07")):
        return
    cumul = view.bloc.find("MtCumulAnnuel")
    declared = amount(None if cumul is None else cumul.get("V"))
    if cumul is not None and (declared is None or declared > 0):
        return
    found = ("missing" if record.lang == "en" else "absent") if cumul is None else cumul.get("V")
    yield record.finding(
        note_dematerialised.rule,  # type: ignore[attr-defined]
        view.bloc if cumul is None else cumul,
        value=None if cumul is None else cumul.get("V"),
        found=found,
    )
