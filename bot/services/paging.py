"""One page of a query and how many rows the whole query has, in one round trip.

The total rides along each row as an uncorrelated scalar subquery, which the database works out
once: the page is still sorted top-N (a window count would sort the whole scope first). Only a
page past the end, which has no row to carry it, costs a second query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

TOTAL = "rows_in_all_pages"
_Ts = TypeVarTuple("_Ts")


async def page_and_total(
    session: AsyncSession,
    stmt: Select[*_Ts],
    *,
    order_by: Sequence[Any],
    limit: int | None,
    offset: int,
    count: Select[int] | None = None,
) -> tuple[list[Row[*_Ts, int]], int]:
    """The rows of ``stmt`` sorted by ``order_by`` from ``offset`` (at most ``limit`` of them;
    all without), each with the total in an extra last column, and that total (``count``: a
    cheaper statement counting the same rows, e.g. without a join that filters nothing)."""
    if count is None:
        count = select(func.count()).select_from(stmt.subquery())
    counted = stmt.add_columns(count.scalar_subquery().label(TOTAL)).order_by(*order_by)
    counted = counted.offset(offset)
    if limit is not None:
        counted = counted.limit(limit)
    rows: list[Row[*_Ts, int]] = list((await session.execute(counted)).all())
    if rows:
        return rows, int(rows[0][-1])
    if offset == 0:
        return rows, 0
    return rows, int(await session.scalar(count) or 0)
