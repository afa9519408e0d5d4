"""SQL expressions that read the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ColumnExpressionArgument, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from storage.types import UTCDateTime


class a_day_after(FunctionElement[datetime]):
    """A stored moment (a UTCDateTime column) plus 24 hours, exact to the microsecond, to
    compare with another stored moment in SQL."""

    type = UTCDateTime()
    inherit_cache = True
    name = "a_day_after"


@compiles(a_day_after, "sqlite")
def _a_day_after_sqlite(element: a_day_after, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): datetime() moves the seconds part by a day
    # and drops the fraction, which a whole day leaves as it was.
    moment = compiler.process(element.clauses, **kw)
    return f"(datetime({moment}, '+24 hours') || substr({moment}, 20))"


@compiles(a_day_after, "postgresql")
def _a_day_after_postgresql(element: a_day_after, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} + interval '24 hours')"


def _rendered(sqlite: str, postgresql: str) -> Any:
    """A class decorator: the function element compiles to ``sqlite`` or ``postgresql``, each
    a template of its SQL arguments ``{0}``, ``{1}``…"""

    def register(cls: Any) -> Any:
        for dialect, template in (("sqlite", sqlite), ("postgresql", postgresql)):

            def render(element: Any, compiler: SQLCompiler, _t: str = template, **kw: Any) -> str:
                return _t.format(*(compiler.process(clause, **kw) for clause in element.clauses))

            compiles(cls, dialect)(render)
        return cls

    return register


@_rendered(
    sqlite="datetime({0}, ({1}) || ' days')",
    postgresql="({0} + make_interval(days => ({1})::integer))",
)
class days_after(FunctionElement[datetime]):
    """A stored moment plus a whole number of days given by an SQL integer expression: on
    SQLite to the second (the fraction dropped), so for coarse comparisons only."""

    type = UTCDateTime()
    inherit_cache = True
    name = "days_after"


@_rendered(sqlite="CAST(julianday({0}) - julianday({1}) AS INTEGER)", postgresql="({0} - {1})")
class days_between(FunctionElement[int]):
    """Whole days from the second Date expression to the first (``later - earlier``)."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


class _UTCDateText(FunctionElement[str]):
    type = String()
    inherit_cache = True
    name = "utc_date_text"


def utc_date_text(moment: ColumnExpressionArgument[datetime]) -> ColumnElement[str]:
    """The UTC date of a `UTCDateTime` column as ``YYYY-MM-DD`` text, as ``date.isoformat()``
    writes it (SQLite stores the UTC moment as text that starts with it)."""
    return _UTCDateText(moment)


@compiles(_UTCDateText, "sqlite")
def _utc_date_text_sqlite(element: _UTCDateText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(_UTCDateText)
def _utc_date_text(element: _UTCDateText, compiler: SQLCompiler, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"to_char({moment} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
