"""The Alembic history builds the schema the models describe, from empty, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import Base


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_from_empty_creates_every_table(database_url: str) -> None:
    await upgrade_async(database_url)
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            tables = await conn.run_sync(_tables)
    finally:
        await database.dispose()
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    await upgrade_async(database_url)
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            differences = await conn.run_sync(_diff)
    finally:
        await database.dispose()
    assert differences == []


async def test_upgrade_twice_is_harmless(database_url: str) -> None:
    await upgrade_async(database_url)
    await upgrade_async(database_url)
    database = Database(database_url)
    try:
        assert await database.ping()
    finally:
        await database.dispose()
