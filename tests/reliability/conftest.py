"""A live accountbot per test module, on SQLite and on PostgreSQL where the database matters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.migrate import upgrade_database
from tests.channels.conftest import NOW
from tests.reliability.book import ReliabilityBook, seed
from tests.reliability.live import LiveServer
from tests.support.postgres import PostgresServer

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


class Live(LiveServer):
    book: ReliabilityBook
    backend: str


def new_database(request: pytest.FixtureRequest, backend: str, tmp: Path) -> str:
    """An empty database on ``backend``: a SQLite file or a new PostgreSQL database."""
    if backend == "sqlite":
        return f"sqlite:///{tmp}/accountbot.db"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"reliability_{uuid.uuid4().hex[:12]}"
    asyncio.run(server.create_database(name))
    return server.url(name)


def start_live(url: str, backend: str, **settings: object) -> Live:
    upgrade_database(url)
    server = Live(url, NOW, **settings)
    server.book = asyncio.run(seed(url, NOW))
    server.backend = backend
    return server.start()  # type: ignore[return-value]


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """accountbot serving Slack with the reliability book, on each database backend."""
    url = new_database(request, request.param, tmp_path_factory.mktemp("live"))
    server = start_live(url, request.param)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The same, on SQLite only: for what does not depend on the database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live')}/accountbot.db"
    server = start_live(url, "sqlite")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _fresh_recordings(request: pytest.FixtureRequest) -> Iterator[None]:
    for name in ("live", "live_sqlite"):
        if name in request.fixturenames:
            request.getfixturevalue(name).slack.reset()
    yield
