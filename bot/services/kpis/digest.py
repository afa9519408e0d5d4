"""The weekly digest a team lead acts on, computed: the week's KPIs against targets and their
change from the week before, why they changed, each AM's standing, the accounts that need the
lead, and the last eight weeks for the chart (the data itself: :mod:`~.digest_model`).

Every number comes from the KPI queries (:mod:`bot.services.kpis.queries`): the eight weeks in
one pass per person, the digest week and the week before once more per account, so the
report, the changes, the reasons and the chart can never disagree. Many teams' digests come
from one set of queries (:func:`team_digests`, see :mod:`bot.services.kpis.teams`), each the
same as the team's alone. The text, Slack and Teams templates and
`accountbot digest --format json` render this one result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.kpis.attention import BookAccount, needs_attention
from bot.services.kpis.day_counts import RENEWAL_SOON_DAYS
from bot.services.kpis.definitions import kpis_from_tally
from bot.services.kpis.digest_model import (
    CHART_KPIS,
    HEADLINE,
    SERIES_WEEKS,
    Digest,
    KpiChange,
    WeekPoint,
    changes_between,
    has_data,
)
from bot.services.kpis.people import AmStatus, am_statuses
from bot.services.kpis.reasons import Evidence, reasons
from bot.services.kpis.report import TeamKpiReport, assemble_report, week_period
from bot.services.kpis.tally import Period, Scope, Tally, total
from bot.services.kpis.targets import KpiTargets
from bot.services.kpis.teams import Member, TeamBatch, tally_teams, team_batch
from bot.services.kpis.weeks import IsoWeek
from bot.settings import Settings
from storage.models import Account, Contract, Team, User, UserSettings

__all__ = [
    "CHART_KPIS",
    "HEADLINE",
    "SERIES_WEEKS",
    "Digest",
    "KpiChange",
    "PeopleTallies",
    "WeekPoint",
    "count_people",
    "team_digest",
    "team_digests",
    "weeks_ending",
]


async def _books(session: AsyncSession, scope: Scope) -> dict[int, dict[int, BookAccount]]:
    """The accounts of the scope's people, by their owner's team and id."""
    query = (
        select(
            User.team_id,
            Account.id,
            Account.name,
            User.name,
            Account.started_on,
            Account.onboarding_completed_on,
            Account.known_since,
            Account.churned_on,
            Account.mrr,
        )
        .join(User, User.id == Account.owner_id)
        .where(scope.people(Account.owner_id))
    )
    found: defaultdict[int, dict[int, BookAccount]] = defaultdict(dict)
    for row in await session.execute(query):
        if row[0] is not None:  # the scope's people are in its teams; this tells the type checker
            found[row[0]][row[1]] = BookAccount(*row[1:])
    return found


async def _renewals_soon(session: AsyncSession, scope: Scope, last_day: date) -> dict[int, date]:
    """The soonest contract end within 30 days after ``last_day``, per account."""
    query = (
        select(Contract.account_id, func.min(Contract.end_on))
        .join(Account, Account.id == Contract.account_id)
        .where(
            scope.people(Account.owner_id),
            Contract.end_on > last_day,
            Contract.end_on <= last_day + timedelta(days=RENEWAL_SOON_DAYS),
        )
        .group_by(Contract.account_id)
    )
    return {account_id: end_on for account_id, end_on in await session.execute(query)}


async def _vacations(session: AsyncSession, scope: Scope, first_day: date) -> dict[int, date]:
    """The last day of vacation of the scope's people away on or after ``first_day``."""
    query = select(UserSettings.user_id, UserSettings.vacation_until).where(
        scope.people(UserSettings.user_id), UserSettings.vacation_until >= first_day
    )
    rows = await session.execute(query)
    return {user_id: until for user_id, until in rows if until is not None}


def weeks_ending(week: IsoWeek, count: int, timezone: str) -> list[tuple[IsoWeek, Period]]:
    """The ``count`` weeks ending with ``week``, oldest first, with their periods."""
    found = []
    for back in range(count - 1, -1, -1):
        earlier = IsoWeek.containing(week.first_day - timedelta(weeks=back))
        found.append((earlier, week_period(earlier, None, timezone)))
    return found


@dataclass(frozen=True)
class PeopleTallies:
    """Each person's numbers for a digest week and the weeks of its chart, for a batch of
    teams: counted once for many teams, read by the digests of each smaller batch of them."""

    batch: TeamBatch
    by_person: dict[int, list[dict[int, Tally]]]  # team id -> per week (oldest first) -> person


async def count_people(
    session: AsyncSession, *, teams: Sequence[Team], week: IsoWeek, playbooks: PlaybookLibrary
) -> PeopleTallies:
    """The numbers of the people of ``teams`` for the :data:`SERIES_WEEKS` weeks to ``week``
    (each team's days in its own time zone), from one set of queries."""
    batch = await team_batch(session, teams)
    # the days of each week: the same for every team (the queries place them in each zone)
    periods = [period for _, period in weeks_ending(week, SERIES_WEEKS, teams[0].timezone)]
    return PeopleTallies(batch, await tally_teams(session, batch, periods, playbooks=playbooks))


