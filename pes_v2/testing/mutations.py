"""Catalogue of single-point defects that turn a correct flow into a known incorrect one.

Each :class:`Mutation` changes one thing and names the rule id that must fire, the
Hélios ACK code it stands for, and (through :func:`mutate`) the XPath of the element
at fault. ``xsd`` mutations break the official XSD; ``business`` ones keep the flow
XSD-valid and break one rule checked after the XSD.
"""

from __future__ import annotations

import base64
import gzip
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from lxml import etree

from ..identifiers import iban_valid, siret_valid
from .xpaths import xpath_of

__all__ = ["MUTATIONS", "Mutation", "MutationResult", "mutate"]

Apply = Callable[[Any, random.Random], list[Any]]
"""``apply(root, rng)`` edits the tree in place and returns the changed elements, the
element at fault first (for a missing child: its parent)."""

SCHEMA = "ERREUR_SCHEMA_INCOMPLET"


@dataclass(frozen=True)
class Mutation:
    """One named defect: the rule that must fire, its ACK code and how to apply it."""

    name: str
    description: str
    rule: str
    ack: str | None
    kind: str
    apply: Apply
    also: tuple[str, ...] = ()
    """Other rule ids that legitimately fire too (the defect is seen by two checks)."""
    structural: bool = False
    """True when the defect adds, removes or moves elements (not only values)."""
    context: Mapping[str, Any] | None = None
    """Hélios-side facts (a ``--context`` mapping) the rule needs to fire, if any."""


@dataclass(frozen=True)
class MutationResult:
    """A mutated flow and where its defect is."""

    name: str
    data: bytes
    xpath: str
    rule: str
    ack: str | None
    kind: str
    also: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    """XPaths of every element changed (business mutations), ``xpath`` first."""
    structural: bool = False
    context: Mapping[str, Any] | None = None


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def mutate(data: bytes, name: str, seed: int = 0) -> MutationResult:
    """Apply mutation ``name`` to the flow ``data``; ``seed`` picks the target among the
    candidates. ``KeyError`` for an unknown name, ``ValueError`` when the flow has no
    suitable target (e.g. ``ids.duplicate_idbord`` needs two bordereaux of one domain)."""
    mutation = MUTATIONS[name]
    tree = etree.ElementTree(etree.fromstring(data, _PARSER))
    encoding = tree.docinfo.encoding or "UTF-8"
    elements = mutation.apply(tree.getroot(), random.Random(seed))
    paths = tuple(xpath_of(el) for el in elements)
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii")
    body = etree.tostring(tree.getroot(), encoding=encoding, xml_declaration=False)
    return MutationResult(
        name=name,
        data=head + body + b"\n",
        xpath=paths[0],
        rule=mutation.rule,
        ack=mutation.ack,
        kind=mutation.kind,
        also=mutation.also,
        changed=paths if mutation.kind == "business" else (),
        structural=mutation.structural,
        context=mutation.context,
    )


# -- helpers -----------------------------------------------------------------------------


def _pick(root: Any, path: str, rng: random.Random, what: str) -> Any:
    found = root.xpath(path)
    if not found:
        raise ValueError(f"the flow has no {what}")
    return rng.choice(found)


def _second(root: Any, path: str, rng: random.Random, what: str) -> tuple[Any, Any]:
    """A random element that has a same-name preceding sibling, and that sibling."""
    found = [
        el
        for el in root.xpath(path)
        if el.getprevious() is not None and el.getprevious().tag == el.tag
    ]
    if not found:
        raise ValueError(f"the flow has no {what}")
    el = rng.choice(found)
    return el, el.getprevious()


def _set(el: Any, value: object) -> list[Any]:
    el.set("V", str(value))
    return [el]


# -- XSD mutations -----------------------------------------------------------------------


def _missing_required(root: Any, rng: random.Random) -> list[Any]:
    parent = _pick(
        root,
        "Enveloppe/Parametres[NomFic] | .//Tiers/Adresse[CodRes]",
        rng,
        "Parametres/NomFic or Adresse/CodRes",
    )
    parent.remove(parent.find("NomFic") if parent.tag == "Parametres" else parent.find("CodRes"))
    return [parent]


