"""Check-digit algorithms of the identifiers carried by PES V2 flows (pes-rules §7).

Every function is pure and total: a malformed input (wrong length, wrong characters,
``None``-like empty string) gives ``False`` (validators) or raises ``ValueError``
(key computations, whose input must be well-formed).
"""

from __future__ import annotations

import re
import string

__all__ = [
    "IBAN_LENGTHS",
    "bic_valid",
    "finess_valid",
    "iban_check_digits",
    "iban_valid",
    "luhn_checksum",
    "luhn_valid",
    "nir_key",
    "nir_valid",
    "rib_key",
    "rib_valid",
    "siren_valid",
    "siret_valid",
]

LA_POSTE_SIREN = "356000000"
"""La Poste's SIREN: its SIRETs do not follow Luhn but have a digit sum divisible by 5."""
LA_POSTE_HEAD_OFFICE = "35600000000048"
"""La Poste's head office: its SIRET follows Luhn, unlike its establishments'."""

IBAN_LENGTHS: dict[str, int] = {
    # SEPA members (EPC list) and associated territories.
    "AD": 24,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "VA": 22,
    "GG": 22,
    "JE": 22,
    "IM": 22,
    "AX": 18,
    "FO": 18,
    "GL": 18,
    # French overseas departments and collectivities (same format as FR).
    "GF": 27,
    "GP": 27,
    "MQ": 27,
    "RE": 27,
    "YT": 27,
    "PM": 27,
    "BL": 27,
    "MF": 27,
    "NC": 27,
    "PF": 27,
    "WF": 27,
    "TF": 27,
    # A few frequent non-SEPA partners.
    "AL": 28,
    "BA": 20,
    "ME": 22,
    "MK": 19,
    "RS": 22,
    "TR": 26,
    "MA": 28,
    "TN": 24,
    "DZ": 26,
    "SN": 28,
    "CI": 28,
    "UA": 29,
    "IL": 23,
    "AE": 23,
    "SA": 24,
    "BR": 29,
}
"""Length of a full IBAN per ISO 3166 country code (ISO 13616 registry)."""

_BIC_RE = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")
_IBAN_RE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_ALNUM_UPPER = frozenset(string.digits + string.ascii_uppercase)
# French RIB letter conversion: A/J -> 1, B/K/S -> 2, ... I/R/Z -> 9.
_RIB_LETTERS = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "12345678912345678923456789",
)


def natural_number(text: str | None, max_digits: int = 100) -> int | None:
    """``text`` (stripped) as a non-negative integer when it is ASCII digits, at most
    ``max_digits`` of them; else None.  ``str.isdigit()`` accepts ``²`` and other scripts'
    digits, and ``int()`` refuses more than 4,300 digits: neither may stop a validation."""
    if text is None:
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > max_digits:
        return None
    return int(text)


def luhn_checksum(digits: str) -> int:
    """Return the Luhn sum modulo 10 of a string of digits (0 means valid)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` is a non-empty string of ASCII digits with a valid Luhn key."""
    return bool(digits) and digits.isascii() and digits.isdigit() and luhn_checksum(digits) == 0


def siren_valid(siren: str) -> bool:
    """True for a 9-digit SIREN with a valid Luhn key (000000000, which Luhn passes, is a
    placeholder INSEE never gives)."""
    return len(siren) == 9 and luhn_valid(siren) and siren != "000000000"


def siret_valid(siret: str) -> bool:
    """True for a 14-digit SIRET: Luhn on 14 digits plus a valid SIREN.

    La Poste establishments (SIREN 356000000) are the known INSEE exception: their
    SIRETs are valid when the sum of the 14 digits is a multiple of 5, except the head
    office's, 35600000000048, which follows Luhn.
    """
    if len(siret) != 14 or not (siret.isascii() and siret.isdigit()):
        return False
    if siret.startswith(LA_POSTE_SIREN) and siret != LA_POSTE_HEAD_OFFICE:
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_checksum(siret) == 0 and siren_valid(siret[:9])


_LETTER_VALUES = {chr(code): str(code - 55) for code in range(ord("A"), ord("Z") + 1)}
_IBAN_LETTERS = str.maketrans(_LETTER_VALUES)
"""ISO 13616: A=10 … Z=35."""


def _iban_numeric(rearranged: str) -> int:
    return int(rearranged.translate(_IBAN_LETTERS))


def iban_check_digits(country: str, bban: str) -> str:
    """Return the two ISO 13616 check digits for ``country`` + ``bban`` (upper case)."""
    if not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):
        raise ValueError(f"bad country code {country!r}")
    if not bban or not set(bban) <= _ALNUM_UPPER:
        raise ValueError(f"bad BBAN {bban!r}")
    return f"{98 - _iban_numeric(bban + country + '00') % 97:02d}"


