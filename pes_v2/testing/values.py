"""Realistic French values and generators of valid identifiers for synthetic flows.

Every ``make_*`` function takes a :class:`random.Random` so that callers stay
deterministic. The values are valid by construction (see :mod:`pes_v2.identifiers`).
"""

from __future__ import annotations

import random
import string
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from ..identifiers import iban_check_digits, luhn_checksum, nir_key, rib_key

__all__ = [
    "BANKS",
    "COMMUNES",
    "Bank",
    "Commune",
    "commune_siren",
    "make_amount",
    "make_bic",
    "make_finess",
    "make_iban_fr",
    "make_nir",
    "make_rib",
    "make_siren",
    "make_siret",
    "vat",
]

CENT = Decimal("0.01")


class Commune(NamedTuple):
    """A French commune: name, postal code, INSEE department and commune number."""

    name: str
    cp: str
    dept: str
    insee: str


class Bank(NamedTuple):
    """A French bank: code établissement and a BIC of that bank."""

    code: str
    bic: str


COMMUNES: tuple[Commune, ...] = (
    Commune("Céret", "66400", "66", "049"),
    Commune("Saint-Étienne", "42000", "42", "218"),
    Commune("Besançon", "25000", "25", "056"),
    Commune("Orléans", "45000", "45", "234"),
    Commune("Nîmes", "30000", "30", "189"),
    Commune("Évreux", "27000", "27", "229"),
    Commune("Pézenas", "34120", "34", "199"),
    Commune("Sète", "34200", "34", "301"),
    Commune("Béziers", "34500", "34", "032"),
    Commune("Mâcon", "71000", "71", "270"),
    Commune("Angoulême", "16000", "16", "015"),
    Commune("Châteauroux", "36000", "36", "044"),
    Commune("Fréjus", "83600", "83", "061"),
    Commune("Hyères", "83400", "83", "069"),
    Commune("Périgueux", "24000", "24", "322"),
    Commune("Épinal", "88000", "88", "160"),
    Commune("Ploërmel", "56800", "56", "165"),
    Commune("Vénissieux", "69200", "69", "259"),
    Commune("Sainte-Geneviève-des-Bois", "91700", "91", "549"),
    Commune("L'Haÿ-les-Roses", "94240", "94", "038"),
)

BANKS: tuple[Bank, ...] = (
    Bank("30001", "BDFEFRPPCCT"),
    Bank("30002", "CRLYFRPPXXX"),
    Bank("30003", "SOGEFRPPXXX"),
    Bank("30004", "BNPAFRPPXXX"),
    Bank("20041", "PSSTFRPPMON"),
    Bank("10278", "CMCIFR2A"),
    Bank("11315", "CEPAFRPP131"),
    Bank("13335", "CEPAFRPP333"),
    Bank("16607", "CCBPFRPPPPG"),
    Bank("17206", "AGRIFRPP872"),
)

FIRST_NAMES = (
    "Élodie",
    "François",
    "Hélène",
    "Jérôme",
    "Gaëlle",
    "Loïc",
    "Noël",
    "Anaïs",
    "Thérèse",
    "René",
    "Cécile",
    "Raphaël",
    "Zoé",
    "Benoît",
    "Mélanie",
    "Joël",
    "Clémence",
    "Aurélien",
)
LAST_NAMES = (
    "Lefèvre",
    "Ménard",
    "Côté",
    "Gérard",
    "Dupré",
    "Brûlé",
    "Vidal",
    "Garnier",
    "Thébault",
    "Lemaître",
    "Férec",
    "Rivière",
    "Bézier",
    "Duchêne",
    "Mercier",
    "Lacôte",
    "Castaño",
)
COMPANIES = (
    "Boulangerie Pâtisserie Lefèvre",
    "Électricité Générale du Béarn",
    "Société des Eaux de l'Hérault",
    "Bâtiment Rénovation Côte d'Azur",
    "Librairie Le Grenier à Sel",
    "Transports Frères Gauthier",
    "Imprimerie Nîmoise",
    "Espaces Verts de la Sèvre",
    "Traiteur Les Délices d'Hélène",
    "Quincaillerie Médard",
)
ASSOCIATIONS = (
    "Association Sportive Châtillonnaise",
    "Comité des Fêtes de Pézenas",
    "Les Amis de la Bibliothèque",
    "Foyer Rural de Saint-Cyprien",
)
STREETS = (
    "rue de l'Église",
    "avenue du Général-de-Gaulle",
    "place de la Mairie",
    "chemin des Écoliers",
    "boulevard Gambetta",
    "impasse des Peupliers",
    "rue Émile-Zola",
    "allée des Châtaigniers",
    "route de Béziers",
    "quai de la Tournelle",
)


