"""Doing a thing once: a replayed request, a resubmitted form or a redelivered event.

Keys live in `processed_events` (pruned after a few days by the housekeeping job). Claiming
a key and doing the work share one transaction where the work is a write, so a crash cannot
leave the work done and the key free, or the key taken and the work undone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from storage.db import Database
from storage.models import ProcessedEvent

KEY_LENGTH = 100


class AlreadyDone(UserError):
    """This exact request was handled before."""


async def claim(session: AsyncSession, key: str, *, now: datetime, done: str) -> None:
    """Take ``key`` inside the caller's unit of work; ``AlreadyDone(done)`` if it was taken."""
    # A plain INSERT, not the ORM's add and flush: nothing reads the row back, and App Home
    # takes a key on every opening.
    taking = insert(ProcessedEvent).values(event_id=key[:KEY_LENGTH], received_at=now)
    try:
        await session.execute(taking)
    except IntegrityError:
        raise AlreadyDone(done) from None


async def first_time(db: Database, key: str, *, now: datetime) -> bool:
    """Take ``key`` in a transaction of its own: True the first time, False ever after."""
    try:
        async with db.unit_of_work() as session:
            await claim(session, key, now=now, done="")
    except AlreadyDone:
        return False
    return True


async def taken(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` were taken already (to skip work done before without taking them)."""
    wanted = {key[:KEY_LENGTH]: key for key in keys}
    stmt = select(ProcessedEvent.event_id).where(ProcessedEvent.event_id.in_(list(wanted)))
    return {wanted[key] for key in await session.scalars(stmt)}
