"""Turn libxml2 schema-validation messages into findings a treasurer understands."""

from __future__ import annotations

import re

from .findings import Finding
from .rules import structure as S
from .rules.registry import Rule
from .xmlio import SchemaError

_PREFIX = r"^Element '(?:\{[^}]*\})?(?P<element>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: "
_FACET = re.compile(
    _PREFIX + r"\[facet '(?P<facet>\w+)'\] The value '(?P<value>.*?)' (?P<rest>.*)$", re.S
)
_DATATYPE = re.compile(
    _PREFIX + r"'(?P<value>.*?)' is not a valid value of the (?:\w+ )?type '(?P<type>[^']+)'\.",
    re.S,
)
_REQUIRED_ATTRIBUTE = re.compile(
    _PREFIX + r"The attribute '(?P<missing>[^']+)' is required but missing\."
)
_NOT_ALLOWED_ATTRIBUTE = re.compile(_PREFIX + r"The attribute '(?P<extra>[^']+)' is not allowed\.")
_MISSING_CHILD = re.compile(
    _PREFIX + r"Missing child element\(s\)\. Expected is (?:one of )?\( (?P<expected>.*) \)\.", re.S
)
_UNEXPECTED = re.compile(
    _PREFIX
    + r"This element is not expected\.(?: Expected is (?:one of )?\( (?P<expected>.*) \)\.)?",
    re.S,
)
_NO_DECLARATION = re.compile(_PREFIX + r"No matching global declaration")
_DUPLICATE_ID = re.compile(
    _PREFIX + r"(?:.*)[Dd]uplicate (?:key-sequence|ID|value) ?'?(?P<value>[^']*)'?"
)
_ENUMERATION_SET = re.compile(r"is not an element of the set \{(?P<set>.*)\}")
_CLARK = re.compile(r"\{[^}]*\}")

_FACET_WORDS = {
    "length": ("longueur imposée", "required length"),
    "minLength": ("longueur minimale", "minimum length"),
    "maxLength": ("longueur maximale", "maximum length"),
    "pattern": ("format attendu", "expected format"),
    "totalDigits": ("nombre de chiffres", "number of digits"),
    "fractionDigits": ("nombre de décimales", "number of decimals"),
    "minInclusive": ("valeur minimale", "minimum value"),
    "maxInclusive": ("valeur maximale", "maximum value"),
    "minExclusive": ("doit être strictement supérieure", "must be strictly greater"),
    "maxExclusive": ("doit être strictement inférieure", "must be strictly lower"),
}
_TYPE_WORDS = {
    "date": ("date AAAA-MM-JJ attendue", "date YYYY-MM-DD expected"),
    "annee": ("année AAAA attendue", "year YYYY expected"),
    "gyear": ("année AAAA attendue", "year YYYY expected"),
    "montant": ("montant décimal attendu", "decimal amount expected"),
    "decimal": ("nombre décimal attendu", "decimal number expected"),
    "integer": ("nombre entier attendu", "integer expected"),
    "boolean": ("booléen 0/1 attendu", "boolean 0/1 expected"),
    "base64": ("contenu base64 attendu", "base64 content expected"),
    "id": (
        "identifiant XML (xs:ID) attendu : commence par une lettre",
        "XML identifier (xs:ID) expected: starts with a letter",
    ),
}


def _pick(words: tuple[str, str], lang: str) -> str:
    return words[1] if lang == "en" else words[0]


def _expected(text: str | None) -> str:
    if not text:
        return "?"
    return ", ".join(_CLARK.sub("", part.strip()) for part in text.split(","))


def _element_label(element: str, attribute: str | None) -> str:
    return f"{element}/@{attribute}" if attribute else element


def _type_reason(type_name: str, lang: str) -> str:
    lowered = _CLARK.sub("", type_name).lower()
    for key, words in _TYPE_WORDS.items():
        if key in lowered:
            return _pick(words, lang)
    return _CLARK.sub("", type_name)


def _facet_reason(facet: str, rest: str, lang: str) -> str:
    words = _FACET_WORDS.get(facet)
    label = _pick(words, lang) if words else facet
    numbers = re.findall(r"'([^']*)'", rest)
    return (
        f"{label} : {numbers[-1]}"
        if numbers and lang != "en"
        else (f"{label}: {numbers[-1]}" if numbers else label)
    )


def schema_finding(error: SchemaError, lang: str) -> Finding:
    """The finding for one libxml2 schema error, keeping libxml2's message as ``detail``."""
    message = error.message.strip()
    where = {"line": error.line, "xpath": error.xpath, "detail": message}
    rule: Rule = S.XSD_OTHER
    params: dict[str, object] = {}
    value: str | None = None

    if match := _FACET.match(message):
        value = match["value"]
        label = _element_label(match["element"], match["attribute"])
        if match["facet"] == "enumeration":
            members = _ENUMERATION_SET.search(match["rest"])
            rule = S.XSD_ENUMERATION
            params = {"element": label, "expected": members["set"] if members else "?"}
        else:
            rule = S.XSD_VALUE
            params = {
                "element": label,
                "reason": _facet_reason(match["facet"], match["rest"], lang),
            }
    elif match := _DATATYPE.match(message):
        value = match["value"]
        label = _element_label(match["element"], match["attribute"])
        if "xs:ID" in match["type"] and "uplicate" in message:
            rule, params = S.XSD_DUPLICATE_ID, {"element": label}
        else:
            rule = S.XSD_VALUE
            params = {"element": label, "reason": _type_reason(match["type"], lang)}
    elif match := _REQUIRED_ATTRIBUTE.match(message):
        rule = S.XSD_MISSING_ATTRIBUTE
        params = {"element": match["element"], "attribute": match["missing"]}
    elif match := _NOT_ALLOWED_ATTRIBUTE.match(message):
        rule = S.XSD_UNEXPECTED_ATTRIBUTE
        params = {"element": match["element"], "attribute": match["extra"]}
    elif match := _MISSING_CHILD.match(message):
        rule = S.XSD_MISSING_CHILD
        params = {"element": match["element"], "expected": _expected(match["expected"])}
    elif match := _UNEXPECTED.match(message):
        rule = S.XSD_UNEXPECTED
        params = {"element": match["element"], "expected": _expected(match["expected"])}
    elif match := _NO_DECLARATION.match(message):
        rule = S.XSD_NO_DECLARATION
        params = {"element": match["element"]}
    elif match := _DUPLICATE_ID.match(message):
        rule = S.XSD_DUPLICATE_ID
        value = match["value"] or None
        params = {"element": _element_label(match["element"], match["attribute"])}
    else:
        params = {"element": error.element or "?", "reason": message}
    return rule.finding(lang, value=value, **where, **params)  # type: ignore[arg-type]


def dropped_finding(count: int, lang: str) -> Finding:
    """The closing finding when more XSD errors were found than are listed."""
    reason = (
        f"{count} autres erreurs de schéma non listées"
        if lang != "en"
        else f"{count} more schema errors not listed"
    )
    return S.XSD_OTHER.finding(lang, element="…", reason=reason)
