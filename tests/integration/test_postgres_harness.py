"""Checks that the database harness in tests/conftest.py and tests/support does what it promises."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import asyncpg
import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bench.scale.runner import production_settings
from storage.db import Database
from storage.migrate import alembic_config
from storage.models import Team
from tests.integration.builders import make_team
from tests.support.postgres import (
    DATABASE_URL_ENV,
    PG_BIN_ENV,
    PostgresServer,
    PostgresServerError,
)

pytestmark = pytest.mark.postgres

# Names of databases handed out by postgres_url in this module, in the order tests saw them.
_seen_databases: list[str] = []


def _dbname(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def test_server_is_postgresql_15(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql://postgres@")
    conn = await asyncpg.connect(postgres_url)
    try:
        version = await conn.fetchval("select version()")
        current = await conn.fetchval("select current_database()")
    finally:
        await conn.close()
    assert current == _dbname(postgres_url)
    if os.environ.get(DATABASE_URL_ENV) or os.environ.get(PG_BIN_ENV):
        assert version.startswith("PostgreSQL "), version
    else:
        assert version.startswith("PostgreSQL 15."), version


@pytest.mark.parametrize("run", [1, 2])
async def test_each_test_gets_a_fresh_empty_database(postgres_url: str, run: int) -> None:
    name = _dbname(postgres_url)
    assert name not in _seen_databases
    conn = await asyncpg.connect(postgres_url)
    try:
        tables = await conn.fetch(
            "select table_name from information_schema.tables where table_schema = 'public'"
        )
        assert tables == [], "a previous test's table leaked into this database"
        await conn.execute("create table harness_probe (id int primary key)")
        await conn.execute("insert into harness_probe values ($1)", run)
        existing = {r["datname"] for r in await conn.fetch("select datname from pg_database")}
    finally:
        await conn.close()
    # Databases of earlier tests were dropped at their teardown.
    assert existing.isdisjoint(_seen_databases)
    _seen_databases.append(name)


def _uids(pid: int) -> list[int]:
    """Real, effective, saved and filesystem uid of a local process."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("Uid:"))
    return [int(uid) for uid in line.split()[1:]]


async def test_server_does_not_run_as_root(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    if postgres_server.is_external:
        pytest.skip(f"{DATABASE_URL_ENV} points at an existing server, not one we started")
    conn = await asyncpg.connect(postgres_url)
    try:
        data_directory = await conn.fetchval("select current_setting('data_directory')")
        backend_uids = _uids(await conn.fetchval("select pg_backend_pid()"))
    finally:
        await conn.close()
    assert data_directory == str(postgres_server.data_dir)
    owner = os.stat(data_directory).st_uid
    pid_file = os.path.join(data_directory, "postmaster.pid")
    with open(pid_file) as f:
        postmaster_uids = _uids(int(f.readline()))
    assert set(backend_uids) == {owner}  # the backend runs as the data directory's owner
    assert set(postmaster_uids) == {owner}
    if os.geteuid() == 0:
        assert owner != 0
    else:
        assert owner == os.geteuid()


async def test_database_url_works_with_sqlalchemy(database_url: str) -> None:
    url = database_url.replace("sqlite://", "sqlite+aiosqlite://", 1).replace(
        "postgresql://", "postgresql+asyncpg://", 1
    )
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("create table t (x int)"))
            await conn.execute(text("insert into t values (42)"))
            assert (await conn.execute(text("select x from t"))).scalar_one() == 42
    finally:
        await engine.dispose()


# -- migrated copies of the session's templates -------------------------------------------

# Databases handed out by migrated_database_url, per backend, in the order tests saw them.
_seen_migrated: dict[str, list[str]] = {}


def _tables_and_revision(connection: Connection) -> tuple[set[str], str | None]:
    tables = set(inspect(connection).get_table_names())
    return tables, MigrationContext.configure(connection).get_current_revision()


