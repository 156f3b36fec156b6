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
    max_markup_bytes: int = 1 << 18
    """Bytes one piece of markup may span: a start tag with its attributes, an end tag, a
    comment, a CDATA section or a processing instruction (a PES tag is under 1 KiB).  Bounds
    huge attribute values, a million attributes on one element and endless names before
    libxml2 buffers them; reading stops with PES-XML-007."""
    max_text_bytes: int = 100_000_000
    """Bytes between two ``<`` at most (100 MB, Hélios's limit for a whole file): the longest
    text node or CDATA section, i.e. a PJ's base64 ``Fichier`` (about 75 MB of gzip).
    libxml2 holds a text node whole, at up to 2.5 times its size while it grows; reading
    stops with PES-XML-007 beyond it.  Checked on what crosses the 64 KiB reading chunks."""
    max_signed_document_bytes: int = 64 << 20
    """Largest flow read whole, a second time, to check a global (flow) signature's digest:
    the streaming pass cannot compute it. Above it the signature is still verified, but its
    digest is not recomputed (PES-SIG-120, INDETERMINATE). A tree costs about ten times
    the file in memory."""
    max_records: int = 1_000_000
    """Records (bordereaux, PJ, headers…) read at most; reading stops with PES-XML-007 beyond.
    Each costs the rules and a summary line of the report (25-100 µs, 150-300 bytes): a
    100 MB flow of 20 million empty ``<PJ/>`` would otherwise take some twenty minutes and 6 GB.
    A real flow under Hélios's 100 Mo holds well under 200,000 (a PJ takes some 300 bytes)."""
    max_findings_per_rule: int = 1000
    """Findings of one business or reading rule listed per file; the rest are counted in one
    ``info`` finding (PES-LIM-001) per rule, and still count in the prediction.  XSD errors
    have their own bound, ``max_schema_errors``.  Bounds the report (a flow of 200,000 PJ
    sharing one IdUnique gave 400,000 findings, 417 MB)."""
    max_record_tags: int = 500_000
    """Tags (``<``) read while no record (Bordereau, PJ, EnTetePES…) ends: what one record, or
    the unreleased elements around records, may hold.  libxml2 keeps 170 to 450 bytes per
    element (more with attributes and indentation), so this bounds a record's tree to about
    200 MB; a generated Bordereau has about 30 tags per piece and line, so some 10,000
    pieces fit in one Bordereau.  Reading stops with PES-XML-007 beyond it."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if type(value) is not int or value < 1:
                raise ValueError(f"limit {name} must be a positive integer, not {value!r}")
            highest = self.highest(name)
            if value > highest:
                raise ValueError(f"limit {name} must be at most {highest:,}, not {value:,}")

    @staticmethod
    def highest(name: str) -> int:
        """The largest value the limit ``name`` accepts."""
        return _HIGHEST.get(name, _ANY_HIGHEST)

    def with_(self, **changes: int) -> Limits:
        """A copy with some limits changed."""
        return replace(self, **changes)


_HIGHEST = {
    "max_depth": 2048,  # libxml2 itself refuses deeper nesting
    "chunk_size": 64 << 20,  # a buffer of this size is allocated for each read
}
_ANY_HIGHEST = 1 << 53
"""Above any sane bound (8 PiB), below what the C libraries' integers hold."""

DEFAULT_LIMITS = Limits()
