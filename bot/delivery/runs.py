"""Deciding and queueing: the daily nudge DMs and the weekly digest posts.

Each decision is written to the outbox in the same transaction that made it, under a key that
names the run: `nudges:<local date>:<user>:<part>` and `digest:<team>:<week>:<platform>`. So a
run repeated (a restart, a second replica, the CLI after the scheduler) queues nothing new, and
a run missed while nothing was running is caught up once. Messages are rendered here for the
platform they go to: Slack blocks or a Teams card.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.slack_messages import message as slack_message
from bot.channels.teams_cards import card_message
from bot.charts import chart_alt_text, chart_png
from bot.delivery.charts import Chart, digest_key, new_link, teams_fields
from bot.delivery.outbox import Queued, enqueue
from bot.handlers.base import Reply
from bot.handlers.kpi import build_digest, digest_reply
from bot.rendering import Renderer
from bot.services.container import Services
from bot.services.conversations import personal_chat, team_channel
from bot.services.daily import DailyNudge, daily_nudges
from bot.services.kpis import IsoWeek
from bot.services.kpis.digest import Digest
from bot.services.once import first_time
from bot.services.when import local_today, zone_or_utc
from bot.settings import DAYS
from storage.keys import name_key
from storage.models import NudgeItem, Team, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reach:
    """Where a message can go: a platform and its target (Slack id, Teams reference row id)."""

    platform: str
    target: str


@dataclass
class QueueReport:
    queued: list[int] = field(default_factory=list)  # outbox row ids
    skipped: int = 0  # already queued by an earlier run
    unreachable: list[str] = field(default_factory=list)  # names of whom nothing could reach


class Renderers:
    """One renderer per surface, made on first use."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock
        self._made: dict[str, Renderer] = {}

    def payload(self, platform: str, reply: Reply) -> dict[str, Any]:
        if platform not in self._made:
            self._made[platform] = Renderer(platform, clock=self.clock)  # type: ignore[arg-type]
        renderer = self._made[platform]
        if platform == "slack":
            return slack_message(renderer, reply)
        card = card_message(renderer, reply)
        return {"text": card.text, "card": card.card}


async def reach_person(session: AsyncSession, user: User, platforms: set[str]) -> Reach | None:
    """A DM: in Slack when the person has a Slack id, else their Teams chat with the bot."""
    if "slack" in platforms and user.slack_user_id:
        return Reach("slack", user.slack_user_id)
    if "teams" in platforms:
        chat = await personal_chat(session, platform="teams", user_id=user.id)
        if chat is not None:
            return Reach("teams", str(chat.id))
    return None


async def reach_team(session: AsyncSession, team: Team, platforms: set[str]) -> list[Reach]:
    """The team's channel on every platform it has one."""
    found = []
    if "slack" in platforms and team.slack_channel_id:
        found.append(Reach("slack", team.slack_channel_id))
    if "teams" in platforms:
        channel = await team_channel(session, platform="teams", team_id=team.id)
        if channel is not None:
            found.append(Reach("teams", str(channel.id)))
    return found


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


def digest_due(team: Team, now: datetime, digest_time: str, catch_up: timedelta) -> bool:
    """Whether the team's weekly digest time (e.g. Monday 09:00 in its zone) has just come."""
    day, _, clock = digest_time.partition(" ")
    local = now.astimezone(zone_or_utc(team.timezone))
    if DAYS[local.weekday()] != day:
        return False
    hour, minute = (int(part) for part in clock.split(":"))
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at <= local <= at + catch_up


def draw_chart(digest: Digest) -> Chart:
    """The digest's chart, drawn once for every platform it goes to."""
    return Chart(
        png=chart_png(digest),
        filename=f"digest-{digest.week}.png",
        title=f"{digest.team}: the last {len(digest.series)} weeks to {digest.week}",
        alt=chart_alt_text(digest),
    )


def digest_payload(
    renderers: Renderers,
    platform: str,
    team: Team,
    digest: Digest,
    chart: Chart,
    public_url: str | None,
) -> dict[str, Any]:
    """The post for one platform: Slack's blocks with the chart to attach; Teams' card with
    the chart's link (PUBLIC_URL) or, without one, the chart in words."""
    if platform == "slack":
        reply = digest_reply(digest, preview=False, chart_attached=True)
        return {**renderers.payload(platform, reply), **chart.slack_fields()}
    if public_url is None:
        return renderers.payload(platform, digest_reply(digest, preview=False))
    url, secret = new_link(public_url, team.id, digest.week)
    reply = digest_reply(digest, preview=False, chart_url=url)
    return {**renderers.payload(platform, reply), **teams_fields(chart, secret)}


async def queue_digests(
    services: Services,
    *,
    now: datetime,
    platforms: set[str],
    renderers: Renderers,
    on_schedule: bool,
    team_name: str | None = None,
    week: IsoWeek | None = None,
) -> QueueReport:
    """Queue each team's weekly digest post (the week just ended, or ``week``)."""
    settings = services.settings
    catch_up = timedelta(hours=settings.nudge_catch_up_hours)
    report = QueueReport()
    async with services.db.read_only() as session:
        query = select(Team).order_by(Team.name)
        teams = list((await session.scalars(query)).all())
    if team_name is not None:
        teams = [team for team in teams if team.name_key == name_key(team_name)]
    for team in teams:
        if on_schedule and not digest_due(team, now, settings.digest_time, catch_up):
            continue
        chosen = week or IsoWeek.last_completed(local_today(now, team.timezone))
        if on_schedule and not await first_time(
            services.db, f"run:digest:{team.id}:{chosen}", now=now
        ):
            report.skipped += 1
            continue
        async with services.db.read_only() as session:
            reaches = await reach_team(session, team, platforms)
            if not reaches:
                report.unreachable.append(team.name)
                continue
            found = await build_digest(services, session, team, chosen)
        chart = await asyncio.to_thread(draw_chart, found)  # CPU work: off the event loop
        payloads = [
            digest_payload(renderers, reach.platform, team, found, chart, settings.public_url)
            for reach in reaches
        ]
        async with services.db.unit_of_work() as session:  # held only to write the rows
            for reach, payload in zip(reaches, payloads, strict=True):
                key = digest_key(team.id, chosen, reach.platform)
                queued = Queued(
                    key, "digest", reach.platform, reach.target, payload, team_id=team.id
                )
                row_id = await enqueue(session, queued, now=now)
                if row_id is None:
                    report.skipped += 1
                else:
                    report.queued.append(row_id)
    return report
