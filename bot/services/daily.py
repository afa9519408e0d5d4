"""Each person's daily nudge: everything due, in one message, most urgent first.

People, not spam: the nudges due for a person are batched into one DM a day (a second one only
if there are too many for one), ordered by urgency. Only urgent ones ping (missed recaps,
renewals within 30 days, onboarding over target); low-urgency ones (renewals 60 or 90 days out,
overdue playbook steps) wait on `home` and are counted in the DM's summary line. A lead's DM
also names the AMs of their team with a second missed recap within a week, instead of a
separate ping. Muted kinds are left out; nobody on vacation gets anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.nudges import Nudge, NudgeRules, pending_nudges, settled_keys
from bot.services.objections.lists import stale_objections
from bot.services.preferences import Preferences, preferences_for
from bot.services.status import missed_recap_window
from bot.services.when import local_today, zone_or_utc
from bot.settings import Settings
from storage.models import Meeting, Role, User

WEEK = timedelta(days=7)
PEOPLE_PER_BATCH = 2000  # whose nudges are computed together: bounds the accounts held at once
SECOND_MISS = 2  # the second missed recap in a week reaches the lead


def urgency(nudge: Nudge) -> int:
    """0 is the most urgent: missed recaps, then renewals within 14 days, then the rest."""
    days_left = nudge.detail.get("days_left")
    if nudge.kind == "missed_recap":
        return 0
    if nudge.kind == "renewal" and isinstance(days_left, int) and days_left <= 14:
        return 1
    if nudge.kind == "onboarding_overdue":
        return 2
    if nudge.kind == "renewal" and isinstance(days_left, int) and days_left <= 30:
        return 3
    if nudge.kind == "objection":
        return 4
    return 5 if nudge.kind == "overdue_step" else 6


def pings(nudge: Nudge) -> bool:
    """Worth a DM on its own; the rest wait on `home` and the DM's summary line."""
    return urgency(nudge) <= 4


@dataclass(frozen=True)
class TeamAlert:
    """An AM of the lead's team with a second missed recap within a week."""

    name: str
    email: str
    missed_recaps: int


@dataclass(frozen=True)
class DailyNudge:
    user_id: int
    name: str
    local_date: date
    urgent: list[Nudge] = field(default_factory=list)
    quiet: list[Nudge] = field(default_factory=list)
    team_alerts: list[TeamAlert] = field(default_factory=list)

    @property
    def worth_sending(self) -> bool:
        return bool(self.urgent or self.team_alerts)


def due_now(prefs: Preferences, now: datetime, zone: str, catch_up: timedelta) -> bool:
    """Whether a person's nudge time has come today (a working day) and is not long past."""
    local = now.astimezone(zone_or_utc(zone))
    if not prefs.works_on(local.date()):
        return False
    hour, minute = (int(part) for part in prefs.nudge_time.split(":"))
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at <= local <= at + catch_up


async def second_missed_recaps(
    session: AsyncSession,
    *,
    as_of: datetime,
    rules: NudgeRules,
    team_ids: Collection[int | None] | None = None,
) -> dict[int, list[TeamAlert]]:
    """team id -> its AMs with two or more missed recaps among the week's meetings (of
    ``team_ids`` when given)."""
    wanted = None if team_ids is None else [t for t in team_ids if t is not None]
    if wanted is not None and not wanted:
        return {}
    window = missed_recap_window(
        as_of, grace_hours=rules.recap_grace_hours, lookback_days=WEEK.days
    )
    stmt = (
        select(User.team_id, User.name, User.email, func.count(Meeting.id))
        .join(Meeting, Meeting.am_id == User.id)
        .where(window, User.team_id.is_not(None))
        .where(User.team_id.in_(wanted) if wanted is not None else true())
        .group_by(User.team_id, User.id, User.name, User.email)
        .having(func.count(Meeting.id) >= SECOND_MISS)
    )
    alerts: dict[int, list[TeamAlert]] = defaultdict(list)
    for team_id, name, email, count in await session.execute(stmt):
        if team_id is not None:
            alerts[team_id].append(TeamAlert(name, email, int(count)))
    for found in alerts.values():
        found.sort(key=lambda alert: (-alert.missed_recaps, alert.name.casefold()))
    return alerts