@dataclass(frozen=True)
class _Found:
    """What the queries found for one team: per person for every week, per account for the
    last two, its accounts; and for the whole batch, renewals soon and vacations."""

    members: Sequence[Member]
    by_person: list[dict[int, Tally]]
    by_account: list[dict[int, Tally]]
    book: Mapping[int, BookAccount]
    renewals: Mapping[int, date]
    vacations: Mapping[int, date]


async def team_digests(
    session: AsyncSession,
    *,
    teams: Sequence[Team],
    week: IsoWeek,
    targets: KpiTargets,
    playbooks: PlaybookLibrary,
    settings: Settings,
    people: PeopleTallies | None = None,
) -> dict[int, Digest]:
    """The digest of each of ``teams`` for ``week`` (Monday to Sunday in each team's time
    zone), by team id, as :func:`team_digest` makes it, from a number of queries that does not
    grow with the number of teams (a few per time zone among them). ``people``: their people's
    numbers, counted for them or for a larger batch holding them (:func:`count_people`);
    counted here when not given. For many teams, see :mod:`~.digest_batches`."""
    weeks = {team.id: weeks_ending(week, SERIES_WEEKS, team.timezone) for team in teams}
    if not teams:
        return {}
    if people is None:
        people = await count_people(session, teams=teams, week=week, playbooks=playbooks)
    batch = people.batch.part(teams)
    by_person = people.by_person
    periods = [period for _, period in weeks[batch.teams[0].id]]  # the days: the same for all
    by_account = await tally_teams(session, batch, periods[-2:], by="account", playbooks=playbooks)
    books = await _books(session, batch.scope)
    renewals = await _renewals_soon(session, batch.scope, periods[-1].end)
    vacations = await _vacations(session, batch.scope, week.first_day)
    return {
        team.id: _digest(
            team,
            weeks[team.id],
            _Found(
                batch.members[team.id],
                by_person[team.id],
                by_account[team.id],
                books.get(team.id, {}),
                renewals,
                vacations,
            ),
            targets,
            settings,
        )
        for team in batch.teams
    }


async def team_digest(
    session: AsyncSession,
    *,
    team: Team,
    week: IsoWeek,
    targets: KpiTargets,
    playbooks: PlaybookLibrary,
    settings: Settings,
) -> Digest:
    """Team ``team``'s digest for ``week`` (Monday to Sunday in the team's time zone)."""
    found = await team_digests(
        session, teams=[team], week=week, targets=targets, playbooks=playbooks, settings=settings
    )
    return found[team.id]


def _digest(
    team: Team,
    weeks: list[tuple[IsoWeek, Period]],
    found: _Found,
    targets: KpiTargets,
    settings: Settings,
) -> Digest:
    periods = [period for _, period in weeks]
    members, book = found.members, found.book
    by_person, by_account = found.by_person, found.by_account
    report = assemble_report(team, members, weeks[-1][0], periods[-1], by_person[-1], targets)
    before = assemble_report(team, members, weeks[-2][0], periods[-2], by_person[-2], targets)
    previous = before if has_data(before.kpis) else None
    evidence = Evidence(
        current=report.kpis,
        previous=before.kpis,
        period=periods[-1],
        previous_period=periods[-2],
        by_person=by_person[-1],
        by_person_before=by_person[-2],
        by_account=by_account[-1],
        by_account_before=by_account[-2],
        people={member.id: member.name for member in members},
        accounts={a.id: a.name for a in book.values()},
        mrr={a.id: a.mrr for a in book.values()},
        onboardings={
            a.id: (a.started_on, a.onboarding_completed_on)
            for a in book.values()
            if a.onboarding_completed_on is not None
        },
    )
    return Digest(
        report=report,
        previous=previous,
        changes=changes_between(report.kpis, before.kpis) if previous else {},
        reasons=reasons(evidence, HEADLINE) if previous else [],
        people=_people(report, members, by_person[-1], found.vacations),
        attention=needs_attention(
            book,
            by_account[-1],
            found.renewals,
            last_day=periods[-1].end,
            onboarding_days=settings.onboarding_target_days,
        ),
        series=[
            WeekPoint(w, kpis_from_tally(total(t.values())))
            for (w, _), t in zip(weeks, by_person, strict=True)
        ],
    )


def _people(
    report: TeamKpiReport,
    members: Sequence[Member],
    tallies: Mapping[int, Tally],
    vacations: Mapping[int, date],
) -> list[AmStatus]:
    emails = {member.id: member.email for member in members}
    away = {emails[user_id]: until for user_id, until in vacations.items() if user_id in emails}
    late = {
        emails[user_id]: t.meetings - t.meetings_recapped_in_time
        for user_id, t in tallies.items()
        if user_id in emails
    }
    return am_statuses(report.by_am, late, away)
