"""Bank details: IBAN, BIC, RIB, payment mode coherence."""

from __future__ import annotations
