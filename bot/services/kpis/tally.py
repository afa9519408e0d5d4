"""What the KPI queries count into: periods, scopes, tallies and the SQL helpers they share.

A :class:`Tally` holds the raw counts and sums of one person (or one account) for one period;
the KPIs of :mod:`bot.services.kpis.definitions` are ratios and counts of them. Queries answer
several periods at once (the digest's eight weeks), one column (or one Python bucket) per
period, so the numbers of a week are the same whichever other weeks were asked for with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Account, User

TRAILING_DAYS = 90
_CENT = Decimal("0.01")

# Whose numbers a row of a tally is: a person (account owner, meeting's AM) or an account.
GroupBy = Literal["person", "account"]


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
    def year_start(self) -> date:
        return date(self.end.year, 1, 1)

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

    def holds(self, moment: datetime) -> bool:
        first, after = self.utc_bounds()
        return first <= moment < after


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
    churned_ytd: int = 0
    active_at_year_start: int = 0
    churned_mrr_qtd: Decimal = Decimal(0)
    mrr_at_quarter_start: Decimal = Decimal(0)
    churned_mrr_mtd: Decimal = Decimal(0)
    mrr_at_month_start: Decimal = Decimal(0)
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
    open_objections: int = 0
    escalated_objections: int = 0
    steps_done_late: int = 0

    def __add__(self, other: Tally) -> Tally:
        total = Tally()
        for f in fields(self):
            setattr(total, f.name, getattr(self, f.name) + getattr(other, f.name))
        return total


# One dict (key -> Tally) per period asked for, in the same order.
Tallies = list[defaultdict[int, Tally]]


def _money(value: Any) -> Decimal:
    """SQLite sums money as a float; round back to cents so both backends agree."""
    return Decimal(str(value or 0)).quantize(_CENT)


def store(out: Tallies, rows: Iterable[Sequence[Any]], names: Sequence[str]) -> None:
    """Rows of ``(key, values of period 0 ..., values of period 1 ..., ...)`` into the named
    tally fields of each period."""
    for key, *values in rows:
        for index, tallies in enumerate(out):
            tally = tallies[key]
            chunk = values[index * len(names) : (index + 1) * len(names)]
            for name, value in zip(names, chunk, strict=True):
                current = getattr(tally, name)
                setattr(
                    tally, name, _money(value) if isinstance(current, Decimal) else int(value or 0)
                )


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sum_if(condition: ColumnElement[bool], value: InstrumentedAttribute[Decimal]) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def any_of(conditions: Iterable[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions)


def account_key(by: GroupBy) -> InstrumentedAttribute[int]:
    """The column an account-based tally is grouped by."""
    return Account.owner_id if by == "person" else Account.id


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
