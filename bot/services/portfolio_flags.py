"""Why an account is at risk, in words, for many accounts at once (one query per kind).

An account is flagged for, in this order:

* its latest NPS score is 6 or lower;
* an objection that is not resolved;
* a missed recap (the missed-recap nudge's rule);
* a required step of its current-stage playbook that is overdue (not "before accountbot");
* a missed deadline: a deliverable due in the last 30 days (before today) that was not
  delivered by its due date;
* a renewal within 30 days and no meeting in the last 30 days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from bot.formatting import count_of, in_days
from bot.playbooks import PlaybookLibrary
from bot.services.account_scope import EVERY_LIVE, scoped
from bot.services.objections.lists import LIVE_BY_ACCOUNT
from bot.services.status import recap_overdue, recap_window_bounds
from bot.services.step_rules import completed_steps, required_steps_past_due
from bot.services.when import local_date_of
from storage.models import (
    LIVE_OBJECTION_STATUSES,
    Account,
    Deliverable,
    Meeting,
    Objection,
    SatisfactionSignal,
    SignalKind,
)

NPS_AT_RISK_MAX = 6
DEADLINE_LOOKBACK_DAYS = 30
QUIET_RENEWAL_DAYS = 30
QUIET_MEETING_DAYS = 30
_NPS, _OBJECTIONS, _RECAPS, _MET = "nps", "objections", "recaps", "met"


@dataclass(frozen=True, slots=True)
class LiveAccount:
    """A listed account with what lists and flags need; ``today`` is in its owner's tz."""

    id: int
    name: str
    stage: str
    stage_entered_at: datetime
    mrr: Decimal
    owner_name: str
    tz: str
    today: date
    known_since: date | None = None


