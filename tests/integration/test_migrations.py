"""The Alembic history builds the schema the models describe, from empty, on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.migrate import alembic_config, upgrade_async
from storage.models import Base

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


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


async def _kinds_after_insert(database_url: str, *kinds: str) -> list[str]:
    """Insert one meeting per kind (with the rows it needs) and read the kinds back."""
    database = Database(database_url)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("DELETE FROM meetings"))
            await conn.execute(text("DELETE FROM accounts"))
            await conn.execute(text("DELETE FROM users"))
            await conn.execute(
                text(
                    "INSERT INTO users (id, email, name, role, created_at) "
                    "VALUES (1, 'ann@example.com', 'Ann', 'head', :now)"
                ),
                {"now": NOW},
            )
            await conn.execute(
                text(
                    "INSERT INTO accounts (id, name, name_key, owner_id, stage, stage_entered_at,"
                    " mrr, started_on, created_at) VALUES (1, 'Acme', 'acme', 1, 'growth', :now,"
                    " 0, :day, :now)"
                ),
                {"now": NOW, "day": NOW.date()},
            )
            for hour, kind in enumerate(kinds):
                await conn.execute(
                    text(
                        "INSERT INTO meetings (account_id, am_id, occurred_at, kind, created_at)"
                        " VALUES (1, 1, :at, :kind, :now)"
                    ),
                    {"at": NOW.replace(hour=hour), "kind": kind, "now": NOW},
                )
        async with database.engine.connect() as conn:
            rows = await conn.execute(text("SELECT kind FROM meetings ORDER BY occurred_at"))
            return [kind for (kind,) in rows]
    finally:
        await database.dispose()


async def test_meeting_kinds_are_free_text_and_a_downgrade_brings_the_check_back(
    database_url: str,
) -> None:
    await upgrade_async(database_url, "0001")
    with pytest.raises(IntegrityError):
        await _kinds_after_insert(database_url, "Demo call")
    await upgrade_async(database_url)
    custom = ["qbr", "Demo call", "x" * 60]
    assert await _kinds_after_insert(database_url, *custom) == custom

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0001")
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            kinds = [kind for (kind,) in await conn.execute(text("SELECT kind FROM meetings"))]
            columns = await conn.run_sync(lambda c: inspect(c).get_columns("accounts"))
    finally:
        await database.dispose()
    assert sorted(kinds) == ["other", "other", "qbr"]
    assert "known_since" not in {column["name"] for column in columns}
    with pytest.raises(IntegrityError):
        await _kinds_after_insert(database_url, "Demo call")
    await upgrade_async(database_url)
    assert await _kinds_after_insert(database_url, "call") == ["call"]
