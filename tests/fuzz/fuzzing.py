"""What the fuzz tests share: their hypothesis settings and byte flips.

``PES_V2_FUZZ_EXAMPLES`` sets the examples per test (5,000 by default), and
``PES_V2_FUZZ_RANDOM=1`` draws new examples instead of the fixed sequence.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("PES_V2_FUZZ_EXAMPLES", "5000"))
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "corpus"


def corpus_seeds(max_bytes: int, marker: bytes = b"") -> list[bytes]:
    """The corpus files of at most ``max_bytes`` holding ``marker`` in their first 2,000
    bytes, in name order; none when the corpus is absent."""
    if not CORPUS.is_dir():
        return []
    files = [p for p in sorted(CORPUS.rglob("*.xml")) if p.stat().st_size <= max_bytes]
    return [data for data in map(Path.read_bytes, files) if marker in data[:2_000]]


def fuzz_settings(examples: int = EXAMPLES) -> settings:
    """Derandomized (unless asked otherwise), no deadline, no example database."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=os.environ.get("PES_V2_FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
        database=None,
    )


FLIPS = st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8
)
"""Up to eight bytes to overwrite: where (a fraction of the length) and with what."""


def flipped(seed: bytes, flips: list[tuple[float, int]]) -> bytes:
    """``seed`` with the bytes of ``flips`` overwritten."""
    data = bytearray(seed)
    for where, value in flips:
        data[int(where * len(data))] = value
    return bytes(data)
