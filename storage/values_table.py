"""A small table of constants as a common table expression, for joining rules to a book.

SQLAlchemy's own ``values()`` is never cached, so a statement using it is compiled again on
every run (milliseconds per hundred rows). This one is bound parameters in a VALUES clause,
which both SQLite and PostgreSQL name ``column1``, ``column2``…: its compiled form is cached
for as long as the number of rows stays the same, and only the values are bound each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CTE, bindparam, column, select, text
from sqlalchemy.types import TypeEngine


def row_param(name: str, row: int, column: int) -> str:
    """The name of the parameter holding ``row``'s value of ``column`` (both from 0) in the
    VALUES table ``name``: pass it to the statement's execution to change that value."""
    return f"{name}_{row}_{column}"


def values_table(
    name: str, columns: Sequence[tuple[str, TypeEngine[Any]]], rows: Sequence[Sequence[Any]]
) -> CTE:
    """``WITH name AS (SELECT column1 AS <first name>, … FROM (VALUES …))`` of ``rows``
    (at least one), each value bound with its column's type."""
    if not rows:
        raise ValueError(f"{name}: a VALUES table needs at least one row")
    binds = []
    rendered = []
    for i, row in enumerate(rows):
        names = [row_param(name, i, j) for j in range(len(columns))]
        binds += [
            bindparam(key, value, type_=type_)
            for key, value, (_, type_) in zip(names, row, columns, strict=True)
        ]
        rendered.append("(" + ", ".join(f":{key}" for key in names) + ")")
    raw = (
        text("VALUES " + ", ".join(rendered))
        .bindparams(*binds)
        .columns(*(column(f"column{j + 1}", type_) for j, (_, type_) in enumerate(columns)))
        .subquery(f"{name}_rows")
    )
    labelled = [raw.c[f"column{j + 1}"].label(label) for j, (label, _) in enumerate(columns)]
    return select(*labelled).cte(name)
