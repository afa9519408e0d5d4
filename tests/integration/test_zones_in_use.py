"""The time zones people are in (every list's "today" per owner is built from them): read from
the database once per catalog generation, and again after an import changes people or teams."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from bot.services.owners import zones_in_use
from bot.services.preferences import change_timezone
from storage.catalog import catalog_generation
from storage.db import Database
from storage.models import User
from tests.integration.test_import import fixture, import_text


async def _zones(db: Database) -> list[str]:
    async with db.read_only() as session:
        first = await zones_in_use(session)
        assert await zones_in_use(session) == first  # a session asks once
        return sorted(first)


async def test_zones_are_read_once_per_import_of_people_or_teams(db: Database) -> None:
    for kind in ("teams", "users"):
        await import_text(db, kind, fixture(kind))
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "DISTINCT" in statement and "users" in statement:
            reads.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    before = await _zones(db)
    assert "America/New_York" in before and "Europe/Berlin" in before
    assert "Pacific/Auckland" not in before
    assert await _zones(db) == before
    assert len(reads) == 1

    await import_text(
        db,
        "users",
        "email,name,role,team,timezone\n"
        "aroha@example.com,Aroha Ngata,am,Mid-Market,Pacific/Auckland\n",
    )
    after = await _zones(db)
    assert after == sorted([*before, "Pacific/Auckland"])
    assert len(reads) == 2

    unchanged = await import_text(db, "teams", fixture("teams"))
    assert unchanged.created == unchanged.updated == 0
    assert await _zones(db) == after
    assert len(reads) == 2  # nothing changed: not read again


async def test_a_zone_set_in_chat_is_in_use_at_once_and_setting_it_again_reads_nothing(
    db: Database,
) -> None:
    for kind in ("teams", "users"):
        await import_text(db, kind, fixture(kind))
    before = await _zones(db)
    async with db.unit_of_work() as session:
        ann = await session.scalar(select(User).where(User.email == "ann.lee@example.com"))
        assert ann is not None
        await change_timezone(session, user=ann, zone="Pacific/Auckland")
    assert await _zones(db) == sorted([*before, "Pacific/Auckland"])
    async with db.read_only() as session:
        generation = await catalog_generation(session)
    async with db.unit_of_work() as session:
        ann = await session.scalar(select(User).where(User.email == "ann.lee@example.com"))
        assert ann is not None
        await change_timezone(session, user=ann, zone="Pacific/Auckland")  # the same again
    async with db.read_only() as session:
        assert await catalog_generation(session) == generation  # held names stay good
