"""The KPI counts made of days only, the same in every time zone: accounts active and churned,
upsells, NPS, onboarding, missed deadlines and renewals ahead (`queries.count_rows` runs them).

Each builder makes one aggregate statement over ``days`` (one `bound.Days` per period: one
column, or a few, per period) for a scope of people, grouped per person or per account; `built`
makes it once per shape, its days and ids parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, or_, select

from bot.services.kpis.bound import Bound, Days, ScopeKind, ScopeShape
from bot.services.kpis.tally import (
    GroupBy,
    account_keys,
    active_at_end_of,
    active_at_start_of,
    any_of,
    count_if,
    sum_if,
)
from storage.expressions import days_between
from storage.models import (
    Account,
    Contract,
    Deliverable,
    SatisfactionSignal,
    SignalKind,
    Upsell,
    UpsellStatus,
)

RENEWAL_SOON_DAYS = 30
RENEWAL_HORIZON_DAYS = 90
NPS_PROMOTER_MIN = 9
NPS_DETRACTOR_MAX = 6


Built = tuple[Select[Any], Bound]
Builder = Callable[[Sequence[Days], ScopeShape, Bound, GroupBy], Select[Any]]


def _accounts(days: Sequence[Days], scope: ScopeShape, bound: Bound, by: GroupBy) -> Select[Any]:
    churned_on, columns = Account.churned_on, []
    for p in days:
        columns += [count_if(active_at_end_of(p.end)), count_if(churned_on.between(p.start, p.end))]
        if by == "account":
            continue  # the rest is read per person only (see `BY_DAY`)
        m0, q0, y0 = p.month_start, p.quarter_start, p.year_start
        columns += [
            count_if(churned_on.between(m0, p.end)),
            count_if(active_at_start_of(m0)),
            count_if(churned_on.between(q0, p.end)),
            count_if(active_at_start_of(q0)),
            count_if(churned_on.between(y0, p.end)),
            count_if(active_at_start_of(y0)),
            sum_if(churned_on.between(q0, p.end), Account.mrr),
            sum_if(active_at_start_of(q0), Account.mrr),
            sum_if(churned_on.between(m0, p.end), Account.mrr),
            sum_if(active_at_start_of(m0), Account.mrr),
        ]
    keys = account_keys(by)
    return select(*keys, *columns).where(scope.people(Account.owner_id)).group_by(*keys)


_BOOK_NAMES = ("active_at_end", "churned_in_period")
_TO_DATE_NAMES = (
    "churned_mtd",
    "active_at_month_start",
    "churned_qtd",
    "active_at_quarter_start",
    "churned_ytd",
    "active_at_year_start",
    "churned_mrr_qtd",
    "mrr_at_quarter_start",
    "churned_mrr_mtd",
    "mrr_at_month_start",
)


def _won(p: Days) -> ColumnElement[bool]:
    return and_(Upsell.status == UpsellStatus.WON, Upsell.closed_on.between(p.start, p.end))


def _pitched(p: Days) -> ColumnElement[bool]:
    return and_(Upsell.pitched_on.between(p.quarter_start, p.end), active_at_end_of(p.end))


def _upsells(days: Sequence[Days], scope: ScopeShape, bound: Bound, by: GroupBy) -> Select[Any]:
    columns: list[Any] = []
    for p in days:
        won = _won(p)
        columns += [
            count_if(won),
            sum_if(won, Upsell.value),
            func.count(distinct(case((_pitched(p), Upsell.account_id)))),
        ]
    keys = account_keys(by)
    return (
        select(*keys, *columns)
        .select_from(Upsell)
        .join(Account, Account.id == Upsell.account_id)
        .where(
            scope.people(Account.owner_id),
            any_of(_won(p) for p in days) | any_of(_pitched(p) for p in days),
        )
        .group_by(*keys)
    )


def _nps(days: Sequence[Days], scope: ScopeShape, bound: Bound, by: GroupBy) -> Select[Any]:
    score, recorded_on = SatisfactionSignal.score, SatisfactionSignal.recorded_on
    columns = []
    for p in days:
        window = and_(recorded_on > p.trailing_after, recorded_on <= p.end)
        columns += [
            count_if(window & (score >= NPS_PROMOTER_MIN)),
            count_if(window & (score <= NPS_DETRACTOR_MAX)),
            count_if(window),
        ]
    keys = account_keys(by)
    return (
        select(*keys, *columns)
        .select_from(SatisfactionSignal)
        .join(Account, Account.id == SatisfactionSignal.account_id)
        .where(
            scope.people(Account.owner_id),
            SatisfactionSignal.kind == SignalKind.NPS,
            score.is_not(None),
            recorded_on > bound.earliest("trailing_after"),
            recorded_on <= bound.latest("end"),
        )
        .group_by(*keys)
    )


def _onboarding(days: Sequence[Days], scope: ScopeShape, bound: Bound, by: GroupBy) -> Select[Any]:
    completed_on = Account.onboarding_completed_on
    taken = days_between(completed_on, Account.started_on)
    columns: list[Any] = []
    for p in days:
        done = and_(completed_on > p.trailing_after, completed_on <= p.end)
        columns += [sum_if(done, taken), count_if(done)]
    keys = account_keys(by)
    return (
        select(*keys, *columns)
        .where(
            scope.people(Account.owner_id),
            completed_on > bound.earliest("trailing_after"),
            completed_on <= bound.latest("end"),
        )
        .group_by(*keys)
    )


def missed_deadline() -> ColumnElement[bool]:
    """A deliverable not delivered, or delivered after its due day."""
    return or_(Deliverable.delivered_on.is_(None), Deliverable.delivered_on > Deliverable.due_on)


def _deliverables(
    days: Sequence[Days], scope: ScopeShape, bound: Bound, by: GroupBy
) -> Select[Any]:
    due_on = Deliverable.due_on
    keys = account_keys(by)
    return (
        select(*keys, *(count_if(due_on.between(p.start, p.end)) for p in days))
        .select_from(Deliverable)
        .join(Account, Account.id == Deliverable.account_id)
        .where(
            scope.people(Account.owner_id),
            due_on.between(bound.earliest("start"), bound.latest("end")),
            missed_deadline(),
        )
        .group_by(*keys)
    )


def _renewals(days: Sequence[Days], scope: ScopeShape, bound: Bound, by: GroupBy) -> Select[Any]:
    end_on, columns = Contract.end_on, []
    for p in days:
        ahead = and_(active_at_end_of(p.end), end_on > p.end)
        columns += [
            count_if(ahead & (end_on <= p.end_plus(RENEWAL_SOON_DAYS))),
            count_if(ahead & (end_on <= p.end_plus(RENEWAL_HORIZON_DAYS))),
        ]
    keys = account_keys(by)
    return (
        select(*keys, *columns)
        .select_from(Contract)
        .join(Account, Account.id == Contract.account_id)
        .where(
            scope.people(Account.owner_id),
            end_on > bound.earliest("end"),
            end_on <= bound.latest("end", RENEWAL_HORIZON_DAYS),
        )
        .group_by(*keys)
    )


@cache
def built(builder: Builder, periods: int, kind: ScopeKind, by: GroupBy) -> Built:
    """``builder``'s statement for this shape, built once, and its parameters."""
    bound = Bound()
    days = [bound.days(i) for i in range(periods)]
    return builder(days, bound.scope(kind), bound, by), bound


def _both(*names: str) -> dict[GroupBy, tuple[str, ...]]:
    return {"person": names, "account": names}


# The counts made of days only (the same for every time zone), and the tallies they fill per
# person and per account. An account's own tally holds only what is read per account (the
# digest's reasons and the accounts needing the lead): the month, quarter and year to date
# and the onboarding days are team figures, read per person (and onboardings per account come
# from the book), so a whole book's digests do not count them for every account.
BY_DAY: tuple[tuple[Builder, dict[GroupBy, tuple[str, ...]]], ...] = (
    (_accounts, {"person": _BOOK_NAMES + _TO_DATE_NAMES, "account": _BOOK_NAMES}),
    (_upsells, _both("upsells_won", "upsell_value_won", "pitched_active_accounts")),
    (_nps, _both("nps_promoters", "nps_detractors", "nps_responses")),
    (_onboarding, {"person": ("onboarding_days", "onboarded_accounts"), "account": ()}),
    (_deliverables, _both("missed_deadlines")),
    (_renewals, _both("renewals_next_30", "renewals_next_90")),
)
PER_PERSON_ONLY = frozenset(
    name for _, names in BY_DAY for name in names["person"] if name not in names["account"]
)
