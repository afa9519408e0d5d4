"""Units of work on a real database: many at once all commit, and one opened inside another
goes ahead (on SQLite they take turns in the process instead of in SQLite's busy handler)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Team


async def _add_team(db: Database, name: str) -> None:
    async with db.unit_of_work() as session:
        session.add(Team(name=name, name_key=name.lower(), timezone="UTC"))
        await session.flush()
        await asyncio.sleep(0.01)  # hold the transaction open while the others wait


async def test_many_units_of_work_at_once_all_commit(db: Database) -> None:
    await asyncio.gather(*(_add_team(db, f"Team {n}") for n in range(12)))
    async with db.read_only() as session:
        assert await session.scalar(select(func.count(Team.id))) == 12


async def test_a_unit_of_work_inside_another_goes_ahead(db: Database) -> None:
    async def nested() -> None:
        async with db.unit_of_work() as outer:
            outer.add(Team(name="Outer", name_key="outer", timezone="UTC"))
            async with db.unit_of_work() as inner:  # e.g. a once-key claimed in its own
                inner.add(Team(name="Inner", name_key="inner", timezone="UTC"))

    await asyncio.wait_for(nested(), timeout=30)
    async with db.read_only() as session:
        names = set(await session.scalars(select(Team.name)))
    assert names == {"Outer", "Inner"}
