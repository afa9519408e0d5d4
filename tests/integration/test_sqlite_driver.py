"""SQLite statements take one trip to aiosqlite's thread and still behave as SQLAlchemy's
own adapter does: rows, row counts, new ids, many rows at once, errors, rollbacks, streams."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Team


async def _add_teams(db: Database, *names: str) -> None:
    async with db.unit_of_work() as session:
        session.add_all(Team(name=n, name_key=n.lower(), timezone="UTC") for n in names)


async def test_a_query_is_one_trip_to_sqlites_thread_and_a_change_commits(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _add_teams(sqlite_db, "North", "South")
    trips: list[Any] = []
    run_on_thread = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(fn)
        return await run_on_thread(self, fn, *args, **kwargs)

    async with sqlite_db.read_only() as session:
        await session.execute(select(Team.id).limit(1))  # the connection is open
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        names = (await session.scalars(select(Team.name).order_by(Team.name))).all()
        assert len(trips) == 1
    assert names == ["North", "South"]
    assert len(trips) == 1, "a session that only read ends without a trip"

    async with sqlite_db.unit_of_work() as session:
        session.add(Team(name="East", name_key="east", timezone="UTC"))
    async with sqlite_db.read_only() as session:
        assert await session.scalar(select(func.count(Team.id))) == 3


async def test_rows_come_back_with_their_column_names(sqlite_db: Database) -> None:
    async with sqlite_db.read_only() as session:
        result = await session.execute(text("SELECT 1 AS one, 'two' AS two"))
        assert list(result.keys()) == ["one", "two"]
        assert result.all() == [(1, "two")]
        empty = await session.execute(select(Team.id).where(Team.name == "nobody"))
        assert empty.first() is None


async def test_changes_report_their_row_counts_and_new_ids(sqlite_db: Database) -> None:
    async with sqlite_db.unit_of_work() as session:
        added = await session.execute(
            insert(Team).values(name="Solo", name_key="solo", timezone="UTC")
        )
        assert added.inserted_primary_key is not None
        solo_id = added.inserted_primary_key[0]
        await session.execute(
            insert(Team),
            [{"name": f"T{n}", "name_key": f"t{n}", "timezone": "UTC"} for n in range(5)],
        )
        moved = await session.execute(
            update(Team).where(Team.name.like("T%")).values(timezone="Europe/Paris")
        )
        assert moved.rowcount == 5  # type: ignore[attr-defined]
    async with sqlite_db.read_only() as session:
        assert await session.scalar(select(Team.name).where(Team.id == solo_id)) == "Solo"
        assert await session.scalar(select(func.count()).where(Team.timezone == "Europe/Paris"))


async def test_a_failed_statement_raises_and_rolls_back_the_whole_unit(
    sqlite_db: Database,
) -> None:
    await _add_teams(sqlite_db, "Taken")
    with pytest.raises(IntegrityError):
        async with sqlite_db.unit_of_work() as session:
            session.add(Team(name="Fresh", name_key="fresh", timezone="UTC"))
            await session.flush()
            session.add(Team(name="Taken again", name_key="taken", timezone="UTC"))
            await session.flush()
    await _add_teams(sqlite_db, "After")  # the connection is usable again
    async with sqlite_db.read_only() as session:
        names = (await session.scalars(select(Team.name).order_by(Team.name))).all()
    assert names == ["After", "Taken"]


async def test_streamed_results_still_arrive_in_batches(sqlite_db: Database) -> None:
    await _add_teams(sqlite_db, *(f"Team {n:03}" for n in range(250)))
    async with sqlite_db.read_only() as session:
        streamed = await session.stream(select(Team.name).order_by(Team.name))
        batches = [batch async for batch in streamed.partitions(100)]
    assert [len(batch) for batch in batches] == [100, 100, 50]
    assert batches[0][0].name == "Team 000"
