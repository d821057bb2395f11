"""One MariaDB server for the binlog tests (never skipped: `make test` installs mariadb-server)."""
from __future__ import annotations

import pytest

from tests.mysql.server import MariaDbServer
from tests.pg.conftest import pg  # noqa: F401  (the PostgreSQL server, for sinks)


@pytest.fixture(scope="session")
def mariadb():
    server = MariaDbServer().start()
    try:
        yield server
    finally:
        server.stop()
