"""Hypothesis strategies for PES V2 values and flows.

``hypothesis`` is imported when a strategy is first built, so importing
:mod:`pes_v2.testing` never requires it. Example::

    from hypothesis import given
    from pes_v2.testing import build_flow
    from pes_v2.testing.strategies import flow_specs

    @given(flow_specs(max_bordereaux=2))
    def test_my_parser_reads_any_flow(spec):
        my_parser(build_flow(spec))
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from ..identifiers import bic_valid, iban_valid, rib_valid, siret_valid
from .builder import FlowSpec
from .values import BANKS, make_iban_fr, make_rib, make_siret

__all__ = [
    "amounts",
    "bics",
    "flow_specs",
    "ibans",
    "invalid_bics",
    "invalid_ibans",
    "invalid_ribs",
    "invalid_sirets",
    "ribs",
    "sirets",
]


def _st() -> Any:
    try:
        from hypothesis import strategies
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "pes_v2.testing.strategies needs hypothesis (pip install 'pes-v2[test]')"
        ) from exc
    return strategies


def _from_rng(make: Any) -> Any:
    """A strategy drawing a seed and calling ``make(random.Random(seed))``."""
    return _st().integers(0, 2**32 - 1).map(lambda seed: make(random.Random(seed)))


def sirets() -> Any:
    """Valid 14-digit SIRETs (Luhn)."""
    return _from_rng(make_siret)


def invalid_sirets() -> Any:
    """14-digit strings that are not valid SIRETs (one digit changed)."""
    st = _st()

    def corrupt(args: tuple[str, int, int]) -> str:
        siret, pos, delta = args
        return siret[:pos] + str((int(siret[pos]) + delta) % 10) + siret[pos + 1 :]

    return (
        st.tuples(sirets(), st.integers(0, 13), st.integers(1, 9))
        .map(corrupt)
        .filter(lambda s: not siret_valid(s))
    )


def ibans() -> Any:
    """Valid upper-case French IBANs."""
    return _from_rng(make_iban_fr)


def invalid_ibans() -> Any:
    """IBAN-shaped strings that fail ISO 13616 (check digits, one character, or case)."""
    st = _st()

    def corrupt(args: tuple[str, int, int]) -> str:
        iban, how, n = args
        if how == 0:
            return f"{iban[:2]}{(int(iban[2:4]) + n) % 100:02d}{iban[4:]}"
        if how == 1:
            pos = 4 + n % (len(iban) - 4)
            ch = iban[pos]
            new = str((int(ch) + 1) % 10) if ch.isdigit() else chr((ord(ch) - 64) % 26 + 65)
            return iban[:pos] + new + iban[pos + 1 :]
        return iban.lower()

    return (
        st.tuples(ibans(), st.integers(0, 2), st.integers(1, 96))
        .map(corrupt)
        .filter(lambda s: not iban_valid(s))
    )


def bics() -> Any:
    """Valid BICs: real French banks' and random ISO 9362 shapes, 8 or 11 characters."""
    st = _st()
    upper = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    alnum = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    random_bic = st.tuples(
        st.text(upper, min_size=6, max_size=6),
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789"),
        st.sampled_from("ABCDEFGHIJKLMNPQRSTUVWXYZ0123456789"),
        st.one_of(st.just(""), st.text(alnum, min_size=3, max_size=3)),
    ).map("".join)
    return st.one_of(st.sampled_from([b.bic for b in BANKS]), random_bic)


def invalid_bics() -> Any:
    """Strings that are not valid BICs (lower case, bad length, bad characters)."""
    st = _st()
    return st.one_of(
        bics().map(str.lower),
        bics().map(lambda b: b[:7]),
        bics().map(lambda b: b + "X"),
        bics().map(lambda b: b[:6] + "1" + b[7:]),
        bics().map(lambda b: b[:6] + b[6] + "O" + b[8:]),
    ).filter(lambda s: not bic_valid(s))


def ribs() -> Any:
    """Valid French RIBs as (code banque, code guichet, compte, clé)."""
    return _from_rng(make_rib)


def invalid_ribs() -> Any:
    """RIBs whose key is wrong."""
    st = _st()
    return (
        st.tuples(ribs(), st.integers(1, 96))
        .map(lambda a: (*a[0][:3], f"{(int(a[0][3]) + a[1]) % 100:02d}"))
        .filter(lambda r: not rib_valid(*r))
    )


def amounts(*, positive: bool = True, max_value: str = "999999999999.99") -> Any:
    """Decimal amounts as PES writes them: 2 decimals, at most 14 digits, > 0 (or ≥ 0)."""
    st = _st()
    low = Decimal("0.01") if positive else Decimal("0.00")
    return st.decimals(low, Decimal(max_value), places=2, allow_nan=False, allow_infinity=False)


def flow_specs(
    *,
    max_bordereaux: int = 3,
    max_pieces: int = 3,
    max_lines: int = 3,
    max_pj: int = 2,
    max_pj_size: int = 4000,
) -> Any:
    """Small :class:`FlowSpec` values covering dépense, recette, mixed and PJ-only flows."""
    st = _st()

    def make(args: tuple[int, int, int, int, int, int, int, str]) -> FlowSpec:
        seed, dep, rec, pieces, lines, pj, pj_size, enc = args
        if dep + rec + pj == 0:
            dep = 1
        return FlowSpec(
            seed=seed,
            depense=dep,
            recette=rec,
            pieces=pieces,
            lines=lines,
            pj=pj,
            pj_size=pj_size,
            encoding=enc,
        )

    return st.tuples(
        st.integers(0, 2**32 - 1),
        st.integers(0, max_bordereaux),
        st.integers(0, max_bordereaux),
        st.integers(1, max_pieces),
        st.integers(1, max_lines),
        st.integers(0, max_pj),
        st.integers(1, max_pj_size),
        st.sampled_from(["ISO-8859-1", "UTF-8"]),
    ).map(make)
