"""The few lookups an import makes, in chunks so a large file never builds a huge IN list."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Team, User

IN_CHUNK = 500


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def select_in(
    session: AsyncSession,
    columns: Sequence[Any],
    column: Any,
    keys: Iterable[Any],
    scope: Callable[[Select[Any]], Select[Any]] | None = None,
) -> list[Any]:
    """Rows of ``columns`` whose ``column`` is one of ``keys`` (narrowed by ``scope``)."""
    found: list[Any] = []
    for chunk in chunks(list(keys), IN_CHUNK):
        stmt = select(*columns).where(column.in_(chunk))
        found += (await session.execute(scope(stmt) if scope else stmt)).all()
    return found


async def user_zones(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str]:
    """user id -> ``User.effective_timezone``: their own, else their team's, else UTC."""
    columns = (User.id, User.timezone, Team.timezone)
    zones: dict[int, str] = {}
    for chunk in chunks(list(set(user_ids)), IN_CHUNK):
        stmt = select(*columns).outerjoin(Team, Team.id == User.team_id).where(User.id.in_(chunk))
        for user_id, own, team in await session.execute(stmt):
            zones[user_id] = own or team or "UTC"
    return zones
