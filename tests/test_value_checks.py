"""The compiled identifier checks agree with pes_v2.identifiers: never valid where Python
says invalid, and, on plain ASCII values, valid exactly where Python says valid."""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree

from pes_v2 import value_checks
from pes_v2.identifiers import (
    IBAN_LENGTHS,
    LA_POSTE_HEAD_OFFICE,
    bic_valid,
    finess_valid,
    iban_check_digits,
    iban_valid,
    luhn_checksum,
    nir_key,
    nir_valid,
    rib_key,
    rib_valid,
    siren_valid,
    siret_valid,
)
from pes_v2.rules.totals import amount
from pes_v2.value_checks import BIC, FINESS, IBAN, IBAN_UPPER, NIR, RIB, SIREN, SIRET

PYTHON: dict[int, Callable[..., bool]] = {
    IBAN: lambda value: iban_valid(value.upper(), known_countries_only=False),
    IBAN_UPPER: lambda value: value == value.upper(),
    BIC: bic_valid,
    SIRET: siret_valid,
    SIREN: siren_valid,
    FINESS: finess_valid,
    NIR: nir_valid,
    RIB: rib_valid,
}
"""What each kind means: the function the rules' Python path applies."""
SINGLE = (IBAN, IBAN_UPPER, BIC, SIRET, SIREN, FINESS, NIR)


def _native() -> object:
    if value_checks._native is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: the compiled probes (pes_v2._probes) were not built", pytrace=False)
        pytest.skip("pes_v2._probes is not built here (no C compiler at install time)")
    return value_checks._native


def _check(kind: int, *values: str) -> bool:
    native = _native()
    return native.check(kind, values)  # type: ignore[attr-defined,no-any-return]


def _agrees(kind: int, *values: str) -> None:
    expected = PYTHON[kind](*values)
    found = _check(kind, *values)
    if all(value.isascii() and "\0" not in value for value in values):
        assert found == expected, (kind, values)
    else:  # beyond ASCII the compiled check defers to Python: never valid
        assert not found, (kind, values)


# Values near the valid ones: digits, letters of both cases, and a few others.
_CHARACTERS = st.sampled_from(string.digits * 4 + string.ascii_letters + " -.\0éß\u0130١")


def _mutated(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid values, and the same with one character replaced, dropped or added."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        value = draw(valid)
        how = draw(st.sampled_from(["same", "replace", "drop", "add", "lower"]))
        if how == "same" or not value:
            return value
        at = draw(st.integers(0, len(value) - 1))
        if how == "replace":
            return value[:at] + draw(_CHARACTERS) + value[at + 1 :]
        if how == "drop":
            return value[:at] + value[at + 1 :]
        if how == "add":
            return value[:at] + draw(_CHARACTERS) + value[at:]
        return value.lower()

    return build()


def _digits(count: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(string.digits), min_size=count, max_size=count)


def _luhn_completed(body: str) -> str:
    """``body`` and the digit that makes its Luhn sum 0."""
    for digit in string.digits:
        if luhn_checksum(body + digit) == 0:
            return body + digit
    raise AssertionError(body)


@st.composite
def _ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from([*sorted(IBAN_LENGTHS), "XK", "QQ"]))
    length = IBAN_LENGTHS.get(country) or draw(st.integers(15, 34))
    alphabet = string.digits if draw(st.booleans()) else string.digits + string.ascii_uppercase
    bban = draw(st.text(st.sampled_from(alphabet), min_size=length - 4, max_size=length - 4))
    return country + iban_check_digits(country, bban) + bban


_SIRENS = _digits(8).map(_luhn_completed).filter(lambda siren: siren != "000000000")


