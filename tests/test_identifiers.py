"""Check-digit algorithms, on known real-world values and hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pes_v2.identifiers import (
    IBAN_LENGTHS,
    ORMC_CLE2_LETTERS,
    bic_valid,
    finess_valid,
    iban_check_digits,
    iban_valid,
    luhn_checksum,
    luhn_valid,
    natural_number,
    nir_key,
    nir_valid,
    ormc_cle1,
    ormc_cle1_input,
    ormc_cle2,
    rib_key,
    rib_valid,
    siren_valid,
    siret_valid,
)
from pes_v2.testing import strategies as pst
from pes_v2.testing.values import make_finess, make_nir


@pytest.mark.parametrize("value", ["79927398713", "4539578763621486", "0", "18"])
def test_luhn_known_valid(value: str) -> None:
    assert luhn_valid(value) and luhn_checksum(value) == 0


@pytest.mark.parametrize("value", ["79927398710", "", "12a4", "١٢٣"])
def test_luhn_invalid(value: str) -> None:
    assert not luhn_valid(value)


@pytest.mark.parametrize("siren", ["732829320", "552100554", "356000000"])
def test_siren_known(siren: str) -> None:
    assert siren_valid(siren)


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # INSEE's own example (7th establishment, key 4)
        "24310063300011",  # IdColl of a real PES flow (Sicoval, from the corpus)
        "35600000049837",  # La Poste: not Luhn, but digit sum 45 is a multiple of 5
        "35600000000048",  # La Poste's head office: Luhn, digit sum 26
    ],
)
def test_siret_known(siret: str) -> None:
    assert siret_valid(siret)


def test_la_poste_exception() -> None:
    assert not luhn_valid("35600000049837")
    assert not siret_valid("35600000049838")  # digit sum 46
    assert luhn_valid("35600000000048") and sum(map(int, "35600000000048")) % 5 == 1
    assert not siret_valid("35600000000049")  # the head office, wrong key
    assert not siret_valid("7328293200007")  # 13 digits
    assert not siret_valid("73282932000075")
    # Zeros pass Luhn, but are a placeholder: no SIREN or SIRET is made of them.
    assert luhn_valid("00000000000000") and not siret_valid("00000000000000")
    assert not siren_valid("000000000")


@pytest.mark.parametrize(
    "iban",
    [
        "FR1420041010050500013M02606",
        "FR7630006000011234567890189",
        "FR7630003017020002010412521",
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "BE68539007547034",
        "NL91ABNA0417164300",
        "CH9300762011623852957",
        "NO9386011117947",
        "MT84MALT011000012345MTLCAST001S",
    ],
)
def test_iban_known(iban: str) -> None:
    assert iban_valid(iban)
    assert iban_check_digits(iban[:2], iban[4:]) == iban[2:4]


@pytest.mark.parametrize(
    "iban",
    [
        "FR1420041010050500013M02607",
        "fr1420041010050500013M02606",
        "FR1420041010050500013m02606",
        "FR14 2004 1010 0505 0001 3M02 606",
        "FR142004101005050001",
        "XX1420041010050500013M02606",
        "",
    ],
)
def test_iban_invalid(iban: str) -> None:
    assert not iban_valid(iban)


def test_iban_unknown_country_opt_in() -> None:
    body = "123456789012345678"
    iban = "ZZ" + iban_check_digits("ZZ", body) + body
    assert not iban_valid(iban)
    assert iban_valid(iban, known_countries_only=False)


def test_overseas_and_sepa_lengths() -> None:
    for country in ("FR", "GP", "MQ", "GF", "RE", "YT", "PM", "NC", "PF", "WF", "MC"):
        assert IBAN_LENGTHS[country] == 27
    assert {"DE", "ES", "IT", "PT", "PL", "SE", "CH", "GB", "NO", "IS", "LI"} <= set(IBAN_LENGTHS)


@pytest.mark.parametrize("bic", ["SOGEFRPPXXX", "BNPAFRPP", "DEUTDEFF500", "CMCIFR2A"])
def test_bic_known(bic: str) -> None:
    assert bic_valid(bic)


@pytest.mark.parametrize("bic", ["sogefrppxxx", "SOGEFRPPXX", "SOGEFR1P", "SOGEFRPO", "SOG3FRPP"])
def test_bic_invalid(bic: str) -> None:
    assert not bic_valid(bic)


@pytest.mark.parametrize(
    ("bank", "branch", "account", "key"),
    [
        ("20041", "01005", "0500013M026", "06"),
        ("30006", "00001", "12345678901", "89"),
        ("30003", "01702", "00020104125", "21"),
    ],
)
def test_rib_known(bank: str, branch: str, account: str, key: str) -> None:
    assert rib_key(bank, branch, account) == key
    assert rib_valid(bank, branch, account, key)
    assert not rib_valid(bank, branch, account, f"{(int(key) + 1) % 100:02d}")


def test_rib_bad_input() -> None:
    with pytest.raises(ValueError):
        rib_key("2004", "01005", "0500013M026")
    assert not rib_valid("20041", "01005", "0500013M02!", "06")


def test_a_one_digit_rib_key() -> None:
    """CleRib is a Num2_Light: a key below 10 may be written with one digit."""
    account = next(
        f"{n:011d}" for n in range(1000) if rib_key("30006", "00001", f"{n:011d}") == "07"
    )
    assert rib_valid("30006", "00001", account, "07")
    assert rib_valid("30006", "00001", account, "7")
    assert not rib_valid("30006", "00001", account, "70")
    assert not rib_valid("30006", "00001", account, "")
    assert not rib_valid("30006", "00001", account, "007")
    assert not rib_valid("30006", "00001", account, "\u0667")  # an Arabic-Indic 7


def test_nir_known() -> None:
    assert nir_key("2550814168025") == "38"
    assert nir_valid("255081416802538")
    assert not nir_valid("255081416802539")
    body = "1850520123456"  # Corsica 2A: computed on 1850519123456
    assert nir_key("18505" + "2A" + "123456") == f"{97 - 1850519123456 % 97:02d}"
    assert nir_valid("185052A123456" + nir_key("185052A123456"))
    assert not nir_valid(body[:5] + "2C" + body[7:] + "00")


def test_finess() -> None:
    assert finess_valid("750712184")
    assert not finess_valid("750712185")
    assert not finess_valid("75071218")
    corsica = "2A0000000"
    for key in "0123456789":
        value = corsica[:8] + key
        assert finess_valid(value) == (luhn_valid("20" + value[2:]) or luhn_valid("19" + value[2:]))


@given(pst.sirets())
def test_generated_sirets_valid(siret: str) -> None:
    assert siret_valid(siret) and siren_valid(siret[:9])


@given(pst.invalid_sirets())
def test_invalid_sirets(siret: str) -> None:
    assert not siret_valid(siret)


@given(
    st.text(alphabet="0123456789", min_size=1, max_size=30), st.integers(0, 29), st.integers(1, 9)
)
def test_luhn_detects_any_single_digit_error(digits: str, pos: int, delta: int) -> None:
    pos %= len(digits)
    changed = digits[:pos] + str((int(digits[pos]) + delta) % 10) + digits[pos + 1 :]
    assert luhn_checksum(digits) != luhn_checksum(changed)


@given(pst.ibans())
def test_generated_ibans_valid(iban: str) -> None:
    assert iban_valid(iban) and len(iban) == 27
    assert rib_valid(iban[4:9], iban[9:14], iban[14:25], iban[25:])


@given(pst.invalid_ibans())
def test_invalid_ibans(iban: str) -> None:
    assert not iban_valid(iban)


@given(st.sampled_from(sorted(IBAN_LENGTHS)), st.data())
def test_check_digits_roundtrip(country: str, data: st.DataObject) -> None:
    alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n = IBAN_LENGTHS[country] - 4
    bban = data.draw(st.text(alphabet=alnum, min_size=n, max_size=n))
    iban = country + iban_check_digits(country, bban) + bban
    assert iban_valid(iban)


@given(pst.bics())
def test_generated_bics(bic: str) -> None:
    assert bic_valid(bic)


@given(pst.invalid_bics())
def test_invalid_bics(bic: str) -> None:
    assert not bic_valid(bic)


@given(pst.ribs())
def test_generated_ribs(rib: tuple[str, str, str, str]) -> None:
    assert rib_valid(*rib)


@given(pst.invalid_ribs())
def test_invalid_ribs(rib: tuple[str, str, str, str]) -> None:
    assert not rib_valid(*rib)


@given(st.integers(0, 2**32))
def test_generated_nir_and_finess(seed: int) -> None:
    import random

    rng = random.Random(seed)
    assert nir_valid(make_nir(rng))
    assert finess_valid(make_finess(rng))


@given(pst.amounts())
def test_amounts_have_two_decimals(amount: object) -> None:
    from decimal import Decimal

    assert isinstance(amount, Decimal) and amount > 0
    assert amount.as_tuple().exponent == -2 and len(amount.as_tuple().digits) <= 14


# -- ORMC keys (Cle1 modulo 11, Cle2 modulo 23) -------------------------------------------


def test_ormc_cle1_worked_example() -> None:
    # CodCol 2, IdBord 5, exercice 2013, période 9, debt number 2013000017 (on 13 digits).
    digits = ormc_cle1_input("2", "5", "13", "9", "2013000017")
    assert digits == "251390002013000017"
    # Read from the end: 7·2 + 1·3 + 3·2 + 1·3 + 2·5 + 9·3 + 3·4 + 1·5 + 5·6 + 2·7 = 124,
    # 124 mod 11 = 3, key 11 − 3 = 8.
    assert ormc_cle1(digits) == "8"


@pytest.mark.parametrize(
    ("digits", "key"),
    [
        ("1", "9"),  # 1·2 = 2 → 11 − 2
        ("11", "6"),  # 1·2 + 1·3 = 5 → 11 − 5
        ("9", "4"),  # 18 mod 11 = 7 → 11 − 7
        ("1000000", "9"),  # the seventh digit from the end weighs 2 again: 1·2
        ("0", "1"),  # remainder 0: 11 becomes 1
        ("", "1"),
        ("6", "1"),  # 12 mod 11 = 1: 10 becomes 1
        ("2A", "5"),  # A counts as 0 and 2 weighs 3: 6 → 11 − 6
    ],
)
def test_ormc_cle1_small_inputs(digits: str, key: str) -> None:
    assert ormc_cle1(digits) == key


def test_ormc_cle2_worked_example() -> None:
    # 13 · 9 · 00 · 0002013000017 = 139000002013000017 = 23 × 6043478348391305 + 2 → C.
    assert ormc_cle2("13", "9", "2013000017") == "C"
    assert ormc_cle2("00", "0", "1") == "B"
    assert ormc_cle2("00", "0", "23") == "A"
    assert ormc_cle2("00", "0", "22") == "Y"


@pytest.mark.parametrize(
    ("year2", "per", "dette"),
    [
        ("2024", "1", "42"),
        ("2", "1", "42"),
        ("24", "", "42"),
        ("24", "12", "42"),
        ("24", "x", "42"),
        ("24", "1", ""),
        ("24", "1", "4.2"),
        ("24", "1", "1234567890123456"),
        ("24", "1", "١٢"),
    ],
)
def test_ormc_keys_refuse_malformed_inputs(year2: str, per: str, dette: str) -> None:
    with pytest.raises(ValueError):
        ormc_cle2(year2, per, dette)
    with pytest.raises(ValueError):
        ormc_cle1_input("123", "5", year2, per, dette)


_YEAR2 = st.text(alphabet="0123456789", min_size=2, max_size=2)
_PER = st.sampled_from("0123456789")


@given(st.text(max_size=40))
def test_ormc_cle1_is_one_digit_never_zero(text: str) -> None:
    assert ormc_cle1(text) in "123456789" and len(ormc_cle1(text)) == 1


@given(st.text(alphabet="0123456789", max_size=30), st.integers(0, 10))
def test_ormc_cle1_leading_zeros_and_non_digits(digits: str, zeros: int) -> None:
    assert ormc_cle1("0" * zeros + digits) == ormc_cle1(digits)
    assert ormc_cle1(digits.replace("0", "X")) == ormc_cle1(digits)


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_ormc_cle1_closes_the_weighted_sum(digits: str) -> None:
    """Written after the digits with weight 1, a key other than 1 makes the weighted
    sum a multiple of 11 (the usual modulo-11 check)."""
    key = int(ormc_cle1(digits))
    weighted = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(digits)))
    assert key == 1 or (weighted + key) % 11 == 0


@given(_YEAR2, _PER, st.integers(1, 10**13 - 24))
def test_ormc_cle2_follows_the_debt_number(year2: str, per: str, dette: int) -> None:
    key = ormc_cle2(year2, per, str(dette))
    assert key in ORMC_CLE2_LETTERS
    assert ormc_cle2(year2, per, str(dette + 23)) == key
    following = ORMC_CLE2_LETTERS[(ORMC_CLE2_LETTERS.index(key) + 1) % 23]
    assert ormc_cle2(year2, per, str(dette + 1)) == following
    assert ormc_cle2(year2, per, str(dette).zfill(13)) == key


@given(_YEAR2, _PER, st.integers(1, 10**13 - 1), st.integers(0, 12), st.integers(1, 9))
def test_ormc_cle2_detects_any_single_digit_error(
    year2: str, per: str, dette: int, pos: int, delta: int
) -> None:
    digits = str(dette).zfill(13)
    changed = digits[:pos] + str((int(digits[pos]) + delta) % 10) + digits[pos + 1 :]
    assert ormc_cle2(year2, per, changed) != ormc_cle2(year2, per, digits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" 0042 ", 42), ("0", 0), ("9" * 100, int("9" * 100)), (None, None), ("", None),
     ("-1", None), ("+1", None), ("1.0", None), ("\u00b2", None), ("\u0661\u0662", None),
     ("9" * 101, None), ("9" * 5000, None)],
)  # fmt: skip
def test_natural_number_reads_ascii_digits_only(text: str | None, expected: int | None) -> None:
    assert natural_number(text) == expected
