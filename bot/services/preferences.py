"""A person's nudge settings: when (time, working days), what (muted kinds) and whether (vacation);
and their own time zone.

What a person has not set follows the deployment's settings (NUDGE_TIME, WORKING_DAYS), and
their zone their team's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import DAYS, Settings
from storage.catalog import bump_catalog
from storage.models import User, UserSettings

# The kinds of nudges a person can mute (the nudge engine's kinds, plus stale objections).
NUDGE_KINDS = ("missed_recap", "overdue_step", "onboarding_overdue", "renewal", "objection")
KIND_NAMES = {
    "missed_recap": "missed recaps",
    "overdue_step": "overdue playbook steps",
    "onboarding_overdue": "onboarding taking too long",
    "renewal": "renewals coming up",
    "objection": "objections left open",
}


@dataclass(frozen=True)
class Preferences:
    nudge_time: str
    working_days: tuple[str, ...]
    muted: frozenset[str] = field(default_factory=frozenset)
    vacation_until: date | None = None
    own_time: bool = False
    own_days: bool = False

    def on_vacation(self, today: date) -> bool:
        """Away through ``vacation_until`` (inclusive): nothing is sent, the lead is told."""
        return self.vacation_until is not None and today <= self.vacation_until

    def works_on(self, day: date) -> bool:
        return DAYS[day.weekday()] in self.working_days

    def wants(self, kind: str) -> bool:
        return kind not in self.muted


def _defaults(settings: Settings) -> Preferences:
    return Preferences(settings.nudge_time, tuple(settings.working_days.split(",")))


def _merge(defaults: Preferences, row: UserSettings | None) -> Preferences:
    if row is None:
        return defaults
    return Preferences(
        nudge_time=row.nudge_time or defaults.nudge_time,
        working_days=(
            tuple(row.working_days.split(",")) if row.working_days else defaults.working_days
        ),
        muted=frozenset(str(kind) for kind in (row.muted or [])),
        vacation_until=row.vacation_until,
        own_time=row.nudge_time is not None,
        own_days=row.working_days is not None,
    )


async def preferences_for(
    session: AsyncSession, user_ids: Iterable[int], settings: Settings
) -> dict[int, Preferences]:
    """Everyone's preferences (the defaults for people who set nothing)."""
    ids = list(dict.fromkeys(user_ids))
    defaults = _defaults(settings)
    rows: dict[int, UserSettings] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stmt = select(UserSettings).where(UserSettings.user_id.in_(chunk))
        for row in await session.scalars(stmt):
            rows[row.user_id] = row
    return {user_id: _merge(defaults, rows.get(user_id)) for user_id in ids}


async def change_preferences(
    session: AsyncSession,
    *,
    user: User,
    now: datetime,
    nudge_time: str | None = None,
    working_days: Iterable[str] | None = None,
    mute: str | None = None,
    unmute: str | None = None,
    vacation_until: date | None = None,
    clear_vacation: bool = False,
    reset: bool = False,
) -> None:
    """Change what was given; the rest stays as it is."""
    row = await session.get(UserSettings, user.id)
    if row is None:
        row = UserSettings(user_id=user.id, muted=[])
        session.add(row)
    if reset:
        row.nudge_time, row.working_days, row.muted, row.vacation_until = None, None, [], None
    if nudge_time is not None:
        row.nudge_time = nudge_time
    if working_days is not None:
        row.working_days = ",".join(working_days)
    muted = set(row.muted or [])
    if mute:
        muted.add(mute)
    if unmute:
        muted.discard(unmute)
    row.muted = sorted(muted)
    if vacation_until is not None:
        row.vacation_until = vacation_until
    if clear_vacation:
        row.vacation_until = None
    row.updated_at = now
    await session.flush()


async def change_timezone(session: AsyncSession, *, user: User, zone: str | None) -> None:
    """The person's own time zone (an IANA name; None: their team's again). Their today, nudge
    time and typed times follow it; processes holding the zones in use are told through the
    catalog generation, in this transaction."""
    row = await session.get(User, user.id)
    if row is None or row.timezone == zone:
        return
    row.timezone = zone
    await bump_catalog(session)
