"""The PES_ACQUIT Hélios would likely send back, one per PES_Aller (see :mod:`pes_v2.ack`)."""

from __future__ import annotations

from ..ack import build_acquit
from ..batch import FileOutcome


def render_acquit(outcome: FileOutcome, *, lang: str = "fr") -> bytes | None:
    """The predicted PES_ACQUIT (ISO-8859-1 bytes), or None when the file is not a PES_Aller."""
    return build_acquit(outcome, lang=lang)
