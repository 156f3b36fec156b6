"""Checks across the files of one batch (declared here, run by :mod:`pes_v2.batch`).

They need several files at once, so the per-file engine cannot run them: the batch runner
adds their findings to the second file that repeats a key.
"""

from __future__ import annotations

from ..findings import Scope, Severity
from .registry import declare

DUPLICATE_NOMFIC = declare(
    "PES-BAT-001",
    title=("Même NomFic dans deux fichiers du lot", "Same NomFic in two files of the batch"),
    message=(
        "Le NomFic {value} est déjà celui de {first} : les tiers de télétransmission refusent "
        "un nom de fichier déjà reçu, et l'accusé de réception ne pourrait plus être rattaché.",
        "NomFic {value} is already that of {first}: transmission platforms refuse a file "
        "name they have already received, and the acknowledgment could not be matched.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack=None,
    rejects="flux",
    source="pes-rules §1.4 (NomFic unique per TdT) [IMPL]",
)

DUPLICATE_BORDEREAU = declare(
    "PES-BAT-002",
    title=("Même bordereau dans deux fichiers du lot", "Same bordereau in two files of the batch"),
    message=(
        "Le bordereau {value} (collectivité, budget, exercice, type et numéro) figure déjà "
        "dans {first} : Hélios rejetterait le second envoi comme doublon.",
        "Bordereau {value} (collectivité, budget, year, type and number) is already in "
        "{first}: Hélios would reject the second one as a duplicate.",
    ),
    severity=Severity.ERROR,
    scope=Scope.BORDEREAU,
    ack="ERREUR_DOUBLON_BORDEREAU",
    rejects="bordereau",
    source="pes-rules §2.9, §6.4 ERREUR_DOUBLON_BORDEREAU [XSD, IMPL]",
)

DUPLICATE_PJ = declare(
    "PES-BAT-003",
    title=("Même PJ (IdUnique) dans deux fichiers du lot", "Same PJ (IdUnique) in two files"),
    message=(
        "L'IdUnique de PJ {value} figure déjà dans {first} pour la même collectivité : "
        "Hélios rejetterait la seconde PJ (« 1984 - L'identifiant unique de la PJ a déjà été "
        "intégré »).",
        "PJ IdUnique {value} is already in {first} for the same collectivité: Hélios would "
        "reject the second PJ (“1984 - the PJ's unique id has already been integrated”).",
    ),
    severity=Severity.ERROR,
    scope=Scope.PJ,
    ack="ERREUR_DOUBLON_PJ",
    rejects="pj",
    source="pes-rules §4.2, §6.2 (Hélios anomaly 1984) [IMPL]",
)

BATCH_RULES = (DUPLICATE_NOMFIC, DUPLICATE_BORDEREAU, DUPLICATE_PJ)
