"""The database goes away, is locked or spoiled, then comes back: honest health, no new empty
database, a clear answer meanwhile, and the next request after it returns works."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import sqlite_path
from tests.channels.helpers import seen
from tests.channels.slack_book import ALICE
from tests.reliability.conftest import Live, start_live
from tests.reliability.faults import write_lock_held
from tests.reliability.figures import record
from tests.support.postgres import PostgresServer

DOWN = "I can't reach my database right now"


@pytest.fixture
def live_file(tmp_path: Path) -> Iterator[tuple[Live, Path]]:
    """A server of its own (faults must not leak into other tests) and its SQLite file."""
    url = f"sqlite:///{tmp_path}/accountbot.db"
    server = start_live(url, "sqlite")
    try:
        path = sqlite_path(url)
        assert path is not None
        yield server, Path(path)
    finally:
        server.stop()


def ask(live: Live, text: str) -> str:
    url, ack = live.command(text, ALICE)
    assert ack < 3.0
    return seen(live.answer(url))


def test_a_moved_database_file_is_reported_not_recreated_and_works_again_when_back(
    live_file: tuple[Live, Path],
) -> None:
    live, path = live_file
    assert "*Acme Robotics*" in ask(live, "status acme robotics")  # the pool holds connections
    moved = path.with_suffix(".moved")
    path.rename(moved)
    try:
        assert live.get("/healthz") == (
            503,
            {
                "status": "unavailable",
                "database": "unreachable",
                "backend": "sqlite",
                "surfaces": ["slack"],
            },
        )
        assert DOWN in ask(live, "status acme robotics")
        assert DOWN in ask(live, "meeting acme robotics now")
        assert not path.exists()  # no new, empty database in its place
    finally:
        moved.rename(path)
    assert live.get("/healthz")[0] == 200
    assert "*Acme Robotics*" in ask(live, "status acme robotics")
    assert "Logged a meeting" in ask(live, "meeting acme robotics now")
    record("database faults recovered without a restart", 1, "SQLite file moved and back")


def test_a_spoiled_database_file_is_unhealthy_until_restored(
    live_file: tuple[Live, Path],
) -> None:
    live, path = live_file
    assert "Acme Robotics" in ask(live, "list mine")
    with sqlite3.connect(path) as outside:  # everything in the main file, nothing in the WAL
        outside.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    good = path.read_bytes()
    path.write_bytes(b"this is not a database" * (len(good) // 22 + 1))  # spoiled in place
    try:
        assert live.get("/healthz")[0] == 503
        assert DOWN in ask(live, "list")
    finally:
        path.write_bytes(good)
    assert live.get("/healthz")[0] == 200
    assert "Acme Robotics" in ask(live, "list mine")
    record("database faults recovered without a restart", 1, "SQLite file spoiled and restored")


def test_reads_go_on_while_another_process_holds_the_write_lock(
    live_file: tuple[Live, Path],
) -> None:
    live, _ = live_file
    with write_lock_held(live.database_url, 2.5):
        started = time.monotonic()
        assert "*Acme Robotics*" in ask(live, "status acme robotics")
        assert time.monotonic() - started < 2.0  # answered while the lock is still held
        assert live.get("/healthz")[0] == 200
        url, ack = live.command("meeting acme robotics now", ALICE)  # waits for the lock
        assert ack < 3.0
    assert "Logged a meeting" in seen(live.answer(url))


@pytest.fixture
def live_on_private_postgres(private_postgres_server: PostgresServer) -> Iterator[Live]:
    """A server on a PostgreSQL of its own, which the test stops and starts again."""
    asyncio.run(private_postgres_server.create_database("accountbot"))
    server = start_live(private_postgres_server.url("accountbot"), "postgresql")
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.postgres
def test_postgresql_stopped_and_started_again_is_reported_then_works_without_a_restart(
    live_on_private_postgres: Live, private_postgres_server: PostgresServer
) -> None:
    live = live_on_private_postgres
    assert "*Acme Robotics*" in ask(live, "status acme robotics")  # the pool holds connections
    private_postgres_server.pause()
    try:
        assert live.get("/healthz")[0] == 503
        assert DOWN in ask(live, "status acme robotics")
        assert DOWN in ask(live, "meeting acme robotics now")
    finally:
        private_postgres_server.resume()
    assert live.get("/healthz")[0] == 200
    assert "*Acme Robotics*" in ask(live, "status acme robotics")
    assert "Logged a meeting" in ask(live, "meeting acme robotics now")
    record("database faults recovered without a restart", 1, "PostgreSQL stopped and restarted")
