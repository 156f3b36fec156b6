/* Identifier checks on a value's UTF-8 bytes, for the compiled probes (_probes.c).
 *
 * Each function answers 1 when the value is certainly valid as pes_v2/identifiers.py
 * defines it, and 0 otherwise: invalid, or not plain ASCII (Python's str.upper() and len()
 * then differ from byte-wise ones, so the Python code decides). A 0 only sends the rule to
 * its Python path, which finds what is wrong; a 1 must never be given to a value the
 * Python function refuses: tests/test_value_checks.py compares both on generated values.
 */
#ifndef PES_V2_IDENTIFIERS_H
#define PES_V2_IDENTIFIERS_H

#include <stddef.h>
#include <string.h>

enum {
    CHECK_IBAN = 0,       /* iban_valid(value.upper(), known_countries_only=False) */
    CHECK_IBAN_UPPER = 1, /* value == value.upper() */
    CHECK_BIC = 2,        /* bic_valid(value) */
    CHECK_SIRET = 3,      /* siret_valid(value) */
    CHECK_SIREN = 4,      /* siren_valid(value) */
    CHECK_FINESS = 5,     /* finess_valid(value) */
    CHECK_NIR = 6,        /* nir_valid(value) */
    CHECK_RIB = 7,        /* rib_valid(bank, branch, account, key): four values */
    CHECK_KINDS = 8,
};

/* Full IBAN length by country (26 × 26 upper-case letter pairs; 0: not listed), given by
 * identifiers.IBAN_LENGTHS at import; no IBAN is found valid before it is set. */
static unsigned char iban_lengths[26 * 26];
static int iban_lengths_set = 0;

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int
is_ascii(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        if ((unsigned char)text[i] >= 0x80) {
            return 0;
        }
    }
    return 1;
}

static int
all_digits(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        if (!is_digit(text[i])) {
            return 0;
        }
    }
    return 1;
}

/* Luhn sum modulo 10 of ASCII digits (identifiers.luhn_checksum). */
static int
luhn_sum(const char *digits, size_t length)
{
    int total = 0;
    for (size_t i = 0; i < length; i++) {
        int digit = digits[length - 1 - i] - '0';
        if (i % 2) {
            digit *= 2;
            if (digit > 9) {
                digit -= 9;
            }
        }
        total += digit;
    }
    return total % 10;
}

/* identifiers.luhn_valid: non-empty, ASCII digits, Luhn sum 0. */
static int
luhn_ok(const char *digits, size_t length)
{
    return length > 0 && all_digits(digits, length) && luhn_sum(digits, length) == 0;
}

static int
siren_ok(const char *text, size_t length)
{
    return length == 9 && luhn_ok(text, length) && memcmp(text, "000000000", 9) != 0;
}

static int
siret_ok(const char *text, size_t length)
{
    if (length != 14 || !all_digits(text, length)) {
        return 0;
    }
    if (memcmp(text, "356000000", 9) == 0 && memcmp(text, "35600000000048", 14) != 0) {
        int total = 0; /* La Poste's establishments: the digits add up to a multiple of 5 */
        for (size_t i = 0; i < length; i++) {
            total += text[i] - '0';
        }
        return total % 5 == 0;
    }
    return luhn_sum(text, length) == 0 && siren_ok(text, 9);
}

static int
finess_ok(const char *text, size_t length)
{
    if (length != 9) {
        return 0;
    }
    if (text[0] == '2' && (text[1] == 'A' || text[1] == 'B')) {
        char substituted[9];
        memcpy(substituted, text, 9);
        substituted[0] = '2';
        substituted[1] = '0';
        if (luhn_ok(substituted, 9)) {
            return 1;
        }
        substituted[0] = '1';
        substituted[1] = text[1] == 'A' ? '9' : '8';
        return luhn_ok(substituted, 9);
    }
    return luhn_ok(text, 9);
}

static int
nir_ok(const char *text, size_t length)
{
    if (length != 15) {
        return 0;
    }
    long long number = 0;
    for (size_t i = 0; i < 13; i++) {
        char c = text[i];
        if (i == 5 && c == '2' && (text[6] == 'A' || text[6] == 'B')) {
            number = number * 100 + (text[6] == 'A' ? 19 : 18); /* Corsica */
            i++;
            continue;
        }
        if (!is_digit(c)) {
            return 0;
        }
        number = number * 10 + (c - '0');
    }
    int key = 97 - (int)(number % 97);
    return text[13] == '0' + key / 10 && text[14] == '0' + key % 10;
}

static char
upper_of(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* iban_valid(value.upper(), known_countries_only=False): [A-Z]{2}[0-9]{2}[A-Z0-9]{1,30},
 * the listed length of its country (else 15 to 34 characters), mod 97 equal to 1. */
static int
iban_ok(const char *text, size_t length)
{
    if (!iban_lengths_set || length < 5 || length > 34) {
        return 0;
    }
    char country0 = upper_of(text[0]), country1 = upper_of(text[1]);
    if (!is_upper(country0) || !is_upper(country1) || !is_digit(text[2]) || !is_digit(text[3])) {
        return 0;
    }
    size_t expected = iban_lengths[(country0 - 'A') * 26 + (country1 - 'A')];
    if (expected ? length != expected : length < 15) {
        return 0;
    }
    int remainder = 0;
    for (size_t k = 0; k < length; k++) {
        char c = upper_of(text[(k + 4) % length]); /* the BBAN, then the first four */
        if (is_digit(c)) {
            remainder = (remainder * 10 + (c - '0')) % 97;
        } else if (is_upper(c)) {
            remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
        } else {
            return 0;
        }
    }
    return remainder == 1;
}

static int
iban_upper_ok(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        if (text[i] >= 'a' && text[i] <= 'z') {
            return 0;
        }
    }
    return 1;
}