@pytest.mark.parametrize("run", [1, 2])
async def test_each_test_gets_its_own_migrated_copy(migrated_database_url: str, run: int) -> None:
    database = Database(migrated_database_url)
    try:
        async with database.engine.connect() as conn:
            tables, revision = await conn.run_sync(_tables_and_revision)
        async with database.unit_of_work() as session:
            assert (await session.scalars(select(Team))).all() == [], "a copy was written to"
            await make_team(session, name=f"Probe {run}")
    finally:
        await database.dispose()
    head = ScriptDirectory.from_config(alembic_config(migrated_database_url)).get_current_head()
    assert revision == head
    assert {"accounts", "meetings", "outbox", "audit_log"} <= tables
    seen = _seen_migrated.setdefault(migrated_database_url.split(":", 1)[0], [])
    assert migrated_database_url not in seen
    seen.append(migrated_database_url)


async def test_the_postgres_template_is_left_alone(
    postgres_server: PostgresServer, postgres_template: str, migrated_postgres_url: str
) -> None:
    assert _dbname(migrated_postgres_url) != postgres_template
    conn = await asyncpg.connect(postgres_server.url("postgres"))
    try:
        others = await conn.fetchval(
            "select count(*) from pg_stat_activity where datname = $1", postgres_template
        )
    finally:
        await conn.close()
    assert others == 0  # nothing may stay connected, or the next copy would be refused


# -- stopping and restarting a server -----------------------------------------------------


async def test_a_paused_server_refuses_connections_and_resumes_with_its_data(
    private_postgres_server: PostgresServer,
) -> None:
    server = private_postgres_server
    await server.create_database("kept")
    url, port = server.url("kept"), server.port
    conn = await asyncpg.connect(url)
    await conn.execute("create table kept (x int); insert into kept values (7)")

    server.pause()
    assert server.is_paused
    assert server.url("kept") == url
    # The server closed the connection; the client learns it from the server's last words
    # or from the closed socket, whichever it reads first.
    gone = (asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.ConnectionDoesNotExistError)
    with pytest.raises(gone):
        await conn.fetchval("select 1")
    await conn.close()
    with pytest.raises(OSError):
        await asyncpg.connect(url, timeout=5)

    server.resume()
    assert not server.is_paused
    assert (server.url("kept"), server.port) == (url, port)
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("select x from kept") == 7
    finally:
        await conn.close()


def test_a_paused_server_is_stopped_and_removed_like_a_running_one(
    private_postgres_server: PostgresServer,
) -> None:
    server = private_postgres_server
    base_dir = server.base_dir
    assert base_dir is not None
    server.pause()
    server.stop()
    assert not base_dir.exists()
    with pytest.raises(PostgresServerError):
        server.url()


def test_an_external_server_cannot_be_paused() -> None:
    server = PostgresServer.external("postgresql://someone@127.0.0.1:1/x")
    with pytest.raises(PostgresServerError, match="existing server"):
        server.pause()


# -- the benchmark's production-like server ------------------------------------------------


async def test_a_server_started_with_settings_runs_with_them() -> None:
    settings = production_settings(memory_bytes=2 * 2**30)  # a 2 GiB machine
    assert settings["shared_buffers"] == "512MB"  # a quarter of the memory
    with PostgresServer(settings=settings) as server:
        conn = await asyncpg.connect(server.url())
        try:
            shown = {name: await conn.fetchval(f"SHOW {name}") for name in settings}
            assert await conn.fetchval("SHOW fsync") == "off"  # the harness's own still hold
        finally:
            await conn.close()
    assert shown == {
        "shared_buffers": "512MB",
        "effective_cache_size": "1536MB",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
    }


def test_production_settings_keep_shared_buffers_to_8_gb_on_a_large_machine() -> None:
    settings = production_settings(memory_bytes=64 * 2**30)
    assert (settings["shared_buffers"], settings["effective_cache_size"]) == ("8192MB", "49152MB")