def _luhn_complete(body: str) -> str:
    """Append the digit that makes ``body`` Luhn-valid."""
    for d in string.digits:
        if luhn_checksum(body + d) == 0:
            return body + d
    raise AssertionError("unreachable")  # pragma: no cover


def make_siren(rng: random.Random, *, public: bool = False, prefix: str | None = None) -> str:
    """Return a Luhn-valid SIREN; ``public`` starts it with 2 (collectivités)."""
    if prefix is None:
        prefix = str(rng.choice("12") if public else rng.randint(3, 9))
    body = prefix + "".join(rng.choice(string.digits) for _ in range(8 - len(prefix)))
    return _luhn_complete(body)


def make_siret(rng: random.Random, siren: str | None = None) -> str:
    """Return a valid SIRET (Luhn on 14 digits), optionally for a given SIREN."""
    siren = siren or make_siren(rng)
    return _luhn_complete(siren + f"{rng.randint(1, 999):04d}")


def commune_siren(commune: Commune) -> str:
    """SIREN in the usual commune form: 21 + department + commune number + key."""
    return _luhn_complete(f"21{commune.dept}0{commune.insee}")


def make_rib(rng: random.Random, bank: str | None = None) -> tuple[str, str, str, str]:
    """Return (code banque, code guichet, n° de compte, clé) with a valid RIB key."""
    bank = bank or rng.choice(BANKS).code
    branch = f"{rng.randint(1, 99999):05d}"
    account = "".join(rng.choice(string.digits) for _ in range(11))
    if rng.random() < 0.2:  # some accounts carry a letter, as in La Banque Postale's.
        account = account[:9] + rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + account[10]
    return bank, branch, account, rib_key(bank, branch, account)


def make_iban_fr(rng: random.Random, bank: str | None = None) -> str:
    """Return a valid French IBAN (27 characters) whose BBAN is a valid RIB."""
    bban = "".join(make_rib(rng, bank))
    return "FR" + iban_check_digits("FR", bban) + bban


def make_bic(rng: random.Random) -> str:
    """Return an upper-case BIC of a French bank (8 or 11 characters)."""
    return rng.choice(BANKS).bic


def make_finess(rng: random.Random, dept: str | None = None) -> str:
    """Return a 9-digit FINESS number with a valid Luhn key (not for Corsica)."""
    dept = dept or f"{rng.randint(1, 95):02d}"
    if dept in ("2A", "2B", "20"):
        dept = "13"
    return _luhn_complete(dept + "".join(rng.choice(string.digits) for _ in range(6)))


def make_nir(rng: random.Random) -> str:
    """Return a 15-character NIR with a valid key (Corsica included now and then)."""
    dept = rng.choice(["2A", "2B", *(f"{d:02d}" for d in range(1, 96) if d != 20)])
    body = (
        f"{rng.randint(1, 2)}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{dept}"
        f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    return body + nir_key(body)


def make_amount(rng: random.Random, low: str = "10.00", high: str = "25000.00") -> Decimal:
    """Return a Decimal amount with exactly 2 decimals in [low, high], log-uniformly spread."""
    lo, hi = int(Decimal(low) * 100), int(Decimal(high) * 100)
    cents = int(lo * (hi / lo) ** rng.random()) if lo > 0 else rng.randint(lo, hi)
    return (Decimal(min(max(cents, lo), hi)) / 100).quantize(CENT)


def vat(amount: Decimal, rate: Decimal) -> Decimal:
    """VAT of ``amount`` at ``rate`` percent, rounded half-up to the cent."""
    return (amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
