"""When a playbook step is due, and which ticks count: one rule for checklists, lists, nudges.

A step is due ``due_offset_days`` after the day the account entered its stage (in the owner's
time zone) and overdue from the day after, unless it fell due before accountbot knew the
account (``Account.known_since``, set by an import): then it is "before accountbot", neither
done nor overdue, and never nudged. A tick counts only for the stage the account is in now
and only since it entered it, so re-entering a stage starts its checklist afresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import Playbook, PlaybookStep
from storage.models import Account, StepCompletion


def due_on(step: PlaybookStep, entered_on: date) -> date:
    return entered_on + timedelta(days=step.due_offset_days)


def before_accountbot(due: date, known_since: date | None) -> bool:
    """A step that fell due before accountbot knew the account (None: known from the start)."""
    return known_since is not None and due < known_since


def required_steps_past_due(
    playbook: Playbook, entered_on: date, today: date, *, known_since: date | None
) -> Iterator[tuple[PlaybookStep, date]]:
    """The required steps due before ``today`` but not before accountbot knew the account,
    with their due dates, in playbook order."""
    for step in playbook.steps:
        if not step.required:
            continue
        due = entered_on + timedelta(days=step.due_offset_days)
        if due < today and (known_since is None or due >= known_since):  # see before_accountbot
            yield step, due


def counts_for_current_stage() -> ColumnElement[bool]:
    """Completions (joined to their Account) that count towards the current checklist."""
    return and_(
        StepCompletion.playbook == Account.stage,
        StepCompletion.completed_at >= Account.stage_entered_at,
    )


async def completed_steps(
    session: AsyncSession, *conditions: ColumnElement[bool]
) -> set[tuple[int, str]]:
    """(account id, step id) of every counted tick on the accounts matching ``conditions``."""
    stmt = (
        select(StepCompletion.account_id, StepCompletion.step_id)
        .join(Account, Account.id == StepCompletion.account_id)
        .where(counts_for_current_stage(), *conditions)
    )
    return {(account_id, step_id) for account_id, step_id in await session.execute(stmt)}