def iban_valid(iban: str, *, known_countries_only: bool = True) -> bool:
    """True for an upper-case IBAN without spaces whose mod-97 checksum is 1.

    The length must match :data:`IBAN_LENGTHS`; with ``known_countries_only=False`` an
    unlisted country is accepted on its checksum alone (15 to 34 characters).
    """
    if not _IBAN_RE.fullmatch(iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is None:
        if known_countries_only or not 15 <= len(iban) <= 34:
            return False
    elif len(iban) != expected:
        return False
    bban, country = iban[4:], iban[:2]
    if bban.isdigit():  # the usual case: only the country code needs converting
        number = int(bban + _LETTER_VALUES[country[0]] + _LETTER_VALUES[country[1]] + iban[2:4])
    else:
        number = _iban_numeric(bban + iban[:4])
    return number % 97 == 1


def bic_valid(bic: str) -> bool:
    """True for an ISO 9362 BIC of 8 or 11 upper-case characters (the PES XSD shape)."""
    return _BIC_RE.fullmatch(bic) is not None


def _rib_number(part: str, length: int) -> int:
    if len(part) != length or not set(part.upper()) <= _ALNUM_UPPER:
        raise ValueError(f"bad RIB part {part!r} (expected {length} alphanumerics)")
    return int(part.upper().translate(_RIB_LETTERS))


def rib_key(bank: str, branch: str, account: str) -> str:
    """Return the 2-digit French RIB key of code banque (5), code guichet (5), compte (11)."""
    b, g, c = _rib_number(bank, 5), _rib_number(branch, 5), _rib_number(account, 11)
    return f"{97 - (89 * b + 15 * g + 3 * c) % 97:02d}"


def rib_valid(bank: str, branch: str, account: str, key: str) -> bool:
    """True when ``key`` is the RIB key of the other three parts (``1`` or ``01``: CleRib is
    a Num2_Light, one or two digits)."""
    if not (1 <= len(key) <= 2 and key.isascii() and key.isdigit()):
        return False
    try:
        return key.zfill(2) == rib_key(bank, branch, account)
    except ValueError:
        return False


def finess_valid(finess: str) -> bool:
    """True for a 9-character FINESS number with a valid Luhn key.

    The key algorithm is not published in the PES sources (pes-rules §10.12); this is
    the usual Luhn on the 9 characters. For Corsica (``2A``/``2B`` prefix) the handling
    is unknown too, so both substitutions in use are accepted: ``2A``/``2B`` → ``20``,
    and the INSEE NIR convention ``2A`` → ``19``, ``2B`` → ``18``.
    """
    if len(finess) != 9 or not finess.isascii():
        return False
    if finess[:2] in ("2A", "2B"):
        rest = finess[2:]
        nir_style = "19" if finess[1] == "A" else "18"
        return luhn_valid("20" + rest) or luhn_valid(nir_style + rest)
    return luhn_valid(finess)


def _nir_number(first13: str) -> int:
    if len(first13) != 13 or not first13.isascii():
        raise ValueError(f"bad NIR body {first13!r}")
    dept = first13[5:7]
    if dept in ("2A", "2B"):
        first13 = first13[:5] + ("19" if dept == "2A" else "18") + first13[7:]
    if not first13.isdigit():
        raise ValueError(f"bad NIR body {first13!r}")
    return int(first13)


def nir_key(first13: str) -> str:
    """Return the 2-digit NIR key: 97 − (number mod 97); Corsica 2A → 19, 2B → 18."""
    return f"{97 - _nir_number(first13) % 97:02d}"


def nir_valid(nir: str) -> bool:
    """True for a 15-character NIR (13 characters + 2-digit key) with a valid key."""
    if len(nir) != 15:
        return False
    try:
        return nir[13:] == nir_key(nir[:13])
    except ValueError:
        return False


# -- ORMC article keys (recette BlocPiece Cle1 and Cle2, pes-rules §7, §10.11) -------------

ORMC_CLE2_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"
"""The 23 letters of the ORMC modulo-23 key (no I, O or Z), for remainders 0 to 22."""

_ASCII_DIGITS = frozenset(string.digits)


def _ormc_parts(year2: str, per: str, num_dette: str) -> str:
    """Check the common key inputs; return the debt number zero-padded to 13 digits."""
    if len(year2) != 2 or not set(year2) <= _ASCII_DIGITS:
        raise ValueError(f"bad 2-digit year {year2!r}")
    if len(per) != 1 or per not in _ASCII_DIGITS:
        raise ValueError(f"bad période {per!r} (one digit)")
    if not 1 <= len(num_dette) <= 15 or not set(num_dette) <= _ASCII_DIGITS:
        raise ValueError(f"bad debt number {num_dette!r} (1 to 15 digits)")
    return num_dette.zfill(13)


def ormc_cle2(year2: str, per: str, num_dette: str) -> str:
    """Return the ORMC modulo-23 key (``Cle2``): a letter of :data:`ORMC_CLE2_LETTERS`.

    N is the number written as the 2-digit year, the période, ``00`` and the debt number
    zero-padded to 13 digits; the key is the letter of rank ``N mod 23`` (0 gives ``A``).
    ``ValueError`` when ``year2`` is not 2 digits, ``per`` not 1 digit or ``num_dette``
    not 1 to 15 digits.
    """
    dette = _ormc_parts(year2, per, num_dette)
    return ORMC_CLE2_LETTERS[int(year2 + per + "00" + dette) % 23]


def ormc_cle1(digits: str) -> str:
    """Return the ORMC modulo-11 key (``Cle1``) of ``digits``, as one digit from 1 to 9.

    The string is read from its end with weights 2, 3, 4, 5, 6, 7 repeating; any
    character other than an ASCII digit counts as 0. The key is 11 − (sum mod 11), and
    the two values above 9 (remainders 0 and 1) both give 1. Total: any string has a key.
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        if ch in _ASCII_DIGITS:
            total += (ord(ch) - 48) * (2 + i % 6)
    key = 11 - total % 11
    return "1" if key > 9 else str(key)


def ormc_cle1_input(codcol: str, code: str, year2: str, per: str, num_dette: str) -> str:
    """The string ``Cle1`` is computed over: ``codcol + code + year2 + per`` and the debt
    number zero-padded to 13 digits.

    Which ``code`` goes in the middle is open (pes-rules §10.11): the XSD says the code
    nature, one implementation uses IdBord (the rôle number). ``ValueError`` on the same
    malformed inputs as :func:`ormc_cle2`.
    """
    return codcol + code + year2 + per + _ormc_parts(year2, per, num_dette)


__all__ += ["ORMC_CLE2_LETTERS", "ormc_cle1", "ormc_cle1_input", "ormc_cle2"]
