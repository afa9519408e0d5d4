"""SQL expressions that read the same on SQLite and PostgreSQL.

Each is an SQL function of its own (``days_after(moment, days)``…) that compiles to each
database's way of saying it, from a template of its arguments ``{0}``, ``{1}``…
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType, TypeEngine

from storage.types import UTCDateTime
from storage.zones import LOCAL_DATE_FUNCTION


def _function(name: str, type_: TypeEngine[Any], doc: str, *, sqlite: str, postgresql: str) -> Any:
    """An SQL function element ``name(…)`` of ``type_``, rendered from ``sqlite`` or
    ``postgresql``, each a template of its compiled arguments."""
    element = type(
        name,
        (FunctionElement,),
        {"type": type_, "inherit_cache": True, "name": name, "__doc__": doc},
    )
    for dialect, template in (("sqlite", sqlite), ("postgresql", postgresql)):

        def render(fn: Any, compiler: SQLCompiler, _template: str = template, **kw: Any) -> str:
            return _template.format(*(compiler.process(arg, **kw) for arg in fn.clauses))

        compiles(element, dialect)(render)
    return element


a_day_after = _function(
    "a_day_after",
    UTCDateTime(),
    """A stored moment (a UTCDateTime column) plus 24 hours, exact to the microsecond, to
    compare with another stored moment in SQL.""",
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): datetime() moves the seconds part by a day
    # and drops the fraction, which a whole day leaves as it was.
    sqlite="(datetime({0}, '+24 hours') || substr({0}, 20))",
    postgresql="({0} + interval '24 hours')",
)

days_after = _function(
    "days_after",
    UTCDateTime(),
    """A stored moment plus a whole number of days given by an SQL integer expression: on
    SQLite to the second (the fraction dropped), so for coarse comparisons only.""",
    sqlite="datetime({0}, ({1}) || ' days')",
    postgresql="({0} + make_interval(days => ({1})::integer))",
)

days_between = _function(
    "days_between",
    Integer(),
    """Whole days from the second Date expression to the first (``later - earlier``).""",
    sqlite="CAST(julianday({0}) - julianday({1}) AS INTEGER)",
    postgresql="({0} - {1})",
)

local_date = _function(
    "local_date",
    Date(),
    """The date a stored moment falls on in a time zone named by an SQL text expression (on
    SQLite through a function `storage.db` registers, by the same rule as Python's).""",
    sqlite=LOCAL_DATE_FUNCTION + "({0}, {1})",
    postgresql="CAST(({0}) AT TIME ZONE {1} AS DATE)",
)

plus_days = _function(
    "plus_days",
    Date(),
    """A date plus a whole number of days given by an SQL integer expression.""",
    sqlite="date({0}, ({1}) || ' days')",
    postgresql="({0} + ({1})::integer)",
)

likely = _function(
    "likely",
    NullType(),  # not Boolean: SQLite would be sent `likely(…) = 1`, which it cannot see into
    """A condition true for most rows it is tested on, said so to SQLite's planner, which,
    without statistics, otherwise leads with any index on its column (an objection's status)
    instead of one that gives the rows in the order asked for. PostgreSQL plans from
    statistics.""",
    sqlite="likely({0})",
    postgresql="({0})",
)

not_leading = _function(
    "not_leading",
    String(),
    """A text column as it is, in a condition that must not pick the plan's index: SQLite,
    without statistics, may lead with an index on a column of few values (an objection's
    status) and read every row having it; its unary ``+`` rules that index out, and the plan
    starts from the accounts in scope. PostgreSQL plans from statistics.""",
    sqlite="+{0}",
    postgresql="{0}",
)

_utc_date_text = _function(
    "utc_date_text",
    String(),
    """The UTC date of a stored moment as ``YYYY-MM-DD`` text.""",
    sqlite="substr({0}, 1, 10)",  # SQLite stores the UTC moment as text that starts with it
    postgresql="to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
)


def utc_date_text(moment: Any) -> ColumnElement[str]:
    """The UTC date of a `UTCDateTime` column as ``YYYY-MM-DD`` text, as ``date.isoformat()``
    writes it."""
    found: ColumnElement[str] = _utc_date_text(moment)
    return found
