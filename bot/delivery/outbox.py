"""The outbox: every message nobody asked for is a row first, then sent, then marked.

A row is written in the transaction that decided to send it, under an idempotency key, so a
decision made twice writes it once. Senders claim rows (`UPDATE … RETURNING`, with `FOR UPDATE
SKIP LOCKED` on PostgreSQL) so two never send the same row; a claim left by a sender that died
expires after a lease, so a crash between sending and marking repeats at worst that one message
and never loses one. A row that keeps failing is parked with its last error; ops can retry or
drop it (`accountbot outbox`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus

CLAIM_LEASE = timedelta(minutes=5)
MAX_ERROR = 500


@dataclass(frozen=True)
class Queued:
    """A message to queue: where it goes and what it says (already rendered for the platform)."""

    key: str
    kind: str
    platform: str
    target: str
    payload: dict[str, Any]
    user_id: int | None = None
    team_id: int | None = None


async def enqueue(session: AsyncSession, message: Queued, *, now: datetime) -> int | None:
    """Queue ``message`` unless its key was queued before: the new row's id, else None."""
    exists = await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == message.key[:200])
    )
    if exists is not None:
        return None
    row = OutboxMessage(
        idempotency_key=message.key[:200],
        kind=message.kind,
        platform=message.platform,
        target=message.target,
        payload=message.payload,
        user_id=message.user_id,
        team_id=message.team_id,
        status=OutboxStatus.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


def _due(now: datetime, lease: timedelta) -> Any:
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - lease,
        ),
    )


async def claim(
    session: AsyncSession,
    *,
    worker: str,
    now: datetime,
    limit: int = 100,
    lease: timedelta = CLAIM_LEASE,
) -> list[OutboxMessage]:
    """Claim up to ``limit`` due rows for ``worker`` (oldest first); commit to make it stick.
    A row claimed more than ``lease`` ago by a sender that never marked it is due again."""
    due = (
        select(OutboxMessage.id)
        .where(_due(now, lease))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), _due(now, lease))
        .values(
            status=OutboxStatus.SENDING,
            claimed_by=worker,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    rows = list((await session.scalars(stmt)).all())
    return sorted(rows, key=lambda row: (row.next_attempt_at, row.id))


async def mark_sent(
    session: AsyncSession, row_id: int, *, worker: str, message_id: str | None, now: datetime
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == worker)
        .values(
            status=OutboxStatus.SENT,
            platform_message_id=(message_id or "")[:100] or None,
            sent_at=now,
            last_error=None,
        )
    )


async def mark_failed(
    session: AsyncSession,
    row_id: int,
    *,
    worker: str,
    error: str,
    retry_at: datetime | None,
) -> None:
    """Try again at ``retry_at``, or park the row for ops when there is none."""
    values: dict[str, Any] = {"last_error": error[:MAX_ERROR], "claimed_at": None}
    if retry_at is None:
        values["status"] = OutboxStatus.PARKED
    else:
        values.update(status=OutboxStatus.PENDING, next_attempt_at=retry_at)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == worker)
        .values(**values)
    )


async def messages(
    session: AsyncSession, *, statuses: tuple[OutboxStatus, ...], limit: int = 50
) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(statuses))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def retry(session: AsyncSession, row_id: int, *, now: datetime) -> bool:
    """Send a parked or dropped row again; False when there is no such row to retry."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status.in_((OutboxStatus.PARKED, OutboxStatus.DROPPED)),
        )
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, attempts=0, claimed_by=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def drop(session: AsyncSession, row_id: int) -> bool:
    """Give up on a row that was not sent; False when there is none (or it was sent)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status.in_(
                (OutboxStatus.PENDING, OutboxStatus.PARKED, OutboxStatus.SENDING)
            ),
        )
        .values(status=OutboxStatus.DROPPED)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
