"""Deciding and queueing: the daily nudge DMs and (in :mod:`bot.delivery.digest_runs`) the
weekly digest posts.

Each decision is written to the outbox in the same transaction that made it, under a key that
names the run: `nudges:<local date>:<user>:<part>` and `digest:<team>:<week>:<platform>`. So a
run repeated (a restart, a second replica, the CLI after the scheduler) queues nothing new, and
a run missed while nothing was running is caught up once. Messages are rendered here for the
platform they go to: Slack blocks or a Teams card.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.digest_runs import digest_due, digest_payload, draw_chart, queue_digests
from bot.delivery.outbox import Queued, enqueue
from bot.delivery.reach import QueueReport, Reach, Renderers, reach_person, reach_team
from bot.handlers.base import Reply
from bot.services.container import Services
from bot.services.daily import DailyNudge, daily_nudges
from bot.services.once import first_time
from storage.models import NudgeItem, User

__all__ = [
    "QueueReport",
    "Reach",
    "Renderers",
    "digest_due",
    "digest_payload",
    "draw_chart",
    "queue_daily_nudges",
    "queue_digests",
    "reach_person",
    "reach_team",
]

log = logging.getLogger(__name__)


def _parts(daily: DailyNudge, per_dm: int, dms: int) -> list[dict[str, Any]]:
    """The DM(s) of one person: at most ``dms`` of ``per_dm`` items; the rest are counted."""
    chunks = [daily.urgent[i : i + per_dm] for i in range(0, len(daily.urgent), per_dm)] or [[]]
    shown = chunks[:dms]
    left = len(daily.urgent) - sum(len(chunk) for chunk in shown)
    quiet = Counter(n.kind if n.kind != "renewal" else "renewal_later" for n in daily.quiet)
    return [
        {
            "name": daily.name,
            "date": daily.local_date,
            "items": chunk,
            "total": len(daily.urgent),
            "part": number,
            "parts": len(shown),
            "more": left if number == len(shown) else 0,
            "quiet": dict(quiet) if number == 1 else {},
            "team_alerts": daily.team_alerts if number == 1 else [],
        }
        for number, chunk in enumerate(shown, start=1)
    ]


async def _mark_sent(
    session: AsyncSession, user_id: int, items: Iterable[Any], now: datetime
) -> None:
    for nudge in items:
        stmt = select(NudgeItem).where(
            NudgeItem.user_id == user_id, NudgeItem.item_key == nudge.key
        )
        item = (await session.scalars(stmt)).first()
        if item is None:
            item = NudgeItem(
                user_id=user_id, item_key=nudge.key, kind=nudge.kind, first_sent_at=now
            )
            item.account_id = nudge.account_id
            session.add(item)
        item.last_sent_at = now
        item.snoozed_until = None
    await session.flush()


async def queue_daily_nudges(
    services: Services,
    *,
    as_of: datetime,
    platforms: set[str],
    renderers: Renderers,
    on_schedule: bool,
) -> QueueReport:
    """Queue each person's nudge DM(s) due as of ``as_of``; see `services.daily`."""
    settings = services.settings
    async with services.db.read_only() as session:
        everyone = await daily_nudges(
            session,
            as_of=as_of,
            settings=settings,
            rules=services.nudge_rules,
            playbooks=services.playbooks,
            on_schedule=on_schedule,
        )
    report = QueueReport()
    for daily in everyone:
        if not daily.worth_sending:
            continue
        run_key = f"run:nudges:{daily.local_date.isoformat()}:{daily.user_id}"
        if on_schedule and not await first_time(services.db, run_key, now=as_of):
            report.skipped += 1
            continue
        async with services.db.unit_of_work() as session:
            user = await session.get(User, daily.user_id)
            reach = await reach_person(session, user, platforms) if user else None
            if reach is None:
                report.unreachable.append(daily.name)
                continue
            for data in _parts(daily, settings.nudge_items_per_dm, settings.nudge_dms_per_day):
                payload = renderers.payload(reach.platform, Reply("nudge_dm", data))
                key = f"nudges:{daily.local_date.isoformat()}:{daily.user_id}:{data['part']}"
                queued = Queued(key, "nudge", reach.platform, reach.target, payload, daily.user_id)
                row_id = await enqueue(session, queued, now=services.clock())
                if row_id is None:
                    report.skipped += 1
                    continue
                report.queued.append(row_id)
                await _mark_sent(session, daily.user_id, data["items"], as_of)
    return report
