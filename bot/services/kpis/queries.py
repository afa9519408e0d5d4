"""The SQL behind the KPIs: per-person tallies for one reporting period.

Each KPI is a ratio or a count of a few tallies. The tallies are computed per person (the
account owner for account-based numbers, the meeting's AM for meetings) with a handful of
aggregate queries, so a team's numbers are the sum of its people's tallies and the per-AM
breakdown can never disagree with the team total. All date arithmetic happens in Python on
the bound parameters, so the SQL is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    Account,
    Contract,
    Deliverable,
    Meeting,
    SatisfactionSignal,
    SignalKind,
    Upsell,
    UpsellStatus,
    User,
)

RECAP_GRACE = timedelta(hours=24)
TRAILING_DAYS = 90
RENEWAL_SOON_DAYS = 30
RENEWAL_HORIZON_DAYS = 90
NPS_PROMOTER_MIN = 9
NPS_DETRACTOR_MAX = 6
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Period:
    """The days ``start``..``end`` (inclusive) as seen in ``timezone``.

    ``end`` is the "last day" every KPI refers to: the Sunday, or the day a week-to-date
    report runs through.
    """

    start: date
    end: date
    timezone: str

    @property
    def month_start(self) -> date:
        return self.end.replace(day=1)

    @property
    def quarter_start(self) -> date:
        return date(self.end.year, 3 * ((self.end.month - 1) // 3) + 1, 1)

    @property
    def trailing_after(self) -> date:
        """The trailing 90-day window holds the days strictly after this one, through ``end``."""
        return self.end - timedelta(days=TRAILING_DAYS)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[local midnight starting ``start``, local midnight after ``end``) as UTC instants."""
        zone = ZoneInfo(self.timezone)
        first = datetime.combine(self.start, time.min, tzinfo=zone)
        after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        return first.astimezone(UTC), after.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose numbers: everyone in a team, or one person."""

    team_id: int | None = None
    user_id: int | None = None

    def people(self, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        if self.user_id is not None:
            return column == self.user_id
        return column.in_(select(User.id).where(User.team_id == self.team_id))


@dataclass(slots=True)
class Tally:
    """The raw counts and sums the KPIs of one person (or, summed, one team) are made of."""

    active_at_end: int = 0
    churned_in_period: int = 0
    churned_mtd: int = 0
    active_at_month_start: int = 0
    churned_qtd: int = 0
    active_at_quarter_start: int = 0
    churned_mrr_qtd: Decimal = Decimal(0)
    mrr_at_quarter_start: Decimal = Decimal(0)
    upsells_won: int = 0
    upsell_value_won: Decimal = Decimal(0)
    pitched_active_accounts: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    nps_responses: int = 0
    onboarding_days: int = 0
    onboarded_accounts: int = 0
    missed_deadlines: int = 0
    meetings: int = 0
    meetings_recapped_in_time: int = 0
    renewals_next_30: int = 0
    renewals_next_90: int = 0

    def __add__(self, other: Tally) -> Tally:
        total = Tally()
        for f in fields(self):
            setattr(total, f.name, getattr(self, f.name) + getattr(other, f.name))
        return total


def _money(value: Any) -> Decimal:
    """SQLite sums money as a float; round back to cents so both backends agree."""
    return Decimal(str(value or 0)).quantize(_CENT)


def _store(tallies: dict[int, Tally], rows: Iterable[Sequence[Any]], names: Sequence[str]) -> None:
    """Rows of ``(person_id, value, ...)`` into the named tally fields."""
    for person_id, *values in rows:
        tally = tallies[person_id]
        for name, value in zip(names, values, strict=True):
            current = getattr(tally, name)
            setattr(tally, name, _money(value) if isinstance(current, Decimal) else int(value or 0))


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition: ColumnElement[bool], value: InstrumentedAttribute[Decimal]) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def active_at_start_of(day: date) -> ColumnElement[bool]:
    """Started by ``day`` and not churned before it (churning that day still counts)."""
    return and_(
        Account.started_on <= day, or_(Account.churned_on.is_(None), Account.churned_on >= day)
    )


def active_at_end_of(day: date) -> ColumnElement[bool]:
    """Started by ``day`` and not churned by its end."""
    return and_(
        Account.started_on <= day, or_(Account.churned_on.is_(None), Account.churned_on > day)
    )


async def _accounts(session: AsyncSession, p: Period, scope: Scope, out: dict[int, Tally]) -> None:
    churned_on, m0, q0 = Account.churned_on, p.month_start, p.quarter_start
    query = (
        select(
            Account.owner_id,
            _count_if(active_at_end_of(p.end)),
            _count_if(churned_on.between(p.start, p.end)),
            _count_if(churned_on.between(m0, p.end)),
            _count_if(active_at_start_of(m0)),
            _count_if(churned_on.between(q0, p.end)),
            _count_if(active_at_start_of(q0)),
            _sum_if(churned_on.between(q0, p.end), Account.mrr),
            _sum_if(active_at_start_of(q0), Account.mrr),
        )
        .where(scope.people(Account.owner_id))
        .group_by(Account.owner_id)
    )
    names = (
        "active_at_end",
        "churned_in_period",
        "churned_mtd",
        "active_at_month_start",
        "churned_qtd",
        "active_at_quarter_start",
        "churned_mrr_qtd",
        "mrr_at_quarter_start",
    )
    _store(out, (await session.execute(query)).all(), names)


async def _upsells(session: AsyncSession, p: Period, scope: Scope, out: dict[int, Tally]) -> None:
    won = and_(Upsell.status == UpsellStatus.WON, Upsell.closed_on.between(p.start, p.end))
    pitched = and_(Upsell.pitched_on.between(p.quarter_start, p.end), active_at_end_of(p.end))
    query = (
        select(
            Account.owner_id,
            _count_if(won),
            _sum_if(won, Upsell.value),
            func.count(distinct(case((pitched, Upsell.account_id)))),
        )
        .select_from(Upsell)
        .join(Account, Account.id == Upsell.account_id)
        .where(scope.people(Account.owner_id), or_(won, pitched))
        .group_by(Account.owner_id)
    )
    names = ("upsells_won", "upsell_value_won", "pitched_active_accounts")
    _store(out, (await session.execute(query)).all(), names)


async def _nps(session: AsyncSession, p: Period, scope: Scope, out: dict[int, Tally]) -> None:
    score = SatisfactionSignal.score
    query = (
        select(
            Account.owner_id,
            _count_if(score >= NPS_PROMOTER_MIN),
            _count_if(score <= NPS_DETRACTOR_MAX),
            func.count(),
        )
        .select_from(SatisfactionSignal)
        .join(Account, Account.id == SatisfactionSignal.account_id)
        .where(
            scope.people(Account.owner_id),
            SatisfactionSignal.kind == SignalKind.NPS,
            score.is_not(None),
            SatisfactionSignal.recorded_on > p.trailing_after,
            SatisfactionSignal.recorded_on <= p.end,
        )
        .group_by(Account.owner_id)
    )
    names = ("nps_promoters", "nps_detractors", "nps_responses")
    _store(out, (await session.execute(query)).all(), names)


async def _onboarding(
    session: AsyncSession, p: Period, scope: Scope, out: dict[int, Tally]
) -> None:
    # Day differences are not portable SQL, so fetch the (few) completions of the window.
    completed_on = Account.onboarding_completed_on
    query = select(Account.owner_id, Account.started_on, completed_on).where(
        scope.people(Account.owner_id),
        completed_on > p.trailing_after,
        completed_on <= p.end,
    )
    for owner_id, started_on, finished_on in (await session.execute(query)).all():
        if finished_on is None:  # excluded by the query; this tells the type checker
            continue
        out[owner_id].onboarding_days += (finished_on - started_on).days
        out[owner_id].onboarded_accounts += 1


async def _deliverables(
    session: AsyncSession, p: Period, scope: Scope, out: dict[int, Tally]
) -> None:
    query = (
        select(Account.owner_id, func.count())
        .select_from(Deliverable)
        .join(Account, Account.id == Deliverable.account_id)
        .where(
            scope.people(Account.owner_id),
            Deliverable.due_on.between(p.start, p.end),
            or_(Deliverable.delivered_on.is_(None), Deliverable.delivered_on > Deliverable.due_on),
        )
        .group_by(Account.owner_id)
    )
    _store(out, (await session.execute(query)).all(), ("missed_deadlines",))


async def _meetings(session: AsyncSession, p: Period, scope: Scope, out: dict[int, Tally]) -> None:
    first, after = p.utc_bounds()
    query = select(Meeting.am_id, Meeting.occurred_at, Meeting.recap_logged_at).where(
        scope.people(Meeting.am_id), Meeting.occurred_at >= first, Meeting.occurred_at < after
    )
    for am_id, occurred_at, recap_logged_at in (await session.execute(query)).all():
        out[am_id].meetings += 1
        if recap_logged_at is not None and recap_logged_at - occurred_at <= RECAP_GRACE:
            out[am_id].meetings_recapped_in_time += 1


async def _renewals(session: AsyncSession, p: Period, scope: Scope, out: dict[int, Tally]) -> None:
    soon = p.end + timedelta(days=RENEWAL_SOON_DAYS)
    horizon = p.end + timedelta(days=RENEWAL_HORIZON_DAYS)
    query = (
        select(Account.owner_id, _count_if(Contract.end_on <= soon), func.count())
        .select_from(Contract)
        .join(Account, Account.id == Contract.account_id)
        .where(
            scope.people(Account.owner_id),
            active_at_end_of(p.end),
            Contract.end_on > p.end,
            Contract.end_on <= horizon,
        )
        .group_by(Account.owner_id)
    )
    _store(out, (await session.execute(query)).all(), ("renewals_next_30", "renewals_next_90"))


async def tally_by_person(
    session: AsyncSession, *, period: Period, scope: Scope
) -> dict[int, Tally]:
    """Every person in ``scope`` with anything to count, by user id.

    Account owners appear once they own any account of the scope (even with all zeros);
    AMs appear for meetings they held in the period.
    """
    tallies: defaultdict[int, Tally] = defaultdict(Tally)
    for query in (_accounts, _upsells, _nps, _onboarding, _deliverables, _meetings, _renewals):
        await query(session, period, scope, tallies)
    return dict(tallies)
