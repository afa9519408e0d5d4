"""What the KPI queries count into: periods, scopes, tallies and the SQL helpers they share.

A :class:`Tally` holds the raw counts and sums of one person (or one account) for one period;
the KPIs of :mod:`bot.services.kpis.definitions` are ratios and counts of them. Queries answer
several periods at once (the digest's eight weeks), one column (or one Python bucket) per
period, so the numbers of a week are the same whichever other weeks were asked for with it.

Rows are counted under a :data:`RowKey`: the person the scope selected them by (the account's
owner, the meeting's AM) and the key asked for (that person again, or the account). So the
rows of many teams counted in one query split back into each team's numbers exactly
(:func:`split_by_team`), and those of one scope add up into its numbers (:func:`collapse`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from operator import add, attrgetter
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Account, User

TRAILING_DAYS = 90
_CENT = Decimal("0.01")
_NO_CENTS = Decimal("0.00")

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


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose numbers: everyone in a team (or in any of ``team_ids``), or one person."""

    team_id: int | None = None
    user_id: int | None = None
    team_ids: tuple[int, ...] | None = None

    def people(self, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        if self.user_id is not None:
            return column == self.user_id
        if self.team_ids is not None:
            return column.in_(select(User.id).where(User.team_id.in_(self.team_ids)))
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
        return Tally(*map(add, _values(self), _values(other)))


def total(tallies: Iterable[Tally]) -> Tally:
    """The sum of ``tallies``, field by field (a team's, from its people's)."""
    columns = list(zip(*map(_values, tallies), strict=True))
    return Tally(*(reduce(add, column) for column in columns)) if columns else Tally()


_FIELDS = tuple(f.name for f in fields(Tally))
_values = attrgetter(*_FIELDS)  # every field's value, in order (a whole team is summed often)
_MONEY = frozenset(f.name for f in fields(Tally) if isinstance(f.default, Decimal))


# (the person whose scope a row is in, the key asked for: that person or an account)
RowKey = tuple[int, int]
# One dict (row key -> Tally) per period asked for, in the same order.
Tallies = list[defaultdict[RowKey, Tally]]


def _money(value: Any) -> Decimal:
    """SQLite sums money as a float; round back to cents so both backends agree."""
    if not value:
        return _NO_CENTS  # most sums are zero: one object for all of them
    if isinstance(value, Decimal):  # PostgreSQL's sums
        return value.quantize(_CENT)
    return Decimal(str(value or 0)).quantize(_CENT)


def _count(value: Any) -> int:
    return int(value or 0)


def row_keys(by: GroupBy, person: Any, account: Any) -> list[Any]:
    """The columns a query selects and groups by first: the ``person`` column its scope
    filters on and, per account, the ``account`` column too (an account has one owner, so
    grouping by both gives the same groups as by the account)."""
    return [person] if by == "person" else [person, account]


def row_key(by: GroupBy, row: Sequence[Any]) -> tuple[RowKey, Sequence[Any]]:
    """A row of a query made with :func:`row_keys`: its key, and the values after it."""
    if by == "person":
        return (row[0], row[0]), row[1:]
    return (row[0], row[1]), row[2:]


def store(out: Tallies, rows: Iterable[Sequence[Any]], names: Sequence[str], by: GroupBy) -> None:
    """Rows of ``(key columns, values of period 0 ..., values of period 1 ..., ...)`` into the
    named tally fields of each period."""
    as_value = [(name, _money if name in _MONEY else _count) for name in names]
    first = 1 if by == "person" else 2  # the first value's column
    for row in rows:
        key = (row[0], row[first - 1])
        at = first
        for tallies in out:
            tally = tallies[key]
            for name, convert in as_value:
                setattr(tally, name, convert(row[at]))
                at += 1


def _added(found: Mapping[int, Tally], key: int, tally: Tally) -> Tally:
    """``tally`` plus what ``key`` already has (the same Tally when it has nothing yet)."""
    before = found.get(key)
    return tally if before is None else before + tally


def split_by_team(
    out: Tallies, team_of: Callable[[int], int | None], team_ids: Iterable[int]
) -> dict[int, list[dict[int, Tally]]]:
    """Each team's tallies (key -> Tally, per period): the rows of the people ``team_of``
    places in it, added up per key (an account met by several of the team's AMs)."""
    found: dict[int, list[dict[int, Tally]]] = {team_id: [{} for _ in out] for team_id in team_ids}
    for index, tallies in enumerate(out):
        for (person, key), tally in tallies.items():
            team_id = team_of(person)
            if team_id is None or team_id not in found:
                continue
            period = found[team_id][index]
            period[key] = _added(period, key, tally)
    return found


def collapse(out: Tallies) -> list[dict[int, Tally]]:
    """The tallies of one scope (key -> Tally, per period), whoever's rows they are."""
    return split_by_team(out, lambda _: 0, [0])[0]


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sum_if(
    condition: ColumnElement[bool], value: ColumnElement[Any] | InstrumentedAttribute[Any]
) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def any_of(conditions: Iterable[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions)


def account_keys(by: GroupBy) -> list[Any]:
    """The columns an account-based tally is grouped by (see :func:`row_keys`)."""
    return row_keys(by, Account.owner_id, Account.id)


def active_at_start_of(day: date | ColumnElement[date]) -> ColumnElement[bool]:
    """Started by ``day`` and not churned before it (churning that day still counts)."""
    return and_(
        Account.started_on <= day, or_(Account.churned_on.is_(None), Account.churned_on >= day)
    )


def active_at_end_of(day: date | ColumnElement[date]) -> ColumnElement[bool]:
    """Started by ``day`` and not churned by its end."""
    return and_(
        Account.started_on <= day, or_(Account.churned_on.is_(None), Account.churned_on > day)
    )
