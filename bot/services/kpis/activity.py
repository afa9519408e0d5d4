"""The KPIs of moments, counted in the team's time zone: meetings and their recaps, objections
still open, and playbook steps ticked late.

* Meetings held in the period (local midnight to local midnight), recapped in time: a recap
  logged within 24 hours of the meeting (exactly 24 hours still counts).

* Open objections at the end of a period's last day (in the team's time zone): opened before
  that moment and not resolved by then (no ``resolved_at`` and not marked resolved, or
  resolved later). Escalated: those of them whose status is ``escalated`` now (accountbot
  keeps no history of when an objection was escalated).
* Steps done late: required steps of the account's current-stage playbook first ticked
  within the period (counted for the current stage: ticked since the account entered it) on
  a day after their due day (stage-entry day + ``due_offset_days``, both days in the owner's
  time zone, the overdue-step nudge's rule), unless they fell due before accountbot knew the
  account. Ticks of a stage the account has since left are not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary, PlaybookStep
from bot.services.kpis.tally import (
    GroupBy,
    Period,
    Scope,
    Tallies,
    account_keys,
    count_if,
    row_key,
    row_keys,
    store,
)
from bot.services.owners import Owner, OwnerTeam, owner_zone, with_owner
from bot.services.step_rules import before_accountbot, counts_for_current_stage, due_on
from bot.services.when import local_date_of
from storage.models import Account, Meeting, Objection, ObjectionStatus, StepCompletion

RECAP_GRACE = timedelta(hours=24)


def recapped_in_time(occurred_at: datetime, recap_logged_at: datetime | None) -> bool:
    """A recap logged within 24 hours of the meeting (exactly 24 hours still counts)."""
    return recap_logged_at is not None and recap_logged_at - occurred_at <= RECAP_GRACE


async def meetings(
    session: AsyncSession, periods: Sequence[Period], scope: Scope, by: GroupBy, out: Tallies
) -> None:
    bounds = [p.utc_bounds() for p in periods]
    keys = row_keys(by, Meeting.am_id, Meeting.account_id)
    query = select(*keys, Meeting.occurred_at, Meeting.recap_logged_at).where(
        scope.people(Meeting.am_id),
        Meeting.occurred_at >= min(first for first, _ in bounds),
        Meeting.occurred_at < max(after for _, after in bounds),
    )
    for row in (await session.execute(query)).all():
        key, (occurred_at, recap_logged_at) = row_key(by, row)
        for (first, after), tallies in zip(bounds, out, strict=True):
            if first <= occurred_at < after:
                tallies[key].meetings += 1
                if recapped_in_time(occurred_at, recap_logged_at):
                    tallies[key].meetings_recapped_in_time += 1


def open_at(moment: datetime) -> ColumnElement[bool]:
    """An objection opened before ``moment`` and not resolved by then (a walkthrough started
    with nothing recorded yet is not an objection)."""
    return and_(
        Objection.status != ObjectionStatus.DRAFT,
        Objection.opened_at < moment,
        or_(
            and_(Objection.resolved_at.is_(None), Objection.status != ObjectionStatus.RESOLVED),
            Objection.resolved_at >= moment,
        ),
    )


def escalated_by(moment: datetime) -> ColumnElement[bool]:
    """Escalated before ``moment``: by the walkthrough's escalated_at, else (objections recorded
    before walkthroughs kept it) by the status now."""
    return or_(
        Objection.escalated_at < moment,
        and_(Objection.escalated_at.is_(None), Objection.status == ObjectionStatus.ESCALATED),
    )


async def objections(
    session: AsyncSession, periods: Sequence[Period], scope: Scope, by: GroupBy, out: Tallies
) -> None:
    columns = []
    for p in periods:
        still_open = open_at(p.utc_bounds()[1])
        columns += [
            count_if(still_open),
            count_if(still_open & escalated_by(p.utc_bounds()[1])),
        ]
    keys = account_keys(by)
    latest = max(p.utc_bounds()[1] for p in periods)
    query = (
        select(*keys, *columns)
        .select_from(Objection)
        .join(Account, Account.id == Objection.account_id)
        .where(scope.people(Account.owner_id), Objection.opened_at < latest)
        .group_by(*keys)
    )
    rows = (await session.execute(query)).all()
    store(out, rows, ("open_objections", "escalated_objections"), by)


def _required_step(playbooks: PlaybookLibrary, stage: str, step_id: str) -> PlaybookStep | None:
    playbook = playbooks.playbooks.get(stage)
    steps = playbook.required_steps if playbook else []
    return next((step for step in steps if step.id == step_id), None)


async def steps_done_late(
    session: AsyncSession,
    periods: Sequence[Period],
    scope: Scope,
    by: GroupBy,
    out: Tallies,
    playbooks: PlaybookLibrary,
) -> None:
    bounds = [p.utc_bounds() for p in periods]
    first_tick = func.min(StepCompletion.completed_at)
    query = with_owner(
        select(
            *account_keys(by),
            Account.stage,
            Account.stage_entered_at,
            Account.known_since,
            owner_zone(),
            StepCompletion.step_id,
            first_tick,
        )
        .select_from(StepCompletion)
        .join(Account, Account.id == StepCompletion.account_id)
    )
    query = (
        query.where(scope.people(Account.owner_id), counts_for_current_stage())
        .group_by(
            *account_keys(by),
            Account.id,
            Account.stage,
            Account.stage_entered_at,
            Account.known_since,
            Owner.timezone,
            OwnerTeam.timezone,
            StepCompletion.step_id,
        )
        .having(
            first_tick >= min(first for first, _ in bounds),
            first_tick < max(after for _, after in bounds),
        )
    )
    for row in await session.execute(query):
        key, (stage, entered_at, known_since, zone, step_id, ticked_at) = row_key(by, row)
        step = _required_step(playbooks, str(stage), step_id)
        if step is None:
            continue
        due = due_on(step, local_date_of(entered_at, zone))
        if local_date_of(ticked_at, zone) <= due or before_accountbot(due, known_since):
            continue
        for (first, after), tallies in zip(bounds, out, strict=True):
            if first <= ticked_at < after:
                tallies[key].steps_done_late += 1
