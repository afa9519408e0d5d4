"""Integration fixtures: a migrated database on a real SQLite file or PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.db import Database


async def _opened(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def db(migrated_database_url: str) -> AsyncIterator[Database]:
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    async for database in _opened(migrated_database_url):
        yield database


@pytest.fixture
async def sqlite_db(migrated_sqlite_url: str) -> AsyncIterator[Database]:
    """A freshly migrated SQLite file, for tests that need only one backend."""
    async for database in _opened(migrated_sqlite_url):
        yield database
