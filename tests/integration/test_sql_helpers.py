"""The SQL building blocks of the nudge scan, on SQLite and PostgreSQL: a VALUES table of
typed constants, a stored moment's UTC date as text, and a join SQLite keeps in order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import CTE, Date, Integer, String, select

from storage.db import Database
from storage.expressions import utc_date_text
from storage.ordered_join import ordered_join
from storage.types import UTCDateTime
from storage.values_table import values_table

LATE_EVENING = datetime(2026, 3, 10, 23, 30, tzinfo=timezone(timedelta(hours=-5)))


def _table(rows: list[tuple[str, int, date, datetime]]) -> CTE:
    columns = [("name", String()), ("n", Integer()), ("day", Date()), ("at", UTCDateTime())]
    return values_table("constants", columns, rows)


async def test_a_values_table_returns_its_rows_with_their_types(db: Database) -> None:
    rows = [("a", 1, date(2026, 3, 1), LATE_EVENING), ("b", 2, date(2026, 3, 2), LATE_EVENING)]
    table = _table(rows)
    stmt = select(table.c.name, table.c.n, table.c.day, table.c.at).order_by(table.c.n)
    async with db.read_only() as session:
        found = [tuple(row) for row in await session.execute(stmt)]
    assert found == [(n, i, d, at.astimezone(UTC)) for n, i, d, at in rows]


def test_a_values_table_statement_is_cached_with_its_values_bound() -> None:
    first = select(_table([("a", 1, date(2026, 3, 1), LATE_EVENING)]).c.name)
    second = select(_table([("b", 2, date(2026, 3, 2), LATE_EVENING)]).c.name)
    first_key, second_key = first._generate_cache_key(), second._generate_cache_key()
    assert first_key is not None and first_key == second_key


async def test_utc_date_text_is_the_utc_date_as_isoformat_writes_it(db: Database) -> None:
    table = _table([("a", 1, date(2026, 3, 1), LATE_EVENING)])
    async with db.read_only() as session:
        day = await session.scalar(select(utc_date_text(table.c.at)))
    assert day == "2026-03-11" == LATE_EVENING.astimezone(UTC).date().isoformat()


async def test_an_ordered_join_is_an_inner_join(db: Database) -> None:
    left = _table(
        [("a", 1, date(2026, 3, 1), LATE_EVENING), ("b", 2, date(2026, 3, 2), LATE_EVENING)]
    )
    right = values_table("others", [("name", String()), ("m", Integer())], [("b", 20), ("c", 30)])
    stmt = select(left.c.n, right.c.m).select_from(
        ordered_join(left, right, left.c.name == right.c.name)
    )
    async with db.read_only() as session:
        found = [tuple(row) for row in await session.execute(stmt)]
        sql = str(stmt.compile(session.get_bind()))
    assert found == [(2, 20)]
    sqlite = db.engine.dialect.name == "sqlite"
    assert ("CROSS JOIN" in sql) is sqlite  # SQLite keeps the left side outside
