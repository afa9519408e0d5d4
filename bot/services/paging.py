"""One page of a query and how many rows the whole query has, in one round trip.

The total rides along each row as an uncorrelated scalar subquery, which the database works out
once: the page is still sorted top-N (a window count would sort the whole scope first). Only a
page past the end, which has no row to carry it, costs a second query.

The page's bounds are parameters, so a statement that is the same for everyone (its reader a
parameter too) is built once (`paged`) and run for any reader and page: building a statement
and its cache key costs about as much as running it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

TOTAL = "rows_in_all_pages"
AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Paged:
    """``rows``: the sorted page, each row with the total as an extra last column; ``count``:
    that total on its own (for a page past the end)."""

    rows: AnySelect
    count: AnySelect


def paged(stmt: AnySelect, *, order_by: Sequence[Any], count: AnySelect | None = None) -> Paged:
    """``stmt`` sorted by ``order_by``, paged by parameters. ``count``: a cheaper statement
    counting the same rows (e.g. without a join that filters nothing)."""
    if count is None:
        count = select(func.count()).select_from(stmt.subquery())
    rows = (
        stmt.add_columns(count.scalar_subquery().label(TOTAL))
        .order_by(*order_by)
        .offset(bindparam("page_offset", type_=Integer))
        .limit(bindparam("page_limit", type_=Integer))
    )
    return Paged(rows, count)


async def page_and_total(
    session: AsyncSession,
    page: Paged,
    *,
    limit: int,
    offset: int,
    params: Mapping[str, Any] | None = None,
) -> tuple[list[Row[*tuple[Any, ...]]], int]:
    """At most ``limit`` rows of ``page`` from ``offset`` (run with ``params``), and the total."""
    values = {**(params or {}), "page_offset": offset, "page_limit": limit}
    rows = list((await session.execute(page.rows, values)).all())
    if rows:
        return rows, int(rows[0][-1])
    if offset == 0:
        return rows, 0
    return rows, int(await session.scalar(page.count, params or {}) or 0)
