"""Reading limits: one frozen configuration with safe defaults."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a validation finite whatever the input."""

    max_depth: int = 256
    """Deepest element nesting accepted (a PES flow nests about 12 levels)."""
    chunk_size: int = 1 << 16
    """Bytes handed to the parser at a time."""
    max_prolog: int = 1 << 20
    """Bytes read before the root element at most (XML declaration, comments)."""
    max_schema_errors: int = 1000
    """XSD errors listed per file; more are counted in one closing finding."""
    helios_max_bytes: int = 100_000_000
    """Hélios's limit on one transmitted file (100 Mo, read as 10^6 bytes)."""
    max_pj_decompressed: int = 200_000_000
    """Bytes one attachment (PES_PJ/PJ) may inflate to before its check stops (gzip bombs)."""

    def with_(self, **changes: int) -> Limits:
        """A copy with some limits changed."""
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()
