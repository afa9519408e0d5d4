"""Seasoning a generated book: the rows the nudge and KPI rules have edges for, and history.

The generator's book gives every rule something to count, but not every edge, so that a
baseline that gets an edge wrong would still agree with the code. Seasoning adds:

* every 7th AM has a time zone of their own, unlike their team's (Auckland's day is already
  tomorrow at :data:`NOW`);
* every 11th account was imported 20 days ago and every 13th yesterday (``known_since``);
* every 17th account has ticks of its stage's required steps from before it entered it;
* a third of the due nudges have a ``nudge_items`` row: sent, snoozed, snoozed and woken,
  done, snoozed unsent, or recorded for someone else;
* a third of the meetings older than the recap window carry the (done) missed-recap item
  they would have had: history the scan must not pay for;
* in every 10th team, meetings at the first and last instant of the team's last completed
  week (in its time zone), recapped exactly 24 hours later, and one a second late.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, cast, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import load_playbooks
from bot.services.kpis import IsoWeek
from bot.services.nudges import NudgeRules, pending_nudges
from bot.services.when import local_today, zone_or_utc
from storage.db import Database
from storage.models import Account, Meeting, NudgeItem, Role, StepCompletion, Team, User

NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)  # a Wednesday; the book is dated from it
RULES = NudgeRules()  # the deployment defaults: 24 h grace, 14 days, 90/60/30/14/7, 8 days
SEASON_MARK = "bench:seasoned:v2"
OWN_ZONES = ("Pacific/Auckland", "America/Chicago", "Asia/Dubai", "Europe/Helsinki")
DAY = timedelta(days=1)
# nudge_items states for the due nudges, in turn (a third of them get one)
ITEM_STATES: tuple[dict[str, Any], ...] = (
    {"last_sent_at": -DAY},  # sent: left out
    {"last_sent_at": -2 * DAY, "snoozed_until": DAY},  # snoozed: left out
    {"last_sent_at": -3 * DAY, "snoozed_until": -DAY / 24},  # snooze over: due again
    {"last_sent_at": -3 * DAY, "snoozed_until": -DAY / 24, "done_at": -DAY / 2},  # done
    {"snoozed_until": DAY},  # snoozed before it was sent: left out
    {"last_sent_at": -DAY, "other_user": True},  # someone else's: due
    {},  # no row: due
)
ITEM_TIMES = ("first_sent_at", "last_sent_at", "snoozed_until", "done_at")


async def season(db: Database, now: datetime = NOW) -> bool:
    """Add what the generator leaves out (see the module docstring); False if already done."""
    async with db.unit_of_work() as session:
        if await session.scalar(select(NudgeItem.id).where(NudgeItem.item_key == SEASON_MARK)):
            return False
        await _own_zones(session)
        for every, days_ago in ((11, 20), (13, 1)):
            imported = (now - timedelta(days=days_ago)).date()
            await session.execute(
                update(Account)
                .where(Account.id % every == 0, Account.started_on <= imported)
                .values(known_since=imported)
            )
        await _stale_ticks(session)
        await _week_edges(session, now)
        await session.flush()
        await _nudge_items(session, now)
        await session.execute(_history(now - timedelta(days=RULES.recap_lookback_days + 1)))
    return True


async def _own_zones(session: AsyncSession) -> None:
    ams = sorted((await session.scalars(select(User.id).where(User.role == Role.AM))).all())
    zones = [
        {"id": uid, "timezone": OWN_ZONES[i % len(OWN_ZONES)]} for i, uid in enumerate(ams[::7])
    ]
    await session.execute(update(User), zones)  # bulk UPDATE by primary key


async def _stale_ticks(session: AsyncSession) -> None:
    """Every 17th account ticked its stage's required steps 30 days before it (re-)entered it:
    ticks that no longer count."""
    playbooks = load_playbooks().playbooks
    stmt = select(Account.id, Account.stage, Account.stage_entered_at).where(Account.id % 17 == 0)
    rows = [
        {
            "account_id": account_id,
            "playbook": str(stage),
            "step_id": step.id,
            "completed_at": entered_at - timedelta(days=30),
        }
        for account_id, stage, entered_at in await session.execute(stmt)
        if str(stage) in playbooks
        for step in playbooks[str(stage)].required_steps
    ]
    if rows:
        await session.execute(insert(StepCompletion), rows)


async def _week_edges(session: AsyncSession, now: datetime) -> None:
    """Meetings on the edges of every 10th team's last completed week, recapped on the edge
    of the 24 hours that count as in time."""
    teams = (await session.execute(select(Team.id, Team.timezone).where(Team.id % 10 == 1))).all()
    rows = []
    for team_id, tz in teams:
        stmt = (
            select(Account.id, Account.owner_id)
            .join(User, User.id == Account.owner_id)
            .where(User.team_id == team_id)
            .order_by(Account.id)
            .limit(1)
        )
        found = (await session.execute(stmt)).first()
        if found is None:
            continue
        week = IsoWeek.last_completed(local_today(now, tz))
        zone = zone_or_utc(tz)
        first = datetime.combine(week.first_day, time.min, tzinfo=zone).astimezone(UTC)
        after = datetime.combine(week.last_day + DAY, time.min, tzinfo=zone).astimezone(UTC)
        edges = (
            (first, timedelta(hours=24)),
            (first + timedelta(minutes=1), timedelta(hours=24, seconds=1)),
            (after - timedelta(microseconds=1), timedelta(hours=24)),
            (after, timedelta(hours=24)),  # the next week's: not counted
        )
        rows += [
            {
                "account_id": found.id,
                "am_id": found.owner_id,
                "occurred_at": at,
                "kind": "sync",
                "recap_logged_at": at + late,
                "recap": "Edge of the week",
            }
            for at, late in edges
        ]
    if rows:
        await session.execute(insert(Meeting), rows)


async def _nudge_items(session: AsyncSession, now: datetime) -> None:
    head = await session.scalar(select(User.id).where(User.role == Role.HEAD).limit(1))
    assert head is not None, "the book has no head"
    due = await pending_nudges(session, as_of=now, rules=RULES, playbooks=load_playbooks())
    rows = [{"user_id": head, "item_key": SEASON_MARK, "kind": "bench", "account_id": None}]
    for i, nudge in enumerate(due):
        if i % 21 >= len(ITEM_STATES) or not ITEM_STATES[i % 21]:
            continue
        state = dict(ITEM_STATES[i % 21])
        user = head if state.pop("other_user", False) else nudge.user_id
        times = {name: now + state[name] if name in state else None for name in ITEM_TIMES}
        times["first_sent_at"] = times["last_sent_at"]
        rows.append(
            {
                "user_id": user,
                "item_key": nudge.key,
                "kind": nudge.kind,
                "account_id": nudge.account_id,
                **times,
            }
        )
    for row in rows:
        for name in ITEM_TIMES:
            row.setdefault(name, None)
    await session.execute(insert(NudgeItem), rows)


def _history(before: datetime) -> Any:
    """INSERT … SELECT: the done missed-recap items of a third of the older meetings."""
    key = literal("missed_recap:meeting:", String) + cast(Meeting.id, String)
    kind = literal("missed_recap", String)
    old = select(Meeting.am_id, key, kind, Meeting.account_id, Meeting.occurred_at).where(
        Meeting.occurred_at < before, Meeting.id % 3 == 0
    )
    columns = ["user_id", "item_key", "kind", "account_id", "done_at"]
    return insert(NudgeItem).from_select(columns, old)
