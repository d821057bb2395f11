"""One PostgreSQL server for the live-CDC tests (never skipped: `make` installs what it needs)."""
from __future__ import annotations

import pytest

from tests.pg.server import PgServer


@pytest.fixture(scope="session")
def pg():
    with PgServer() as server:
        yield server
