"""Hand-written SQL for the baselines: typed parameters, VALUES tables, and the few
expressions SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BindParameter, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Date, Integer, String, TypeEngine

from bot.services.when import zone_or_utc
from storage.types import UTCDateTime

LOCAL_DATE_FUNCTION = "bench_local_date"


zone = zone_or_utc  # a zone by name; UTC when there is none or it is not one this system knows


def _type(value: object) -> TypeEngine[Any]:
    if isinstance(value, datetime):
        return UTCDateTime()
    if isinstance(value, date):
        return Date()
    if isinstance(value, int):
        return Integer()
    return String()


@dataclass
class Query:
    """SQL text with its parameters, bound by name with the types the columns have."""

    dialect: str
    binds: list[BindParameter[Any]] = field(default_factory=list)

    def param(self, value: object) -> str:
        name = f"p{len(self.binds)}"
        self.binds.append(bindparam(name, value, type_=_type(value)))
        return f":{name}"

    def values(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
        """A common table expression ``name(columns) AS (VALUES …)`` of bound rows."""
        assert rows, f"no rows for {name}"
        rendered = ", ".join("(" + ", ".join(self.param(v) for v in row) + ")" for row in rows)
        return f"{name}({', '.join(columns)}) AS (VALUES {rendered})"

    def statement(self, sql: str) -> TextClause:
        return text(sql).bindparams(*self.binds)

    # -- what the two databases spell differently ---------------------------------------

    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def minus_days(self, day: str, days: str) -> str:
        """A date column minus a number of days (an SQL integer expression)."""
        return f"date({day}, '-' || ({days}) || ' days')" if self.sqlite else f"({day} - {days})"

    def plus_days(self, day: str, days: str) -> str:
        """A date plus a number of days (an SQL integer expression)."""
        return f"date({day}, '+' || ({days}) || ' days')" if self.sqlite else f"({day} + {days})"

    def local_date(self, moment: str, zone_name: str) -> str:
        """The date a stored UTC moment falls on in a zone (SQLite: a registered function)."""
        if self.sqlite:
            return f"{LOCAL_DATE_FUNCTION}({moment}, {zone_name})"
        return f"CAST({moment} AT TIME ZONE {zone_name} AS DATE)"

    def utc_day(self, moment: str) -> str:
        """A stored moment's UTC date as YYYY-MM-DD text."""
        if self.sqlite:
            return f"substr({moment}, 1, 10)"
        return f"to_char({moment} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

    def plus_hours(self, moment: str, hours: int) -> str:
        """A stored moment plus whole hours, comparable with other stored moments."""
        if self.sqlite:  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'; keep the fraction as it is
            shifted = f"strftime('%Y-%m-%d %H:%M:%S', {moment}, '+{hours} hours')"
            return f"({shifted} || substr({moment}, 20))"
        return f"({moment} + INTERVAL '{hours} hours')"

    def days_between(self, later: str, earlier: str) -> str:
        if self.sqlite:
            return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
        return f"({later} - {earlier})"


def _local_date(moment: str | None, zone_name: str | None) -> str | None:
    if moment is None:
        return None
    utc = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return utc.astimezone(zone(zone_name)).date().isoformat()


async def query_for(session: AsyncSession) -> Query:
    """A Query for the session's database; on SQLite, registers the local-date function."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.create_function(LOCAL_DATE_FUNCTION, 2, _local_date, deterministic=True)
    return Query(dialect)
