"""Integration fixtures: a migrated database on a real SQLite file or PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.db import Database
from storage.migrate import upgrade_async


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    await upgrade_async(database_url)
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    """A freshly migrated SQLite file, for tests that need only one backend."""
    await upgrade_async(sqlite_url)
    database = Database(sqlite_url)
    try:
        yield database
    finally:
        await database.dispose()
