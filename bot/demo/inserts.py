"""Bulk inserts of the demo book's generated rows (Core statements, one per batch)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Row = dict[str, Any]


async def insert_ids(session: AsyncSession, model: Any, rows: list[Row]) -> list[int]:
    """Core INSERT of many rows (one statement per batch), returning ids in row order."""
    table = model.__table__
    stmt = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    connection = await session.connection()
    return list((await connection.execute(stmt, rows)).scalars().all())


async def insert(session: AsyncSession, model: Any, rows: list[Row]) -> None:
    if rows:
        connection = await session.connection()
        await connection.execute(model.__table__.insert(), rows)