@st.composite
def _sirets(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:  # La Poste: a digit sum divisible by 5
        body = "356000000" + draw(_digits(4))
        for digit in string.digits:
            if sum(map(int, body + digit)) % 5 == 0:
                return body + digit
    siren = draw(_SIRENS)
    return _luhn_completed(siren + draw(_digits(4)))


@st.composite
def _finess(draw: st.DrawFn) -> str:
    body = _luhn_completed(draw(_digits(8)))
    if draw(st.booleans()):
        return body
    # Corsica: 2A / 2B standing for 20, or for 19 / 18 (INSEE).
    for letter, stands in (("A", "19"), ("B", "18"), ("A", "20"), ("B", "20")):
        rest = body[2:]
        if luhn_checksum(stands + rest) == 0:
            return "2" + letter + rest
    return body


@st.composite
def _nirs(draw: st.DrawFn) -> str:
    body = draw(_digits(13))
    if draw(st.booleans()):
        body = body[:5] + draw(st.sampled_from(["2A", "2B"])) + body[7:]
    return body + nir_key(body)


@st.composite
def _ribs(draw: st.DrawFn) -> tuple[str, str, str, str]:
    alnum = st.sampled_from(string.digits * 3 + string.ascii_letters)
    bank, branch = draw(_digits(5)), draw(_digits(5))
    account = draw(st.text(alnum, min_size=11, max_size=11))
    key = rib_key(bank, branch, account)
    if key.startswith("0") and draw(st.booleans()):
        key = key[1:]  # CleRib is one or two digits
    return bank, branch, account, key


_BICS = st.from_regex(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?", fullmatch=True)
_VALID = {
    IBAN: _ibans(),
    IBAN_UPPER: _ibans(),
    BIC: _BICS,
    SIRET: _sirets(),
    SIREN: _SIRENS,
    FINESS: _finess(),
    NIR: _nirs(),
}


@pytest.mark.parametrize("kind", SINGLE)
@given(data=st.data())
def test_a_value_is_valid_as_python_says(kind: int, data: st.DataObject) -> None:
    _agrees(kind, data.draw(_mutated(_VALID[kind])))


@pytest.mark.parametrize("kind", SINGLE)
@given(value=st.text(_CHARACTERS, max_size=40))
def test_any_text(kind: int, value: str) -> None:
    _agrees(kind, value)


@pytest.mark.parametrize("kind", SINGLE)
@given(data=st.data())
def test_valid_values_take_the_fast_path(kind: int, data: st.DataObject) -> None:
    """Every valid ASCII value is found valid: the rules' Python path runs only when a value
    may be wrong."""
    value = data.draw(_VALID[kind])
    assert PYTHON[kind](value)
    assert _check(kind, value)


_NEIGHBOUR_CHARACTERS = string.digits + string.ascii_letters + " -\0é"


@pytest.mark.parametrize("kind", SINGLE)
@given(data=st.data())
def test_every_neighbour_of_a_valid_value(kind: int, data: st.DataObject) -> None:
    """Each one-character change of a valid value (a key off by one, a digit sum off by
    one, a letter in the other case…) is judged as Python judges it."""
    value = data.draw(_VALID[kind])
    for at in range(len(value)):
        for character in _NEIGHBOUR_CHARACTERS:
            _agrees(kind, value[:at] + character + value[at + 1 :])


@given(parts=_ribs())
def test_every_neighbour_of_a_valid_rib(parts: tuple[str, str, str, str]) -> None:
    for index, part in enumerate(parts):
        for at in range(len(part)):
            for character in _NEIGHBOUR_CHARACTERS:
                changed = list(parts)
                changed[index] = part[:at] + character + part[at + 1 :]
                _agrees(RIB, *changed)


@given(parts=_ribs(), how=st.integers(0, 8), character=_CHARACTERS)
@example(parts=("30006", "00001", "12345678901", "0"), how=0, character="0")
@example(parts=("3000", "00001", "12345678901", "18"), how=0, character="0")
def test_a_rib_is_valid_as_python_says(
    parts: tuple[str, str, str, str], how: int, character: str
) -> None:
    values = list(parts)
    if how < 4:  # one part with a character replaced
        part = values[how]
        values[how] = character + part[1:] if part else character
    elif how < 8:  # one part empty (a missing element reads as "")
        values[how - 4] = ""
    _agrees(RIB, *values)


@given(parts=_ribs())
def test_valid_ribs_take_the_fast_path(parts: tuple[str, str, str, str]) -> None:
    assert rib_valid(*parts)
    assert _check(RIB, *parts)


@pytest.mark.parametrize(
    ("kind", "value", "valid"),
    [
        (IBAN, "FR7630006000011234567890189", True),
        (IBAN, "fr7630006000011234567890189", True),  # BNK-001 ignores the case
        (IBAN_UPPER, "fr7630006000011234567890189", False),
        (IBAN, "FR763000600001123456789018", False),  # a character short for FR
        (IBAN, "FR7630006000011234567890188", False),  # wrong key
        (SIRET, LA_POSTE_HEAD_OFFICE, True),  # Luhn
        (SIRET, "35600000000013", False),  # La Poste: digit sum 23
        (SIRET, "35600000000012", False),
        (SIREN, "000000000", False),  # Luhn passes, INSEE never gives it
        (BIC, "BNPAFRPP", True),
        (BIC, "BNPAFRPO", False),  # O is not allowed in the location code
        (BIC, "BNPAFRPPXXX", True),
        (BIC, "BNPAFRPPXX", False),
    ],
)
def test_known_values(kind: int, value: str, valid: bool) -> None:
    assert PYTHON[kind](value) is valid
    assert _check(kind, value) is valid


def test_unknown_kinds_and_bad_arguments() -> None:
    native = _native()
    with pytest.raises(ValueError):
        native.check(99, ("x",))  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        native.check(IBAN, (b"FR76",))  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        native.set_iban_lengths(b"\0" * 10)  # type: ignore[attr-defined]
    assert native.check(RIB, ("30006", "00001", "12345678901")) is False  # type: ignore[attr-defined]


def _tree(xml: str) -> etree._Element:
    return etree.fromstring(xml)


def test_every_value_of_a_tree() -> None:
    _native()
    checks = value_checks.every_valid("a/b/@V", SIREN)
    tree = _tree('<r><a><b V="732829320"/><b V="542107651"/></a><a><b/></a></r>')
    assert checks(tree) == 2  # the values found, each valid
    tree = _tree('<r><a><b V="732829320"/></a><a><b V="732829321"/></a></r>')
    assert checks(tree) is None  # one is not
    assert checks(_tree("<r/>")) == 0
    assert checks("<r/>") is None  # not an element: the Python path reads it


def test_groups_of_a_tree() -> None:
    _native()
    checks = value_checks.every_group_valid(
        "c[K]", ("E[1]/@V", "G[1]/@V", "C[1]/@V", "K[1]/@V"), RIB
    )
    good = '<c><E V="30006"/><G V="00001"/><C V="12345678901"/><K V="{}"/></c>'
    key = rib_key("30006", "00001", "12345678901")
    assert checks(_tree(f"<r>{good.format(key)}{good.format(key)}<c/></r>")) == 2
    assert checks(_tree(f"<r>{good.format(key)}{good.format('00')}</r>")) is None
    missing = f'<c><E V="30006"/><C V="12345678901"/><K V="{key}"/></c>'
    assert checks(_tree(f"<r>{missing}</r>")) is None  # a part missing reads as ""


def test_values_split_by_an_entity_are_left_to_python() -> None:
    _native()
    parser = etree.XMLParser(resolve_entities=False, load_dtd=True, no_network=True)
    tree = etree.fromstring(
        b'<!DOCTYPE r [<!ENTITY e "2">]><r><a V="73282932&e;"/></r>', parser=parser
    )
    assert value_checks.every_valid("a/@V", SIREN)(tree) is None


def test_without_the_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(value_checks, "_native", None)
    tree = _tree('<r><a V="732829320"/></r>')
    assert value_checks.every_valid("a/@V", SIREN)(tree) is None
    assert value_checks.every_group_valid("a", ("@V",), RIB)(tree) is None


def test_outside_the_compiled_subset() -> None:
    _native()
    assert value_checks.every_valid("a[last()]/@V", SIREN)(_tree("<r/>")) is None


_AMOUNTS = st.one_of(
    st.from_regex(r"[+-]?0{0,3}[0-9]{1,13}(\.[0-9]{0,7})?", fullmatch=True),
    st.sampled_from([" 12.50", "1,2", ".5", "5.", "1e3", "", "-0", "-0.00", "+7", "９", "+"]),
)


def _decimal_sum_one_by_one(raws: list[str]) -> tuple[Decimal, int] | None:
    """What the rules' Python path adds: Decimal of each, from zero."""
    total, positive = Decimal(0), 0
    for raw in raws:
        value = amount(raw)
        if value is None:
            return None
        total += value
        positive += value > 0
    return total, positive


def _plain(raw: str) -> bool:
    """Within what the compiled sum reads: sign, ≤ 12 significant and ≤ 6 decimal digits."""
    match = re.fullmatch(r"[+-]?([0-9]+)(?:\.([0-9]*))?", raw)
    return (
        match is not None
        and len(match.group(1).lstrip("0")) <= 12
        and len(match.group(2) or "") <= 6
    )


@settings(max_examples=300)
@given(st.lists(_AMOUNTS, max_size=8))
def test_plain_decimals_add_up_as_decimal_adds_them(raws: list[str]) -> None:
    _native()
    tree = _tree("<r>" + "".join(f'<a V="{raw}"/>' for raw in raws) + "<a/></r>")
    found = value_checks.plain_decimal_sum("a/@V")(tree)
    expected = _decimal_sum_one_by_one(raws)
    if all(_plain(raw) for raw in raws):
        assert found is not None and expected is not None
    if found is not None:
        count, total, positive = found
        assert expected is not None and count == len(raws)
        # The same value and the same exponent (what cents() and str() show).
        assert (str(total), positive) == (str(expected[0]), expected[1])


def test_sums_beyond_what_64_bits_hold_are_left_to_python() -> None:
    _native()
    big = "999999999999.999999"
    tree = _tree("<r>" + f'<a V="{big}"/>' * 20 + "</r>")
    assert value_checks.plain_decimal_sum("a/@V")(tree) is None
    tree = _tree("<r>" + f'<a V="{big}"/>' * 9 + f'<a V="-{big}"/>' * 9 + "</r>")
    assert value_checks.plain_decimal_sum("a/@V")(tree) == (18, Decimal("0.000000"), 9)
