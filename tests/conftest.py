"""Suite-wide fixtures: database URLs for SQLite and a throwaway PostgreSQL server.

App-specific fixtures belong in the conftest.py of the test package that needs them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, PostgresServerError

pytest_plugins = [
    "tests.reliability.report",  # prints the reliability suite's figures
    "tests.channels.teams_world",  # the `teams_world` fixture
]


def _running(server: PostgresServer) -> Iterator[PostgresServer]:
    """Start ``server`` for a fixture and stop it afterwards; failing to start fails the test."""
    try:
        server.start()
    except PostgresServerError as exc:
        pytest.fail(f"could not start the test PostgreSQL server:\n{exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server for this test session, started on first use.

    Uses ``ACCOUNTBOT_TEST_DATABASE_URL`` if set, else starts a private server from
    ``ACCOUNTBOT_TEST_PG_BIN`` (default /usr/lib/postgresql/15/bin). Failing to start is a
    test failure, never a skip.
    """
    yield from _running(PostgresServer.from_env())


@pytest.fixture
def private_postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, never shared and never an external one.

    For tests that stop and restart the server (``pause()``/``resume()``) without disturbing
    the session's server. Starting one takes a second or two: use it only for that.
    """
    yield from _running(PostgresServer())


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A fresh, empty database for one test: ``postgresql://postgres@127.0.0.1:PORT/<name>``.

    The database is dropped afterwards, disconnecting anything still connected to it.
    """
    name = f"accountbot_test_{uuid.uuid4().hex[:16]}"
    await postgres_server.create_database(name)
    try:
        yield postgres_server.url(name)
    finally:
        await postgres_server.drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database in a real file under the test's tmp_path."""
    return f"sqlite:///{tmp_path}/accountbot.db"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once against SQLite and once against PostgreSQL (started only if needed)."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(fixture)
