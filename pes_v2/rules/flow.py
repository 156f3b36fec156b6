"""Flow-level rules, run once the whole file has been read."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding, Scope, Severity
from ..records import FlowFacts, Record
from .registry import rule


@rule(
    "PES-FLX-001",
    title=("Flux sans contenu à intégrer", "Flow with nothing to integrate"),
    message=(
        "Le flux ne contient ni bordereau, ni pièce justificative, ni marché, ni facture : "
        "Hélios n'en accuse jamais réception.",
        "The flow holds no bordereau, no attachment, no marché and no facture: "
        "Hélios never acknowledges such a flow.",
    ),
    severity=Severity.ERROR,
    scope=Scope.FLUX,
    ack="ERREUR_FLUX_VIDE",
    rejects="flux",
    source="pes-rules §1.6 (S²LOW isPESEmpty; ACK code ERREUR_FLUX_VIDE)",
    on="flow",
)
def empty_flow(record: Record, facts: FlowFacts) -> Iterator[Finding]:
    """A PES_Aller with no bordereau, PJ, marché or facture is never acknowledged."""
    if facts.content == 0:
        yield record.finding(empty_flow.rule)  # type: ignore[attr-defined]
