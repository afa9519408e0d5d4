"""Suite-wide fixtures: database URLs for SQLite and a throwaway PostgreSQL server.

Two kinds of database, on each backend:

* ``sqlite_url``, ``postgres_url``, ``database_url``: a fresh, EMPTY database, for tests of
  migrations and of whatever migrates a database itself (start-up, the CLI).
* ``migrated_sqlite_url``, ``migrated_postgres_url``, ``migrated_database_url``: a fresh
  database already migrated to head. Each is a copy of a template migrated once per session
  (tests/support/templates.py), which is much faster than migrating for every test.

App-specific fixtures belong in the conftest.py of the test package that needs them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, PostgresServerError
from tests.support.templates import (
    SqliteTemplate,
    create_postgres_template,
    drop_postgres_database,
    sqlite_url_of,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(autouse=True)
def _logging_as_found() -> Iterator[None]:
    """The CLI configures logging for its process (a root handler of `bot.logs`, INFO): a test
    that runs it must not leave that to the tests after it, whose logs would go to the
    terminal. (pytest's own capture handlers come and go with each phase: left alone.)"""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    added = [h for h in root.handlers if h not in before and type(h).__module__ == "bot.logs"]
    for handler in added:
        root.removeHandler(handler)
    if added:
        root.setLevel(level)


pytest_plugins = [
    "tests.reliability.report",  # prints the reliability suite's figures
    "tests.channels.teams_world",  # the `teams_world` fixture
    "tests.integration.console_fixtures",  # the demo console's book and `run`
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


def _database_name(kind: str) -> str:
    return f"accountbot_{kind}_{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> Iterator[str]:
    """Name of a database on the session's server migrated to head, to copy and never open.

    Built once per session (per xdist worker), so it always has the current migrations.
    """
    name = _database_name("template")
    create_postgres_template(postgres_server, name)
    try:
        yield name
    finally:
        drop_postgres_database(postgres_server, name)


@asynccontextmanager
async def _fresh_database(server: PostgresServer, template: str | None) -> AsyncIterator[str]:
    """A new database (empty, or a copy of ``template``), dropped afterwards."""
    name = _database_name("test")
    await server.create_database(name, template=template)
    try:
        yield server.url(name)
    finally:
        await server.drop_database(name)


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A fresh, empty database for one test: ``postgresql://postgres@127.0.0.1:PORT/<name>``.

    The database is dropped afterwards, disconnecting anything still connected to it.
    """
    async with _fresh_database(postgres_server, None) as url:
        yield url


@pytest.fixture
async def migrated_postgres_url(
    postgres_server: PostgresServer, postgres_template: str
) -> AsyncIterator[str]:
    """Like ``postgres_url``, but a copy of the migrated template instead of empty."""
    async with _fresh_database(postgres_server, postgres_template) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database (the file does not exist yet) under the test's tmp_path."""
    return sqlite_url_of(tmp_path / "accountbot.db")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """A SQLite file migrated to head once per session (per xdist worker); ``.copy(path)``."""
    return SqliteTemplate.migrate(tmp_path_factory.mktemp("sqlite-template") / "template.db")


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, sqlite_template: SqliteTemplate) -> str:
    """A SQLite file under the test's tmp_path, migrated to head (a copy of the template)."""
    return sqlite_template.copy(tmp_path / "migrated.db")


def _backend_url(request: pytest.FixtureRequest, kind: str) -> str:
    backend = "sqlite" if request.param == "sqlite" else "postgres"
    return str(request.getfixturevalue(f"{kind}{backend}_url"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database, once on SQLite and once on PostgreSQL (started only if needed)."""
    return _backend_url(request, "")


@pytest.fixture(params=BACKENDS)
def migrated_database_url(request: pytest.FixtureRequest) -> str:
    """A database migrated to head, once on SQLite and once on PostgreSQL."""
    return _backend_url(request, "migrated_")