def _score(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else f"{value.normalize()}"


def _low_nps(scope: ColumnElement[bool]) -> Select[int, Decimal | None, str]:
    """(account id, its latest NPS score, nps) when that is NPS_AT_RISK_MAX or lower. The latest
    is looked up per account in scope (an index range each), never over every account's history."""
    scored = (SatisfactionSignal.kind == SignalKind.NPS, SatisfactionSignal.score.is_not(None))
    earlier = aliased(SatisfactionSignal, name="earlier")
    latest_on = (
        select(func.max(earlier.recorded_on))
        .where(
            earlier.account_id == SatisfactionSignal.account_id,
            earlier.kind == SignalKind.NPS,
            earlier.score.is_not(None),
        )
        .scalar_subquery()
    )
    return (
        select(SatisfactionSignal.account_id, SatisfactionSignal.score, literal(_NPS))
        .join(Account, Account.id == SatisfactionSignal.account_id)
        .where(
            scope,
            *scored,
            SatisfactionSignal.score <= NPS_AT_RISK_MAX,
            SatisfactionSignal.recorded_on == latest_on,
        )
    )


def _counts(
    fact: str,
    account_id: InstrumentedAttribute[int],
    scope: ColumnElement[bool],
    *conditions: ColumnElement[bool],
) -> Select[int, int, str]:
    """(account id, how many rows matching ``conditions`` it has, fact), when it has any."""
    return (
        select(account_id, func.count(), literal(fact))
        .join(Account, Account.id == account_id)
        .where(scope, *conditions)
        .group_by(account_id)
    )


def _recently_met(scope: ColumnElement[bool]) -> Select[int, int, str]:
    """(account id, 1, met) of the accounts met in the last QUIET_MEETING_DAYS days."""
    return (
        select(Meeting.account_id, literal(1), literal(_MET))
        .join(Account, Account.id == Meeting.account_id)
        .where(
            Meeting.occurred_at >= bindparam("met_since"),
            Meeting.occurred_at <= bindparam("now"),
            scope,
        )
        .distinct()
    )


def moment_params(
    now: datetime, *, recap_grace_hours: int, recap_lookback_days: int
) -> dict[str, Any]:
    """The moments the flags' statements are run with (they are built without them)."""
    since, until, now = recap_window_bounds(
        now, grace_hours=recap_grace_hours, lookback_days=recap_lookback_days
    )
    utc_today = now.date()
    return {
        "now": now,
        "recap_since": since,
        "recap_until": until,
        "met_since": now - timedelta(days=QUIET_MEETING_DAYS),
        "utc_yesterday": utc_today - timedelta(days=1),
        "deadlines_from": utc_today - timedelta(days=DEADLINE_LOOKBACK_DAYS + 1),
        "deadlines_to": utc_today + timedelta(days=1),
    }


def _facts_statement(scope: ColumnElement[bool]) -> CompoundSelect[int, Any, str]:
    """The NPS part comes first so the value column keeps its decimal type; counts are whole
    numbers in it."""
    window = recap_overdue(bindparam("recap_since"), bindparam("recap_until"), bindparam("now"))
    # For the whole book the open objections lead (ix_objections_status).
    every = Objection.status.in_(LIVE_OBJECTION_STATUSES)
    live_objection = every if scope is EVERY_LIVE else LIVE_BY_ACCOUNT
    return union_all(
        _low_nps(scope),
        _counts(_OBJECTIONS, Objection.account_id, scope, live_objection),
        _counts(_RECAPS, Meeting.account_id, scope, window),
        _recently_met(scope),
    )


@dataclass
class _Facts:
    """What the flags are made of, by account id."""

    nps: dict[int, Decimal] = field(default_factory=dict)
    objections: dict[int, int] = field(default_factory=dict)
    recaps: dict[int, int] = field(default_factory=dict)
    met: set[int] = field(default_factory=set)


async def _facts(
    session: AsyncSession, scope: ColumnElement[bool], params: dict[str, Any]
) -> _Facts:
    """The latest low NPS, open objections, missed recaps and recent meetings of the accounts
    in scope: one row per (account, fact), in one round trip."""
    stmt = scoped(_facts_statement, scope)
    facts = _Facts()
    for account_id, value, fact in await session.execute(stmt, params):
        if fact == _NPS and value is not None:
            facts.nps[account_id] = value
        elif fact == _OBJECTIONS:
            facts.objections[account_id] = int(value)
        elif fact == _RECAPS:
            facts.recaps[account_id] = int(value)
        elif fact == _MET:
            facts.met.add(account_id)
    return facts


async def _overdue_steps(
    session: AsyncSession,
    scope: ColumnElement[bool],
    params: dict[str, Any],
    live: dict[int, LiveAccount],
    playbooks: PlaybookLibrary,
) -> dict[int, list[str]]:
    done = await completed_steps(session, scope, params)
    overdue: dict[int, list[str]] = defaultdict(list)
    for account in live.values():
        playbook = playbooks.playbooks.get(account.stage)
        if playbook is None:
            continue
        entered_on = local_date_of(account.stage_entered_at, account.tz)
        past_due = required_steps_past_due(
            playbook, entered_on, account.today, known_since=account.known_since
        )
        for step, _ in past_due:
            if (account.id, step.id) not in done:
                overdue[account.id].append(step.title)
    return overdue


def _deadlines_statement(scope: ColumnElement[bool]) -> Select[int, str, date]:
    return (
        select(Deliverable.account_id, Deliverable.title, Deliverable.due_on)
        .join(Account, Account.id == Deliverable.account_id)
        .where(
            Deliverable.due_on >= bindparam("deadlines_from"),
            Deliverable.due_on <= bindparam("deadlines_to"),
            or_(Deliverable.delivered_on.is_(None), Deliverable.delivered_on > Deliverable.due_on),
            scope,
        )
        .order_by(Deliverable.due_on, Deliverable.title)
    )


async def _missed_deadlines(
    session: AsyncSession,
    scope: ColumnElement[bool],
    params: dict[str, Any],
    live: dict[int, LiveAccount],
) -> dict[int, list[str]]:
    stmt = scoped(_deadlines_statement, scope)
    missed: dict[int, list[str]] = defaultdict(list)
    for account_id, title, due_on in await session.execute(stmt, params):
        account = live.get(account_id)
        if account is None:
            continue
        if account.today - timedelta(days=DEADLINE_LOOKBACK_DAYS) <= due_on < account.today:
            missed[account_id].append(title)
    return missed


def _named(items: list[str], one: str, many: str) -> str:
    return f"{one}: {items[0]}" if len(items) == 1 else f"{len(items)} {many}"


async def risk_flags(
    session: AsyncSession,
    *,
    scope_filter: ColumnElement[bool],
    params: dict[str, Any],
    live: dict[int, LiveAccount],
    renewals: dict[int, date],
    playbooks: PlaybookLibrary,
) -> dict[int, list[str]]:
    """account id -> the reasons it is at risk (accounts with none are left out); ``params``
    are the scope's and `moment_params`."""
    if not live:
        return {}
    facts = await _facts(session, scope_filter, params)
    nps, objections, recaps, met = facts.nps, facts.objections, facts.recaps, facts.met
    steps = await _overdue_steps(session, scope_filter, params, live, playbooks)
    deadlines = await _missed_deadlines(session, scope_filter, params, live)

    flags: dict[int, list[str]] = {}
    for account in live.values():
        found = []
        if account.id in nps:
            found.append(f"latest NPS {_score(nps[account.id])}")
        if objections.get(account.id):
            found.append(count_of(objections[account.id], "open objection", "open objections"))
        if recaps.get(account.id):
            found.append(count_of(recaps[account.id], "missed recap", "missed recaps"))
        if steps.get(account.id):
            found.append(_named(steps[account.id], "overdue step", "overdue playbook steps"))
        if deadlines.get(account.id):
            found.append(_named(deadlines[account.id], "missed deadline", "missed deadlines"))
        renewal_on = renewals.get(account.id)
        if renewal_on is not None and account.id not in met:
            days_left = (renewal_on - account.today).days
            if 0 <= days_left <= QUIET_RENEWAL_DAYS:
                found.append(
                    f"renews {in_days(days_left)} with no meeting in {QUIET_MEETING_DAYS} days"
                )
        if found:
            flags[account.id] = found
    return flags
