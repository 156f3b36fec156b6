"""Shared test fixtures: where the reference data lives, and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = REPO.parent / "shared" / "reference"
FIXTURES = REPO / "fixtures"


def _shared_reference() -> Path:
    if SHARED_REFERENCE.is_dir():
        return SHARED_REFERENCE
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI: the reference data {SHARED_REFERENCE} is missing", pytrace=False)
    pytest.skip(f"reference data not found at {SHARED_REFERENCE} (../shared beside the checkout)")


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """``../shared/reference``; skips when absent, fails under ``CI=true``."""
    return _shared_reference()


@pytest.fixture(scope="session")
def official_v530(shared_reference: Path) -> Path:
    return shared_reference / "xsd" / "schemas_pes_v5.30"


@pytest.fixture(scope="session")
def official_v517(shared_reference: Path) -> Path:
    return shared_reference / "xsd" / "schemas_pes_v5.17"


@pytest.fixture(scope="session")
def corpus_dir(shared_reference: Path) -> Path:
    return shared_reference / "corpus"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
