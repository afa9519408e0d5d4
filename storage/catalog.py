"""The catalog generation: bumped when teams, people or accounts change in bulk (imports, the
demo and benchmark books), read by processes that keep names in memory."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CatalogState

ROW_ID = 1


async def catalog_generation(session: AsyncSession) -> int:
    """The current generation (0 when the row is missing)."""
    value = await session.scalar(select(CatalogState.generation).where(CatalogState.id == ROW_ID))
    return int(value or 0)


async def bump_catalog(session: AsyncSession) -> None:
    """Mark every in-memory copy of names stale (in the caller's transaction)."""
    result = await session.execute(
        update(CatalogState)
        .where(CatalogState.id == ROW_ID)
        .values(generation=CatalogState.generation + 1)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(CatalogState(id=ROW_ID, generation=2))
        await session.flush()