async def stale_objection_nudges(
    session: AsyncSession,
    *,
    as_of: datetime,
    settings: Settings,
    playbooks: PlaybookLibrary,
    user_ids: Collection[int] | None = None,
) -> list[Nudge]:
    """An objection open longer than OBJECTION_STALE_DAYS, for its account's owner, once (or
    again when a snooze ends)."""
    stale = await stale_objections(
        session,
        as_of=as_of,
        walk=playbooks.walk,
        stale_days=settings.objection_stale_days,
        owner_ids=user_ids,
    )
    nudges = [
        Nudge(
            kind="objection",
            key=f"objection:open:{found.summary.id}",
            user_id=found.owner_id,
            user_email=found.owner_email,
            account_id=found.summary.account_id,
            account=found.summary.account,
            window_days=None,
            due_on=None,
            detail={
                "objection_id": found.summary.id,
                "days_open": found.summary.days_open,
                "summary": found.summary.summary,
            },
        )
        for found in stale
    ]
    settled = await settled_keys(session, [n.key for n in nudges], as_of)
    return [n for n in nudges if (n.user_id, n.key) not in settled]


@dataclass(frozen=True)
class _Person:
    user: User
    prefs: Preferences
    today: date


async def _people_due(
    session: AsyncSession,
    *,
    as_of: datetime,
    settings: Settings,
    on_schedule: bool,
    user_ids: set[int] | None,
) -> dict[int, _Person]:
    """Who may get a DM now: not on vacation and, ``on_schedule``, at their nudge time."""
    stmt = select(User)
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(user_ids))
    users = {u.id: u for u in await session.scalars(stmt)}
    prefs = await preferences_for(session, users, settings)
    catch_up = timedelta(hours=settings.nudge_catch_up_hours)
    people = {}
    for user_id, user in users.items():
        mine = prefs[user_id]
        today = local_today(as_of, user.effective_timezone)
        if mine.on_vacation(today):
            continue
        if on_schedule and not due_now(mine, as_of, user.effective_timezone, catch_up):
            continue
        people[user_id] = _Person(user, mine, today)
    return people


async def daily_nudges(
    session: AsyncSession,
    *,
    as_of: datetime,
    settings: Settings,
    rules: NudgeRules,
    playbooks: PlaybookLibrary,
    on_schedule: bool = False,
    user_ids: set[int] | None = None,
) -> list[DailyNudge]:
    """Everyone's daily nudge as of ``as_of`` (or only ``user_ids``'): what is due, minus what
    they muted, nothing for people on vacation. ``on_schedule``: only people whose own nudge
    time has come (the scheduler); otherwise everyone (`accountbot nudges --send`).

    People are decided first, then their nudges are computed a batch of people at a time, so a
    minute when nobody's time has come costs one small query and memory stays bounded."""
    people = await _people_due(
        session, as_of=as_of, settings=settings, on_schedule=on_schedule, user_ids=user_ids
    )
    result = []
    ids = sorted(people)
    for start in range(0, len(ids), PEOPLE_PER_BATCH):
        batch = ids[start : start + PEOPLE_PER_BATCH]
        due = await pending_nudges(
            session, as_of=as_of, rules=rules, playbooks=playbooks, user_ids=batch
        )
        due += await stale_objection_nudges(
            session, as_of=as_of, settings=settings, playbooks=playbooks, user_ids=batch
        )
        by_user: dict[int, list[Nudge]] = defaultdict(list)
        for nudge in due:
            by_user[nudge.user_id].append(nudge)
        leads = [people[i] for i in batch if people[i].user.role is Role.LEAD]
        alerts = await second_missed_recaps(
            session, as_of=as_of, rules=rules, team_ids={p.user.team_id for p in leads}
        )
        for user_id in batch:
            person = people[user_id]
            team_alerts = (
                alerts.get(person.user.team_id or -1, []) if person.user.role is Role.LEAD else []
            )
            if not by_user.get(user_id) and not team_alerts:
                continue
            wanted = sorted(
                (n for n in by_user.get(user_id, []) if person.prefs.wants(n.kind)),
                key=lambda n: (urgency(n), n.account.casefold(), n.key),
            )
            result.append(
                DailyNudge(
                    user_id=user_id,
                    name=person.user.name,
                    local_date=person.today,
                    urgent=[n for n in wanted if pings(n)],
                    quiet=[n for n in wanted if not pings(n)],
                    team_alerts=team_alerts if person.prefs.wants("missed_recap") else [],
                )
            )
    return result
