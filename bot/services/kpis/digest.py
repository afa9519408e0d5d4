"""The weekly digest a team lead acts on, as data: the week's KPIs against targets and their
change from the week before, why they changed, each AM's standing, the accounts that need the
lead, and the last eight weeks for the chart.

Every number comes from the KPI queries (:mod:`bot.services.kpis.queries`): the eight weeks in
one pass per person, the digest week and the week before once more per account, so the
report, the changes, the reasons and the chart can never disagree. The text, Slack and Teams
templates and `accountbot digest --format json` render this one result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.kpis.attention import AttentionAccount, BookAccount, needs_attention
from bot.services.kpis.definitions import KpiSet, kpis_from_tally
from bot.services.kpis.people import AmStatus, am_statuses
from bot.services.kpis.queries import RENEWAL_SOON_DAYS, tally_by_period
from bot.services.kpis.reasons import Evidence, Reason, reasons
from bot.services.kpis.report import (
    TeamKpiReport,
    assemble_report,
    team_members,
    week_period,
)
from bot.services.kpis.tally import Period, Scope, Tally
from bot.services.kpis.targets import KpiTargets
from bot.services.kpis.weeks import IsoWeek
from bot.services.preferences import preferences_for
from bot.settings import Settings
from storage.models import Account, Contract, Team, User

# The KPIs the digest leads with, in the order a lead reads them.
HEADLINE: tuple[str, ...] = (
    "recap_compliance",
    "missed_deadlines",
    "avg_onboarding_days",
    "upsell_pitch_coverage_qtd",
    "upsells_won",
    "upsell_value_won",
    "nps_90d",
    "logo_churn_rate_mtd",
    "logo_churn_rate_qtd",
    "logo_churn_rate_ytd",
    "revenue_churn_rate_mtd",
    "revenue_churn_rate_qtd",
    "renewals_next_30",
    "renewals_next_90",
    "open_objections",
    "escalated_objections",
    "steps_done_late",
)
CHART_KPIS: tuple[str, ...] = ("recap_compliance", "missed_deadlines", "upsell_pitch_coverage_qtd")
SERIES_WEEKS = 8

Direction = Literal["up", "down", "same"]


@dataclass(frozen=True, slots=True)
class KpiChange:
    """A KPI this week and the week before; ``change`` in the KPI's own unit (a rate's change
    is a fraction: 0.05 is 5 points). None when either week has no value."""

    value: Any
    previous: Any
    change: float | None

    @property
    def direction(self) -> Direction | None:
        if self.change is None:
            return None
        return "up" if self.change > 0 else "down" if self.change < 0 else "same"

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": _plain(self.value),
            "previous": _plain(self.previous),
            "change": self.change,
            "direction": self.direction,
        }


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One week of the chart: the KPIs of ``CHART_KPIS`` (the same as that week's digest)."""

    week: IsoWeek
    kpis: KpiSet

    def value(self, key: str) -> Any:
        return getattr(self.kpis, key)


@dataclass(frozen=True)
class Digest:
    report: TeamKpiReport
    previous: TeamKpiReport | None  # None: no week before with any account or meeting
    changes: dict[str, KpiChange]  # headline KPIs only, empty without a week before
    reasons: list[Reason]
    people: list[AmStatus]
    attention: list[AttentionAccount]
    series: list[WeekPoint]  # oldest first, ending with the digest's week

    @property
    def team(self) -> str:
        return self.report.team

    @property
    def week(self) -> IsoWeek:
        return self.report.week

    @property
    def headline(self) -> tuple[str, ...]:
        return HEADLINE

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``accountbot digest --format json``: the same numbers as the posts."""
        return {
            **self.report.to_dict(),
            "period": {
                "start": self.report.period_start.isoformat(),
                "end": self.report.period_end.isoformat(),
                "timezone": self.report.timezone,
            },
            "targets": {k: dict(v) for k, v in self.report.targets.items()},
            "misses": list(self.report.misses),
            "previous_week": str(self.previous.week) if self.previous else None,
            "changes": {key: change.to_dict() for key, change in self.changes.items()},
            "reasons": [reason.to_dict() for reason in self.reasons],
            "people": [person.to_dict() for person in self.people],
            "needs_attention": [account.to_dict() for account in self.attention],
            "chart": {
                "weeks": [str(point.week) for point in self.series],
                **{key: [_plain(p.value(key)) for p in self.series] for key in CHART_KPIS},
            },
        }


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float) else float(value)


def _has_data(kpis: KpiSet) -> bool:
    return bool(kpis.accounts_active or kpis.churned_accounts or kpis.meetings)


def _changes(now: KpiSet, before: KpiSet) -> dict[str, KpiChange]:
    found = {}
    for key in HEADLINE:
        value, previous = getattr(now, key), getattr(before, key)
        change = None if value is None or previous is None else float(value) - float(previous)
        found[key] = KpiChange(value, previous, change)
    return found


async def _book(session: AsyncSession, scope: Scope) -> dict[int, BookAccount]:
    query = (
        select(
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
    return {row[0]: BookAccount(*row) for row in await session.execute(query)}


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


def weeks_ending(week: IsoWeek, count: int, timezone: str) -> list[tuple[IsoWeek, Period]]:
    """The ``count`` weeks ending with ``week``, oldest first, with their periods."""
    found = []
    for back in range(count - 1, -1, -1):
        earlier = IsoWeek.containing(week.first_day - timedelta(weeks=back))
        found.append((earlier, week_period(earlier, None, timezone)))
    return found


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
    scope = Scope(team_id=team.id)
    weeks = weeks_ending(week, SERIES_WEEKS, team.timezone)
    periods = [period for _, period in weeks]
    by_person = await tally_by_period(session, periods=periods, scope=scope, playbooks=playbooks)
    by_account = await tally_by_period(
        session, periods=periods[-2:], scope=scope, by="account", playbooks=playbooks
    )
    members = await team_members(session, team)
    report = assemble_report(team, members, week, periods[-1], by_person[-1], targets)
    before = assemble_report(team, members, weeks[-2][0], periods[-2], by_person[-2], targets)
    previous = before if _has_data(before.kpis) else None
    book = await _book(session, scope)
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
        changes=_changes(report.kpis, before.kpis) if previous else {},
        reasons=reasons(evidence, HEADLINE) if previous else [],
        people=await _people(session, report, members, by_person[-1], settings),
        attention=needs_attention(
            book,
            by_account[-1],
            await _renewals_soon(session, scope, periods[-1].end),
            last_day=periods[-1].end,
            onboarding_days=settings.onboarding_target_days,
        ),
        series=[
            WeekPoint(w, kpis_from_tally(sum(t.values(), Tally())))
            for (w, _), t in zip(weeks, by_person, strict=True)
        ],
    )


async def _people(
    session: AsyncSession,
    report: TeamKpiReport,
    members: Sequence[User],
    tallies: dict[int, Tally],
    settings: Settings,
) -> list[AmStatus]:
    emails = {member.id: member.email for member in members}
    prefs = await preferences_for(session, emails, settings)
    vacations = {
        emails[user_id]: p.vacation_until
        for user_id, p in prefs.items()
        if p.vacation_until is not None and p.vacation_until >= report.period_start
    }
    late = {
        emails[user_id]: t.meetings - t.meetings_recapped_in_time
        for user_id, t in tallies.items()
        if user_id in emails
    }
    return am_statuses(report.by_am, late, vacations)
