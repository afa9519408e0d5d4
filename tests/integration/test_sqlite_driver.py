"""SQLite statements take one trip to aiosqlite's thread (none for a read timed quick) and
still behave as SQLAlchemy's own adapter does: rows, row counts, new ids, many rows at once,
errors, rollbacks, streams."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import String, event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Team
from storage.sqlite_driver import QUICK_RUNS_TO_INLINE


async def _add_teams(db: Database, *names: str) -> None:
    async with db.unit_of_work() as session:
        session.add_all(Team(name=n, name_key=n.lower(), timezone="UTC") for n in names)


async def test_a_query_is_one_trip_to_sqlites_thread_then_none_once_quick_and_a_change_commits(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _add_teams(sqlite_db, "North", "South")
    trips: list[Any] = []
    run_on_thread = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(fn)
        return await run_on_thread(self, fn, *args, **kwargs)

    names = select(Team.name.label(_unique("name"))).order_by(Team.name)  # SQL of its own
    async with sqlite_db.read_only() as session:
        await session.execute(select(Team.id).limit(1))  # the connection is open
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        found = []
        for _ in range(QUICK_RUNS_TO_INLINE + 2):
            found.append((await session.scalars(names)).all())
        # timed quick on SQLite's thread first, then read on the loop's: no trip
        assert len(trips) == QUICK_RUNS_TO_INLINE
    assert found == [["North", "South"]] * (QUICK_RUNS_TO_INLINE + 2)
    assert len(trips) == QUICK_RUNS_TO_INLINE, "a session that only read ends without a trip"

    async with sqlite_db.unit_of_work() as session:
        session.add(Team(name="East", name_key="east", timezone="UTC"))
    async with sqlite_db.read_only() as session:
        assert await session.scalar(select(func.count(Team.id))) == 3


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def threads_seen(migrated_sqlite_url: str) -> Database:
    """A database whose SQL can call thread_ident() (the thread running the statement) and
    pause(ms)."""
    database = Database(migrated_sqlite_url)

    def functions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_ident", 0, threading.get_ident)
        dbapi_connection.create_function("pause", 1, lambda ms: time.sleep(ms / 1000) or ms)

    event.listen(database.engine.sync_engine, "connect", functions)
    return database


async def test_quick_reads_run_on_the_loops_thread_and_a_slow_one_goes_back_to_sqlites(
    threads_seen: Database,
) -> None:
    here = threading.get_ident()
    query = text(f"SELECT thread_ident() AS {_unique('t')}, pause(:ms)")
    ran_on = []
    for ms in (0, 0, 0, 5, 0, 0, 0):
        async with threads_seen.read_only() as session:
            ran_on.append((await session.execute(query, {"ms": ms})).scalar() == here)
    await threads_seen.dispose()
    # twice on SQLite's thread (timed quick), then here; the slow run (here, once) sends the
    # statement back until it has been quick twice there again
    assert ran_on == [False, False, True, True, False, False, True]


async def test_writes_always_run_on_sqlites_thread(threads_seen: Database) -> None:
    await _add_teams(threads_seen, "North")
    here = threading.get_ident()
    for _ in range(QUICK_RUNS_TO_INLINE + 2):
        async with threads_seen.unit_of_work() as session:
            await session.execute(
                update(Team).values(timezone=func.cast(func.thread_ident(), String))
            )
        async with threads_seen.read_only() as session:
            ran_on = int(await session.scalar(select(Team.timezone)) or 0)
        assert ran_on not in (0, here)
    await threads_seen.dispose()


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
