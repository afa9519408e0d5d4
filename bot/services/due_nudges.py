"""The statements behind `pending_nudges`: one per kind of nudge, each returning only the
nudges that are due and not settled, with the columns their messages need.

The database filters and joins: the missed-recap window (ix_meetings_recap_window), each
owner's today (`Scan.today`: a CASE over the zones in use), each account (read once, in order)
with the required steps of its stage it can be past due on (a VALUES table: the stage must have
been entered before local midnight ``offset`` days before today, in the zone in use where that
is latest), no tick since the stage was entered (ix_step_completions_current) and nothing
settled (`Scan.unsettled`). So a scan costs what the accounts and the due nudges cost, never
what their history does (step completions, meetings, sent nudges).

Python does what needs a local date of a stored moment (SQLite knows no time zones), with the
rules every other caller uses: a step's due date in the owner's zone and ``known_since``
(`step_rules.past_due`), the ``known_since`` exception for onboarding
(`onboarding_overdue_on`), and the numbers in each message. Those checks only narrow what the
statements return.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, Select, String, bindparam, case, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.types import TypeEngine

from bot.playbooks import PlaybookLibrary, PlaybookStep
from bot.services.nudge_rules import (
    Detail,
    Nudge,
    NudgeRules,
    onboarding_last_day,
    onboarding_overdue_on,
)
from bot.services.nudge_scan import Scan, ScanShape, key_sql, owned_accounts, split_owned
from bot.services.owners import with_owner
from bot.services.status import recap_overdue, recap_window_bounds
from bot.services.step_rules import due_on, past_due, ticked_for_current_stage
from storage.expressions import utc_date_text
from storage.models import Account, Contract, Meeting, User
from storage.types import UTCDateTime
from storage.values_table import row_param, values_table


@lru_cache(maxsize=32)
def _missed_recaps_statement(shape: ScanShape) -> Select[Any]:
    am = aliased(User, name="am")
    return with_owner(
        select(Meeting.am_id, am.email, Account.id, Account.name)
        .add_columns(Meeting.id, Meeting.occurred_at, Meeting.kind)
        .join(Account, Account.id == Meeting.account_id)
        .join(am, am.id == Meeting.am_id)
    ).where(
        recap_overdue(bindparam("recap_since"), bindparam("recap_until"), bindparam("as_of")),
        shape.active(),
        shape.unsettled(Meeting.am_id, key_sql("missed_recap", "meeting", Meeting.id)),
        *shape.owned(Meeting.am_id),
    )


async def missed_recaps(session: AsyncSession, scan: Scan, rules: NudgeRules) -> list[Nudge]:
    """Meetings in the recap window with no recap by the scan's moment, to their AM."""
    since, until, _ = recap_window_bounds(
        scan.as_of, grace_hours=rules.recap_grace_hours, lookback_days=rules.recap_lookback_days
    )
    stmt = _missed_recaps_statement(scan.shape)
    params = scan.params(recap_since=since, recap_until=until)
    nudges = []
    rows = await session.execute(stmt, params)
    for am_id, email, account_id, name, meeting_id, occurred_at, kind in rows:
        detail: Detail = {
            "meeting_id": meeting_id,
            "occurred_at": occurred_at.isoformat(),
            "meeting_kind": str(kind),
            "hours_since": int((scan.as_of - occurred_at).total_seconds() // 3600),
        }
        key = f"missed_recap:meeting:{meeting_id}"
        nudges.append(
            Nudge("missed_recap", key, am_id, email, account_id, name, None, None, detail)
        )
    return nudges


@lru_cache(maxsize=4096)
def _midnight(today: date, days_before: int, zone: ZoneInfo) -> datetime:
    """The first moment of the day ``days_before`` days before ``today`` in ``zone`` (the later
    one, should midnight happen twice): a step due that many days after its stage was entered
    is past due today if the stage was entered before it."""
    midnight = datetime.combine(today - timedelta(days=days_before), time.min, tzinfo=zone)
    return max(midnight.astimezone(UTC), midnight.replace(fold=1).astimezone(UTC))


_DEADLINES = "step_deadlines"
_DEADLINE_COLUMNS: list[tuple[str, TypeEngine[Any]]] = [
    ("stage", String()),
    ("step_id", String()),
    ("entered_before", UTCDateTime()),
]


@lru_cache(maxsize=32)
def _overdue_steps_statement(shape: ScanShape, steps: tuple[tuple[str, str], ...]) -> Select[Any]:
    """Over a VALUES table of (stage, step id, the moment its stage must have been entered
    before for it to be past due somewhere): that moment is a parameter (`_deadline_params`)."""
    placeholder = datetime.min.replace(tzinfo=UTC)
    deadline = values_table(
        _DEADLINES, _DEADLINE_COLUMNS, [(stage, step, placeholder) for stage, step in steps]
    )
    key_in_sql = key_sql(
        "overdue_step",
        "account",
        Account.id,
        Account.stage,
        deadline.c.step_id,
        utc_date_text(Account.stage_entered_at),
    )
    return (
        owned_accounts(deadline, deadline.c.stage == Account.stage)
        .add_columns(
            Account.stage, Account.stage_entered_at, Account.known_since, deadline.c.step_id
        )
        .where(
            Account.stage_entered_at < deadline.c.entered_before,
            shape.active(),
            ~ticked_for_current_stage(deadline.c.step_id),
            shape.unsettled(Account.owner_id, key_in_sql),
            *shape.owned(Account.owner_id),
        )
    )


def _deadline_params(scan: Scan, steps: dict[tuple[str, str], PlaybookStep]) -> dict[str, datetime]:
    """Each step's moment: its stage entered before local midnight ``offset`` days before
    today, in the zone in use where that is latest."""
    latest = [scan.today_of(name) for name in scan.zones]
    return {
        row_param(_DEADLINES, i, 2): max(
            _midnight(today, step.due_offset_days, zone) for zone, today in latest
        )
        for i, step in enumerate(steps.values())
    }


async def overdue_steps(
    session: AsyncSession, scan: Scan, playbooks: PlaybookLibrary
) -> list[Nudge]:
    """Required steps of the current stage past due in the owner's zone, not before accountbot
    knew the account, and not ticked since the stage was entered, to the owner."""
    steps: dict[tuple[str, str], PlaybookStep] = {
        (stage, step.id): step
        for stage, playbook in playbooks.playbooks.items()
        for step in playbook.required_steps
    }
    if not steps or not scan.zones:
        return []
    stmt = _overdue_steps_statement(scan.shape, tuple(steps))
    params = scan.params(**_deadline_params(scan, steps))
    nudges = []
    for row in await session.execute(stmt, params):
        whom, zone_name, (stage, entered_at, known_since, step_id) = split_owned(row)
        zone, today = scan.today_of(zone_name)
        stage_key = str(stage)
        step = steps[stage_key, step_id]
        due = due_on(step, entered_at.astimezone(zone).date())
        if not past_due(due, today, known_since):
            continue
        detail: Detail = {
            "stage": stage_key,
            "step_id": step_id,
            "step_title": step.title,
            "stage_entered_at": entered_at.isoformat(),
            "days_overdue": (today - due).days,
        }
        entered = entered_at.astimezone(UTC).date()
        key = f"overdue_step:account:{whom.account_id}:{stage_key}:{step_id}:{entered}"
        nudges.append(Nudge("overdue_step", key, *whom, None, due, detail))
    return nudges


@lru_cache(maxsize=32)
def _onboarding_statement(shape: ScanShape, target: int) -> Select[Any]:
    return (
        owned_accounts()
        .add_columns(Account.started_on, Account.onboarding_completed_on, Account.known_since)
        .where(
            # every owner's today is within a day of UTC's: these read no other table
            Account.started_on <= bindparam("started_by", type_=Date),
            or_(
                Account.onboarding_completed_on.is_(None),
                Account.onboarding_completed_on >= bindparam("utc_today", type_=Date),
            ),
            shape.active(),
            Account.started_on <= shape.today(-target),
            or_(
                Account.onboarding_completed_on.is_(None),
                Account.onboarding_completed_on > shape.today(),
            ),
            shape.unsettled(Account.owner_id, key_sql("onboarding_overdue", "account", Account.id)),
            *shape.owned(Account.owner_id),
        )
    )


async def onboarding_overdue(session: AsyncSession, scan: Scan, rules: NudgeRules) -> list[Nudge]:
    """Onboarding not completed and over target (`onboarding_overdue_on`), to the owner."""
    target = rules.onboarding_target_days
    utc_today = scan.as_of.date()
    stmt = _onboarding_statement(scan.shape, target)
    started_by = utc_today + timedelta(days=1 - target)
    params = scan.params((0, -target), utc_today=utc_today, started_by=started_by)
    nudges = []
    for row in await session.execute(stmt, params):
        whom, zone_name, (started_on, completed_on, known_since) = split_owned(row)
        _, today = scan.today_of(zone_name)
        if not onboarding_overdue_on(
            today,
            started_on=started_on,
            completed_on=completed_on,
            known_since=known_since,
            target_days=target,
        ):
            continue
        detail: Detail = {
            "started_on": started_on.isoformat(),
            "days_since_start": (today - started_on).days,
            "target_days": target,
        }
        due = onboarding_last_day(started_on, target)
        key = f"onboarding_overdue:account:{whom.account_id}"
        nudges.append(Nudge("onboarding_overdue", key, *whom, None, due, detail))
    return nudges


@lru_cache(maxsize=32)
def _renewals_statement(shape: ScanShape, windows: tuple[int, ...]) -> Select[Any]:
    window = case(*((Contract.end_on <= shape.today(w), literal(w, Integer)) for w in windows))
    return (
        owned_accounts()
        .add_columns(Contract.id, Contract.end_on, window)
        .join(Contract, Contract.account_id == Account.id)
        .where(
            # a range ix_contracts_end_on serves: every owner's today is within a day of UTC's
            Contract.end_on >= bindparam("ends_from", type_=Date),
            Contract.end_on <= bindparam("ends_by", type_=Date),
            Contract.end_on >= shape.today(),
            Contract.end_on <= shape.today(windows[-1]),
            shape.active(),
            shape.unsettled(Account.owner_id, key_sql("renewal", "contract", Contract.id, window)),
            *shape.owned(Account.owner_id),
        )
    )


async def renewals(session: AsyncSession, scan: Scan, rules: NudgeRules) -> list[Nudge]:
    """Contracts ending within the largest window, in the smallest window that holds them (the
    same as `renewal_window`), to the owner."""
    windows = tuple(sorted(set(rules.renewal_windows)))
    if not windows:
        return []
    utc_today = scan.as_of.date()
    stmt = _renewals_statement(scan.shape, windows)
    params = scan.params(
        (0, *windows),
        ends_from=utc_today - timedelta(days=1),
        ends_by=utc_today + timedelta(days=windows[-1] + 1),
    )
    nudges = []
    for row in await session.execute(stmt, params):
        whom, zone_name, (contract_id, end_on, days) = split_owned(row)
        _, today = scan.today_of(zone_name)
        detail: Detail = {
            "contract_id": contract_id,
            "end_on": end_on.isoformat(),
            "days_left": (end_on - today).days,
        }
        key = f"renewal:contract:{contract_id}:{days}"
        nudges.append(Nudge("renewal", key, *whom, days, end_on, detail))
    return nudges
