"""Team and personal KPI reports: ONE definition of the team numbers, used by the digest, the
CLI and chat.

A report covers one ISO week (Monday to Sunday) of a team, with days placed in the team's
timezone, or a week to date (``through`` a day of that week, which is then the "last day").
The definitions live in :mod:`bot.services.kpis.queries` and :mod:`~bot.services.kpis.activity`
(the counting) and :mod:`bot.services.kpis.definitions` (the ratios).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapidfuzz import process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound
from bot.playbooks import PlaybookLibrary
from bot.services.kpis.definitions import KpiSet, kpis_from_tally
from bot.services.kpis.queries import Period, Scope, Tally, bundled_playbooks, tally_by_person
from bot.services.kpis.tally import total
from bot.services.kpis.targets import KpiTargets
from bot.services.kpis.teams import Member, tally_teams, team_batch
from bot.services.kpis.weeks import IsoWeek
from storage.keys import name_key
from storage.models import Role, Team, User


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


def week_period(week: IsoWeek, through: date | None, timezone: str) -> Period:
    """The days a report covers: the week (through Sunday, or ``through``) in ``timezone``."""
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


def _am_kpis(user: User | Member, tally: Tally, targets: KpiTargets) -> AmKpis:
    kpis = kpis_from_tally(tally)
    seniority = user.seniority
    return AmKpis(
        user_email=user.email,
        name=user.name,
        seniority=seniority.value if seniority else None,
        kpis=kpis,
        targets=targets.as_dict(seniority),
        misses=targets.misses(kpis, seniority),
    )


def assemble_report(
    team: Team,
    members: Sequence[Member],
    week: IsoWeek,
    period: Period,
    tallies: Mapping[int, Tally],
    targets: KpiTargets,
) -> TeamKpiReport:
    """The report made of a period's per-person tallies (``members`` sorted by name)."""
    by_am = [
        _am_kpis(member, tallies.get(member.id, Tally()), targets)
        for member in members
        if member.role == Role.AM or member.id in tallies
    ]
    kpis = kpis_from_tally(total(tallies.values()))
    return TeamKpiReport(
        team=team.name,
        timezone=team.timezone,
        week=week,
        period_start=period.start,
        period_end=period.end,
        kpis=kpis,
        by_am=by_am,
        targets=targets.as_dict(None),
        misses=targets.misses(kpis, None),
    )


async def team_kpi_reports(
    session: AsyncSession,
    *,
    teams: Sequence[Team],
    week: IsoWeek,
    through: date | None = None,
    targets: KpiTargets,
    playbooks: PlaybookLibrary | None = None,
) -> dict[int, TeamKpiReport]:
    """The report of each of ``teams`` (by team id), as :func:`team_kpi_report` makes it, from
    one set of queries (see :mod:`bot.services.kpis.teams`; split long lists with
    ``in_batches``)."""
    periods = {team.id: week_period(week, through, team.timezone) for team in teams}
    if not teams:
        return {}
    batch = await team_batch(session, teams)
    days = periods[batch.teams[0].id]
    tallies = await tally_teams(session, batch, [days], playbooks=playbooks or bundled_playbooks())
    return {
        team.id: assemble_report(
            team, batch.members[team.id], week, periods[team.id], tallies[team.id][0], targets
        )
        for team in batch.teams
    }


async def team_kpi_report(
    session: AsyncSession,
    *,
    team: Team | str,
    week: IsoWeek,
    through: date | None = None,
    targets: KpiTargets,
    playbooks: PlaybookLibrary | None = None,
) -> TeamKpiReport:
    """Team ``team``'s KPIs for ``week`` (through Sunday, or ``through``), and per AM.

    ``by_am`` lists, by name, the team's members with the AM role plus anyone else in the team
    who owns its accounts or held meetings in the period. ``playbooks`` (for the steps done
    late): the bundled ones unless given.
    """
    found = await find_team(session, team) if isinstance(team, str) else team
    reports = await team_kpi_reports(
        session, teams=[found], week=week, through=through, targets=targets, playbooks=playbooks
    )
    return reports[found.id]


async def user_kpis(
    session: AsyncSession,
    *,
    user: User,
    week: IsoWeek,
    through: date | None = None,
    targets: KpiTargets,
    playbooks: PlaybookLibrary | None = None,
) -> AmKpis:
    """One person's KPIs (``/account kpi me``): the same numbers as their digest row."""
    timezone: str | None = None
    if user.team_id is not None:
        timezone = await session.scalar(select(Team.timezone).where(Team.id == user.team_id))
    period = week_period(week, through, timezone or "UTC")
    tallies = await tally_by_person(
        session, period=period, scope=Scope(user_id=user.id), playbooks=playbooks
    )
    return _am_kpis(user, tallies.get(user.id, Tally()), targets)
