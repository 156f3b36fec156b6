"""Shared test fixtures: where the reference data lives, and small helpers."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
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


@pytest.fixture()
def listener() -> Iterator[tuple[int, list[str]]]:
    """A loopback TCP listener that records every connection made to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    connections: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except (TimeoutError, OSError):
                continue
            connections.append(str(address))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join(2)
    server.close()
