"""Identifier checks run inside the compiled probes' walk, on the values in place.

A bordereau of 60 lines holds some 40 IBANs and as many BICs, a dozen RIBs and SIRETs.
Read as Python strings, put in sets and checked one by one through the validity cache, they
cost the bank and tiers rules about 70 µs a bordereau beyond the walk that finds them. The
compiled extension can check them where they lie, as :mod:`pes_v2.identifiers` defines
each check, without making a string of any.

:func:`every_valid` and :func:`every_group_valid` give such checks for the rules' fast
paths: called with an element, a check returns how many values it found when each one
passes, and None otherwise — when one fails, is not plain ASCII (``str.upper()`` and
``len()`` then differ from byte-wise ones), or when the extension is missing or turned off
(``PES_V2_NATIVE_PROBES=0``). None only means "read the values in Python": the rule's
Python path then decides, and finds what is wrong. :func:`plain_decimal_sum` adds amounts
in the same walk, when each is written plainly.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .identifiers import IBAN_LENGTHS
from .probes import Unsupported, native_available, translate_path

IBAN, IBAN_UPPER, BIC, SIRET, SIREN, FINESS, NIR, RIB = range(8)
"""Check kinds, as ``_identifiers.h`` numbers them:

- ``IBAN``: ``identifiers.iban_valid(value.upper(), known_countries_only=False)``;
- ``IBAN_UPPER``: ``value == value.upper()``;
- ``BIC``, ``SIRET``, ``SIREN``, ``FINESS``, ``NIR``: the ``*_valid`` function of that name;
- ``RIB``: ``identifiers.rib_valid(bank, branch, account, key)``, four values together.
"""

Check = Callable[[Any], "int | None"]

_native: Any = None
if native_available():
    from . import _probes as _native

    _native.set_iban_lengths(
        bytes(
            IBAN_LENGTHS.get(chr(65 + first) + chr(65 + second), 0)
            for first in range(26)
            for second in range(26)
        )
    )


def _never(_element: Any) -> None:
    return None


def _plan(build: Callable[[], Any]) -> Any:
    """``build()``, a plan for the extension, when it is in use and the paths lie in its
    subset; else None."""
    if _native is None:
        return None
    try:
        return build()
    except Unsupported:
        return None


def every_valid(path: str, kind: int) -> Check:
    """A check of every value ``path`` (ending with an attribute step) reaches."""
    plan = _plan(lambda: translate_path(path))
    return _never if plan is None else _Compiled(_native.valid, plan, kind)


def every_group_valid(head: str, tails: tuple[str, ...], kind: int) -> Check:
    """A check of each node ``head`` reaches, on the first value of every one of ``tails``
    below it (the empty string when a tail finds none), taken together."""
    plan = _plan(
        lambda: (
            translate_path(head, attribute=False),
            tuple(translate_path(tail) for tail in tails),
        )
    )
    return _never if plan is None else _Compiled(_native.valid_groups, plan, kind)


DecimalSum = tuple[int, Decimal, int]
"""How many values, their sum, how many are above zero."""


def plain_decimal_sum(path: str) -> Callable[[Any], DecimalSum | None]:
    """The sum of the values ``path`` reaches when each is a plain decimal — an optional sign,
    at most 12 significant digits, optionally a point and at most 6 digits — exactly as
    adding their ``Decimal`` from zero gives it (value and exponent); else None: the caller
    then reads them in Python."""
    plan = _plan(lambda: translate_path(path))
    if plan is None:
        return _never
    native = _native

    def summed(element: Any) -> DecimalSum | None:
        try:
            found = native.sum_decimals(element, plan)
        except TypeError:
            return None
        if found is None:
            return None
        count, total, digits, positive = found
        return count, Decimal(f"{total}e-{digits}"), positive  # read exactly, in any context

    return summed


class _Compiled:
    __slots__ = ("_function", "_kind", "_plan")

    def __init__(self, function: Callable[[Any, Any, int], int | None], plan: Any, kind: int):
        self._function, self._plan, self._kind = function, plan, kind

    def __call__(self, element: Any) -> int | None:
        try:
            return self._function(element, self._plan, self._kind)
        except TypeError:  # not an lxml element: the Python path reads it
            return None
