"""Queueing the weekly digest posts, many teams at a time.

A scheduled run takes each team's run key (`run:digest:<team>:<week>`) once its digest is
computed and just before queueing it, having skipped the teams an earlier run took: so a run
repeated queues nothing new, and a run that failed while computing a batch leaves its teams to
the next run. Digests are computed a batch of teams at a time, each batch from one set of
queries (see :mod:`bot.services.kpis.digest_batches`), so the memory of a whole book's run
stays bounded; the outbox key `digest:<team>:<week>:<platform>` makes queueing itself idempotent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.charts import chart_alt_text, chart_png
from bot.delivery.charts import Chart, digest_key, new_link, teams_fields
from bot.delivery.outbox import Queued, enqueue
from bot.delivery.reach import QueueReport, Reach, Renderers, reach_team
from bot.handlers.kpi import digest_batches, digest_reply
from bot.services.container import Services
from bot.services.kpis import IsoWeek
from bot.services.kpis.digest import Digest
from bot.services.kpis.teams import TEAMS_PER_PEOPLE_PASS, in_batches
from bot.services.once import first_time, taken
from bot.services.when import local_today, zone_or_utc
from bot.settings import DAYS
from storage.keys import name_key
from storage.models import Team


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


@dataclass(frozen=True)
class _Post:
    """A team whose digest for ``week`` is to be posted where ``reaches`` say."""

    team: Team
    week: IsoWeek
    reaches: list[Reach]


def _run_key(team: Team, week: IsoWeek) -> str:
    return f"run:digest:{team.id}:{week}"


async def _reachable(
    services: Services,
    batch: Sequence[tuple[Team, IsoWeek]],
    platforms: set[str],
    *,
    now: datetime,
    on_schedule: bool,
    report: QueueReport,
) -> list[_Post]:
    """The teams of ``batch`` to post to: not done by an earlier run (``on_schedule``) and
    with a channel. The others are counted in ``report`` (an unreachable team's run is done)."""
    posts, unreachable = [], []
    async with services.db.read_only() as session:
        keys = [_run_key(team, week) for team, week in batch]
        done = await taken(session, keys) if on_schedule else set()
        for team, week in batch:
            if _run_key(team, week) in done:
                report.skipped += 1
            elif reaches := await reach_team(session, team, platforms):
                posts.append(_Post(team, week, reaches))
            else:
                unreachable.append((team, week))
    for team, week in unreachable:
        if on_schedule and not await first_time(services.db, _run_key(team, week), now=now):
            report.skipped += 1
        else:
            report.unreachable.append(team.name)
    return posts


async def _queue(
    services: Services,
    post: _Post,
    digest: Digest,
    renderers: Renderers,
    *,
    now: datetime,
    report: QueueReport,
) -> None:
    """Queue ``digest`` to each of the post's places."""
    chart = await asyncio.to_thread(draw_chart, digest)  # CPU work: off the event loop
    payloads = [
        digest_payload(
            renderers, reach.platform, post.team, digest, chart, services.settings.public_url
        )
        for reach in post.reaches
    ]
    async with services.db.unit_of_work() as session:  # held only to write the rows
        for reach, payload in zip(post.reaches, payloads, strict=True):
            key = digest_key(post.team.id, post.week, reach.platform)
            queued = Queued(
                key, "digest", reach.platform, reach.target, payload, team_id=post.team.id
            )
            row_id = await enqueue(session, queued, now=now)
            if row_id is None:
                report.skipped += 1
            else:
                report.queued.append(row_id)


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
    chosen = [
        (team, week or IsoWeek.last_completed(local_today(now, team.timezone)))
        for team in teams
        if not on_schedule or digest_due(team, now, settings.digest_time, catch_up)
    ]
    for part in in_batches(chosen, TEAMS_PER_PEOPLE_PASS):
        posts = await _reachable(
            services, part, platforms, now=now, on_schedule=on_schedule, report=report
        )
        done = 0
        async for digests in digest_batches(services, [(p.team, p.week) for p in posts]):
            for post, digest in zip(posts[done : done + len(digests)], digests, strict=True):
                run_key = _run_key(post.team, post.week)
                if on_schedule and not await first_time(services.db, run_key, now=now):
                    report.skipped += 1  # taken meanwhile by another replica
                    continue
                await _queue(services, post, digest, renderers, now=now, report=report)
            done += len(digests)
    return report