/* identifiers.bic_valid: [A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})? */
static int
bic_ok(const char *text, size_t length)
{
    if (length != 8 && length != 11) {
        return 0;
    }
    for (size_t i = 0; i < 6; i++) {
        if (!is_upper(text[i])) {
            return 0;
        }
    }
    if (!is_upper(text[6]) && !(text[6] >= '2' && text[6] <= '9')) {
        return 0;
    }
    if (!(is_upper(text[7]) && text[7] != 'O') && !is_digit(text[7])) {
        return 0;
    }
    for (size_t i = 8; i < length; i++) {
        if (!is_upper(text[i]) && !is_digit(text[i])) {
            return 0;
        }
    }
    return 1;
}

/* A RIB part as identifiers._rib_number reads it (letters: A/J → 1, B/K/S → 2 … I/R/Z →
 * 9, either case), or -1 when it is not `length` alphanumerics. */
static long long
rib_number(const char *text, size_t length, size_t expected)
{
    static const char letters[] = "12345678912345678923456789";
    if (length != expected) {
        return -1;
    }
    long long number = 0;
    for (size_t i = 0; i < length; i++) {
        char c = upper_of(text[i]);
        int digit;
        if (is_digit(c)) {
            digit = c - '0';
        } else if (is_upper(c)) {
            digit = letters[c - 'A'] - '0';
        } else {
            return -1;
        }
        number = number * 10 + digit;
    }
    return number;
}

/* identifiers.rib_valid(bank, branch, account, key). */
static int
rib_ok(const char *const texts[4], const size_t lengths[4])
{
    const char *key = texts[3];
    size_t key_length = lengths[3];
    if (key_length < 1 || key_length > 2 || !all_digits(key, key_length)) {
        return 0;
    }
    long long bank = rib_number(texts[0], lengths[0], 5);
    long long branch = rib_number(texts[1], lengths[1], 5);
    long long account = rib_number(texts[2], lengths[2], 11);
    if (bank < 0 || branch < 0 || account < 0) {
        return 0;
    }
    int expected = 97 - (int)((89 * bank + 15 * branch + 3 * account) % 97);
    int given = key_length == 1 ? key[0] - '0' : (key[0] - '0') * 10 + (key[1] - '0');
    return given == expected;
}

/* Whether `text` passes the check of `kind` (one value; CHECK_RIB takes four). */
static int
value_ok(int kind, const char *text, size_t length)
{
    if (!is_ascii(text, length)) {
        return 0;
    }
    switch (kind) {
    case CHECK_IBAN:
        return iban_ok(text, length);
    case CHECK_IBAN_UPPER:
        return iban_upper_ok(text, length);
    case CHECK_BIC:
        return bic_ok(text, length);
    case CHECK_SIRET:
        return siret_ok(text, length);
    case CHECK_SIREN:
        return siren_ok(text, length);
    case CHECK_FINESS:
        return finess_ok(text, length);
    case CHECK_NIR:
        return nir_ok(text, length);
    default:
        return 0;
    }
}

static int
values_ok(int kind, const char *const texts[], const size_t lengths[], size_t count)
{
    if (kind == CHECK_RIB) {
        if (count != 4) {
            return 0;
        }
        for (size_t i = 0; i < 4; i++) {
            if (!is_ascii(texts[i], lengths[i])) {
                return 0;
            }
        }
        return rib_ok(texts, lengths);
    }
    return count == 1 && value_ok(kind, texts[0], lengths[0]);
}

/* A plain decimal as Decimal reads it: an optional sign, ASCII digits (at most 12 once
 * leading zeros are dropped), optionally a point and at most 6 digits; anything else (a
 * space, an exponent, a comma, a leading point…) is left to Python. Sets the value times
 * 10^6 and the number of digits written after the point. */
#define DECIMAL_SCALE 6
static const long long POWERS_OF_TEN[DECIMAL_SCALE + 1] = {1,     10,     100,    1000,
                                                           10000, 100000, 1000000};

static int
plain_decimal(const char *text, long long *scaled, int *fraction_digits)
{
    size_t i = 0;
    int negative = text[0] == '-';
    if (text[0] == '+' || text[0] == '-') {
        i++;
    }
    long long whole = 0;
    int digits = 0, significant = 0;
    for (; is_digit(text[i]); i++, digits++) {
        if (significant || text[i] != '0') {
            if (++significant > 12) {
                return 0;
            }
        }
        whole = whole * 10 + (text[i] - '0');
    }
    if (digits == 0) {
        return 0;
    }
    long long fraction = 0;
    int written = 0;
    if (text[i] == '.') {
        for (i++; is_digit(text[i]); i++, written++) {
            if (written == DECIMAL_SCALE) {
                return 0;
            }
            fraction = fraction * 10 + (text[i] - '0');
        }
    }
    if (text[i] != '\0') {
        return 0;
    }
    long long value = whole * POWERS_OF_TEN[DECIMAL_SCALE]
                      + fraction * POWERS_OF_TEN[DECIMAL_SCALE - written];
    *scaled = negative ? -value : value;
    *fraction_digits = written;
    return 1;
}

#endif
