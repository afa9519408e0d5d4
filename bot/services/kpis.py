"""The KPI engine: ONE definition of the team numbers, used by the digest, the CLI and chat.

A report covers one ISO week (Monday to Sunday) of a team, with days placed in the team's
timezone, or a week to date (``through`` a day of that week, which is then the "last day").
The definitions live in :mod:`bot.services.kpi_queries` (the counting) and
:func:`kpis_from_tally` (the ratios); see the docstring of :class:`KpiSet`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapidfuzz import process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound
from bot.services.kpi_queries import Period, Scope, Tally, tally_by_person
from storage.keys import name_key
from storage.models import Role, Team, User

if TYPE_CHECKING:
    from bot.services.kpi_targets import KpiTargets

_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)
_WEEK_HINT = "Write an ISO week like 2026-W07: the year, W, and the week number (01 to 53)."


def weeks_in_iso_year(year: int) -> int:
    """52 or 53: December 28th always falls in the last ISO week of its year."""
    return date(year, 12, 28).isocalendar().week


@dataclass(frozen=True, slots=True, order=True)
class IsoWeek:
    """An ISO 8601 week: Monday to Sunday, week 1 being the week with the year's first Thursday."""

    year: int
    week: int

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9998 or not 1 <= self.week <= weeks_in_iso_year(self.year):
            raise ValueError(f"no ISO week {self.week} in {self.year}")

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``"2026-W07"`` (also ``2026-w7``, ``2026W07``); anything else is InvalidInput."""
        match = _ISO_WEEK.fullmatch(text.strip())
        if match is None:
            raise InvalidInput(f"“{text}” is not an ISO week.", hint=_WEEK_HINT)
        year, week = int(match[1]), int(match[2])
        if not 1 <= year <= 9998:
            raise InvalidInput(f"“{text}” is not an ISO week.", hint=_WEEK_HINT)
        if not 1 <= week <= weeks_in_iso_year(year):
            raise InvalidInput(
                f"{year} has no week {week}: it has {weeks_in_iso_year(year)} ISO weeks.",
                hint=_WEEK_HINT,
            )
        return cls(year, week)

    @classmethod
    def containing(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_completed(cls, today: date) -> IsoWeek:
        """The latest week whose Sunday is before ``today`` (today's week is still running)."""
        return cls.containing(today - timedelta(days=7))

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def last_day(self) -> date:
        return date.fromisocalendar(self.year, self.week, 7)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def digest_week(timezone: str, now: datetime) -> IsoWeek:
    """The digest's default: the last completed ISO week in ``timezone`` as of ``now``."""
    return IsoWeek.last_completed(now.astimezone(ZoneInfo(timezone)).date())


@dataclass(frozen=True, slots=True)
class KpiSet:
    """One period's numbers for a team or one AM (rates are fractions 0..1, unrounded).

    "Last day" is the period's end (Sunday, or ``through``); "the quarter" and "the month"
    are the ones containing it; the 90-day window is (last day - 90 days, last day].
    """

    accounts_active: int
    churned_accounts: int
    logo_churn_rate_mtd: float | None
    logo_churn_rate_qtd: float | None
    revenue_churn_rate_qtd: float | None
    upsells_won: int
    upsell_value_won: Decimal
    upsell_pitch_coverage_qtd: float | None
    nps_90d: float | None
    avg_onboarding_days: float | None
    missed_deadlines: int
    meetings: int
    recap_compliance: float | None
    renewals_next_30: int
    renewals_next_90: int

    def to_dict(self) -> dict[str, int | float | None]:
        """JSON-safe, in definition order: Decimal becomes float, None stays None."""
        out: dict[str, int | float | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = float(value) if isinstance(value, Decimal) else value
        return out


KPI_NAMES: tuple[str, ...] = tuple(f.name for f in fields(KpiSet))


def _ratio(part: int | Decimal, whole: int | Decimal) -> float | None:
    return None if whole == 0 else float(part) / float(whole)


def kpis_from_tally(t: Tally) -> KpiSet:
    nps = None
    if t.nps_responses:
        nps = 100 * (t.nps_promoters - t.nps_detractors) / t.nps_responses
    return KpiSet(
        accounts_active=t.active_at_end,
        churned_accounts=t.churned_in_period,
        logo_churn_rate_mtd=_ratio(t.churned_mtd, t.active_at_month_start),
        logo_churn_rate_qtd=_ratio(t.churned_qtd, t.active_at_quarter_start),
        revenue_churn_rate_qtd=_ratio(t.churned_mrr_qtd, t.mrr_at_quarter_start),
        upsells_won=t.upsells_won,
        upsell_value_won=t.upsell_value_won,
        upsell_pitch_coverage_qtd=_ratio(t.pitched_active_accounts, t.active_at_end),
        nps_90d=nps,
        avg_onboarding_days=_ratio(t.onboarding_days, t.onboarded_accounts),
        missed_deadlines=t.missed_deadlines,
        meetings=t.meetings,
        recap_compliance=_ratio(t.meetings_recapped_in_time, t.meetings),
        renewals_next_30=t.renewals_next_30,
        renewals_next_90=t.renewals_next_90,
    )


@dataclass(frozen=True, slots=True)
class AmKpis:
    """One person's numbers, the targets for their seniority and the targets they miss."""

    user_email: str
    name: str
    seniority: str | None
    kpis: KpiSet
    targets: dict[str, dict[str, float]]
    misses: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_email": self.user_email,
            "name": self.name,
            "seniority": self.seniority,
            "kpis": self.kpis.to_dict(),
            "targets": {k: dict(v) for k, v in self.targets.items()},
            "misses": list(self.misses),
        }


@dataclass(frozen=True, slots=True)
class TeamKpiReport:
    """A team's numbers for a week (or week to date), per AM too; ``misses`` = team targets."""

    team: str
    timezone: str
    week: IsoWeek
    period_start: date
    period_end: date
    kpis: KpiSet
    by_am: list[AmKpis]
    targets: dict[str, dict[str, float]]
    misses: list[str]

    @property
    def week_to_date(self) -> bool:
        return self.period_end < self.week.last_day

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``accountbot digest --format json``."""
        return {
            "team": self.team,
            "week": str(self.week),
            "kpis": self.kpis.to_dict(),
            "by_am": [am.to_dict() for am in self.by_am],
        }


class TeamNotFound(NotFound):
    def __init__(self, query: str, suggestions: list[str]) -> None:
        super().__init__(query, suggestions)
        self.message = f"No team matches “{query}”."
        self.args = (self.message,)


async def find_team(session: AsyncSession, name: str) -> Team:
    """The team with this name (any case); TeamNotFound with the closest names otherwise."""
    team = await session.scalar(select(Team).where(Team.name_key == name_key(name)))
    if team is None:
        names = list((await session.scalars(select(Team.name).order_by(Team.name))).all())
        close = [match for match, _, _ in process.extract(name, names, limit=3, score_cutoff=60)]
        raise TeamNotFound(name, close)
    return team


def _period(week: IsoWeek, through: date | None, timezone: str) -> Period:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"“{timezone}” is not a timezone accountbot knows.") from exc
    if through is None:
        return Period(week.first_day, week.last_day, timezone)
    if not week.first_day <= through <= week.last_day:
        raise InvalidInput(
            f"{through.isoformat()} is not in {week} "
            f"({week.first_day.isoformat()} to {week.last_day.isoformat()})."
        )
    return Period(week.first_day, through, timezone)


def _am_kpis(user: User, tally: Tally, targets: KpiTargets) -> AmKpis:
    kpis = kpis_from_tally(tally)
    seniority = user.seniority.value if user.seniority else None
    return AmKpis(
        user_email=user.email,
        name=user.name,
        seniority=seniority,
        kpis=kpis,
        targets=targets.as_dict(seniority),
        misses=targets.misses(kpis, seniority),
    )


async def team_kpi_report(
    session: AsyncSession,
    *,
    team: Team | str,
    week: IsoWeek,
    through: date | None = None,
    targets: KpiTargets,
) -> TeamKpiReport:
    """Team ``team``'s KPIs for ``week`` (through Sunday, or ``through``), and per AM.

    ``by_am`` lists, by name, the team's members with the AM role plus anyone else in the team
    who owns its accounts or held meetings in the period.
    """
    found = await find_team(session, team) if isinstance(team, str) else team
    period = _period(week, through, found.timezone)
    tallies = await tally_by_person(session, period=period, scope=Scope(team_id=found.id))
    members = (await session.scalars(select(User).where(User.team_id == found.id))).all()
    # Sorted here, not in SQL: collations differ between SQLite and PostgreSQL.
    by_am = [
        _am_kpis(member, tallies.get(member.id, Tally()), targets)
        for member in sorted(members, key=lambda m: (m.name.casefold(), m.email))
        if member.role == Role.AM or member.id in tallies
    ]
    kpis = kpis_from_tally(sum(tallies.values(), Tally()))
    return TeamKpiReport(
        team=found.name,
        timezone=found.timezone,
        week=week,
        period_start=period.start,
        period_end=period.end,
        kpis=kpis,
        by_am=by_am,
        targets=targets.as_dict(None),
        misses=targets.misses(kpis, None),
    )


async def user_kpis(
    session: AsyncSession,
    *,
    user: User,
    week: IsoWeek,
    through: date | None = None,
    targets: KpiTargets,
) -> AmKpis:
    """One person's KPIs (``/account kpi me``): the same numbers as their digest row."""
    timezone: str | None = None
    if user.team_id is not None:
        timezone = await session.scalar(select(Team.timezone).where(Team.id == user.team_id))
    period = _period(week, through, timezone or "UTC")
    tallies = await tally_by_person(session, period=period, scope=Scope(user_id=user.id))
    return _am_kpis(user, tallies.get(user.id, Tally()), targets)