def _unexpected_element(root: Any, rng: random.Random) -> list[Any]:
    bloc = _pick(root, ".//Bordereau/BlocBordereau", rng, "bordereau")
    return [etree.SubElement(bloc, "Commentaire", V="Bordereau relu par le service")]


def _out_of_order(root: Any, rng: random.Random) -> list[Any]:
    bloc = _pick(root, ".//Bordereau/BlocBordereau", rng, "bordereau")
    idbord = bloc.find("IdBord")
    bloc.find("Exer").addprevious(idbord)
    return [idbord]


def _bad_date(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//BlocBordereau/DteBordEm", rng, "bordereau")
    return _set(el, el.get("V")[:4] + "-02-30")


def _too_long(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//Tiers/InfoTiers/Nom", rng, "tiers")
    return _set(el, (el.get("V") + " et Associés Réunis du Grand Sud-Ouest")[:45])


def _bad_enumeration(root: Any, rng: random.Random) -> list[Any]:
    return _set(_pick(root, ".//BlocBordereau/TypBord", rng, "bordereau"), "07")


def _missing_v(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//Piece/BlocPiece//IdPce", rng, "piece")
    del el.attrib["V"]
    return [el]


def _duplicate_id(root: Any, rng: random.Random) -> list[Any]:
    bords = root.xpath("*/Bordereau[@Id]")
    if len(bords) < 2:
        raise ValueError("the flow has fewer than two bordereaux with an Id")
    el = rng.choice(bords[1:])
    el.set("Id", bords[0].get("Id"))
    return [el]


# -- business mutations ------------------------------------------------------------------


def _mtbordht_off_by_cent(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//BlocBordereau/MtBordHT | .//BlocBordereau/MtBordHt", rng, "bordereau")
    return _set(el, Decimal(el.get("V")) + Decimal("0.01"))


def _nbrpce_wrong(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//BlocBordereau/NbrPce", rng, "bordereau")
    return _set(el, int(el.get("V")) + 1)


def _duplicate_idbord(root: Any, rng: random.Random) -> list[Any]:
    bord, prev = _second(root, "*/Bordereau", rng, "two bordereaux in one domain")
    return _set(bord.find("BlocBordereau/IdBord"), prev.find("BlocBordereau/IdBord").get("V"))


def _duplicate_idpce(root: Any, rng: random.Random) -> list[Any]:
    piece, prev = _second(root, ".//Bordereau/Piece", rng, "bordereau with two pieces")
    return _set(piece.find("BlocPiece//IdPce"), prev.find("BlocPiece//IdPce").get("V"))


def _duplicate_idligne(root: Any, rng: random.Random) -> list[Any]:
    line, prev = _second(root, ".//Piece/LigneDePiece", rng, "piece with two lines")
    return _set(
        line.find("BlocLignePiece/*/IdLigne"), prev.find("BlocLignePiece/*/IdLigne").get("V")
    )


def _duplicate_idunique_pj(root: Any, rng: random.Random) -> list[Any]:
    pj, prev = _second(root, "PES_PJ/PJ", rng, "two PJ")
    old, new = pj.find("IdUnique").get("V"), prev.find("IdUnique").get("V")
    changed = _set(pj.find("IdUnique"), new)
    for ref in root.xpath(".//PJRef/IdUnique[@V=$v]", v=old):  # keep every PJRef resolved
        changed += _set(ref, new)
    return changed


def _idver_not_2(root: Any, rng: random.Random) -> list[Any]:
    return _set(
        _pick(root, "*/EnTeteDepense/IdVer | */EnTeteRecette/IdVer", rng, "dépense or recette"), 1
    )


def _siret_bad_luhn(root: Any, rng: random.Random) -> list[Any]:
    el = root.find("EnTetePES/IdColl")
    siret = el.get("V")
    bad = siret[:-1] + str((int(siret[-1]) + 1 + rng.randint(0, 8)) % 10)
    while siret_valid(bad):  # only La Poste's digit-sum rule could accept it
        bad = bad[:-1] + str((int(bad[-1]) + 1) % 10)
    return _set(el, bad)


def _iban_bad_checksum(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//CpteBancaire/IBAN", rng, "IBAN")
    iban = el.get("V")
    digits = int(iban[2:4])
    for delta in range(1 + rng.randint(0, 50), 200):
        bad = f"{iban[:2]}{(digits + delta) % 100:02d}{iban[4:]}"
        if not iban_valid(bad):
            return _set(el, bad)
    raise AssertionError("unreachable")  # pragma: no cover


def _bic_lowercase(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//CpteBancaire/BIC", rng, "BIC")
    return _set(el, el.get("V").lower())


def _fichier(root: Any, rng: random.Random) -> Any:
    return _pick(root, "PES_PJ/PJ/Contenu/Fichier", rng, "PJ")


def _pj_not_gzip(root: Any, rng: random.Random) -> list[Any]:
    el = _fichier(root, rng)
    raw = gzip.decompress(base64.b64decode(el.text))
    el.text = "\n" + base64.encodebytes(raw).decode("ascii")
    return [el]


def _pj_bad_base64(root: Any, rng: random.Random) -> list[Any]:
    el = _fichier(root, rng)
    text = el.text
    cut = text.index("\n", 1) if "\n" in text[1:] else len(text) // 2
    el.text = text[:cut] + "!" + text[cut:]
    return [el]


def _dangling_pjref(root: Any, rng: random.Random) -> list[Any]:
    el = _pick(root, ".//PJRef[Support/@V='01']/IdUnique", rng, "PJRef")
    known = set(root.xpath("PES_PJ/PJ/IdUnique/@V"))
    n = rng.randint(1, 99_999_999)
    while f"INCONNU{n:08d}" in known:
        n += 1
    return _set(el, f"INCONNU{n:08d}")


def _m(
    name: str,
    description: str,
    rule: str,
    ack: str | None,
    kind: str,
    apply: Apply,
    also: tuple[str, ...] = (),
) -> tuple[str, Mutation]:
    return name, Mutation(name, description, rule, ack, kind, apply, also)


_CORE: list[tuple[str, Mutation]] = [
    _m(
        "xsd.missing_required",
        "A required last child is removed (Parametres/NomFic or "
        "Adresse/CodRes); the XPath is the parent missing it.",
        "PES-XSD-002",
        SCHEMA,
        "xsd",
        _missing_required,
    ),
    _m(
        "xsd.unexpected_element",
        "An unknown element Commentaire is appended to a BlocBordereau.",
        "PES-XSD-003",
        SCHEMA,
        "xsd",
        _unexpected_element,
    ),
    _m(
        "xsd.out_of_order",
        "IdBord is moved before Exer in a BlocBordereau.",
        "PES-XSD-003",
        SCHEMA,
        "xsd",
        _out_of_order,
    ),
    _m(
        "xsd.bad_date",
        "DteBordEm is set to 30 February.",
        "PES-XSD-001",
        SCHEMA,
        "xsd",
        _bad_date,
    ),
    _m(
        "xsd.too_long",
        "A tiers Nom is made 45 characters long (Base_Texte38).",
        "PES-XSD-001",
        SCHEMA,
        "xsd",
        _too_long,
    ),
    _m(
        "xsd.bad_enumeration",
        "TypBord is set to 07, outside its code list.",
        "PES-XSD-007",
        "ERREUR_CODIFICATION",
        "xsd",
        _bad_enumeration,
    ),
    _m(
        "xsd.missing_v_attribute",
        "The V attribute of an IdPce is removed.",
        "PES-XSD-004",
        SCHEMA,
        "xsd",
        _missing_v,
    ),
    _m(
        "xsd.duplicate_id",
        "A Bordereau gets the Id of the first bordereau (xs:ID).",
        "PES-XSD-005",
        SCHEMA,
        "xsd",
        _duplicate_id,
    ),
    _m(
        "bic.lowercase",
        "A BIC is written in lower case. The official XSD pattern already "
        "refuses it, so the XSD rule fires as well as the bank rule.",
        "PES-XSD-001",
        SCHEMA,
        "xsd",
        _bic_lowercase,
        also=("PES-BNK-002",),
    ),
    _m(
        "totals.mtbordht_off_by_cent",
        "MtBordHT (MtBordHt in recette) is one cent above the sum of the lines' MtHT.",
        "PES-TOT-001",
        "ERREUR_CUMUL_MONTANTS",
        "business",
        _mtbordht_off_by_cent,
    ),
    _m(
        "totals.nbrpce_wrong",
        "NbrPce is one more than the number of pieces.",
        "PES-TOT-002",
        "ERREUR_CUMUL_MONTANTS",
        "business",
        _nbrpce_wrong,
    ),
    _m(
        "ids.duplicate_idbord",
        "A bordereau reuses the IdBord of the previous one (same Exer and TypBord).",
        "PES-DUP-001",
        "ERREUR_DOUBLON_BORDEREAU",
        "business",
        _duplicate_idbord,
    ),
    _m(
        "ids.duplicate_idpce",
        "A piece reuses the IdPce of the previous piece of its bordereau.",
        "PES-DUP-002",
        "ERREUR_DOUBLON_PIECE",
        "business",
        _duplicate_idpce,
    ),
    _m(
        "ids.duplicate_idligne",
        "A line reuses the IdLigne of the previous line of its piece.",
        "PES-DUP-003",
        "ERREUR_DOUBLON_LIGNE",
        "business",
        _duplicate_idligne,
    ),
    _m(
        "ids.duplicate_idunique_pj",
        "A PJ reuses the IdUnique of the previous PJ (its PJRef "
        "follows, so every reference still resolves).",
        "PES-DUP-004",
        "ERREUR_DOUBLON_PJ",
        "business",
        _duplicate_idunique_pj,
    ),
    _m(
        "header.idver_not_2",
        "EnTeteDepense (or EnTeteRecette) IdVer is 1.",
        "PES-HDR-002",
        "ERREUR_VERSION_PES",
        "business",
        _idver_not_2,
    ),
    _m(
        "siret.bad_luhn",
        "The last digit of EnTetePES/IdColl is changed: the SIRET fails its Luhn key.",
        "PES-HDR-001",
        "ERREUR_SIRET",
        "business",
        _siret_bad_luhn,
    ),
    _m(
        "iban.bad_checksum",
        "The check digits of an IBAN are changed (mod 97 fails).",
        "PES-BNK-001",
        "ERREUR_AUTRE",
        "business",
        _iban_bad_checksum,
    ),
    _m(
        "pj.not_gzip",
        "A PJ content is base64 of the raw file, without gzip.",
        "PES-PJ-002",
        "ERREUR_PJ",
        "business",
        _pj_not_gzip,
    ),
    _m(
        "pj.bad_base64",
        "A '!' is inserted in a PJ's base64 text. libxml2 skips characters "
        "outside the alphabet, so the official XSD still passes with lxml (a strict XSD "
        "processor such as xmlschema refuses it).",
        "PES-PJ-001",
        "ERREUR_PJ",
        "business",
        _pj_bad_base64,
    ),
    _m(
        "pj.dangling_pjref",
        "A PJRef (Support 01) points to an IdUnique that no PJ has.",
        "PES-PJ-003",
        "ERREUR_PJ",
        "business",
        _dangling_pjref,
    ),
]

# Mutations written with each group of business rules live in their own modules, which
# import the helpers above; they are merged here, after the core ones.
from . import (  # noqa: E402
    mutations_business,
    mutations_header,
    mutations_ormc,
    mutations_pj,
    mutations_signature,
    mutations_totals,
)

MUTATIONS: Mapping[str, Mutation] = MappingProxyType(
    dict(
        _CORE
        + [
            (mutation.name, mutation)
            for module in (
                mutations_header,
                mutations_totals,
                mutations_pj,
                mutations_business,
                mutations_ormc,
                mutations_signature,
            )
            for mutation in module.EXTRA
        ]
    )
)
"""Every mutation by name, in a stable order (XSD ones first)."""
