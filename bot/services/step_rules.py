"""When a playbook step is due, and which ticks count: one rule for checklists, lists, nudges.

A step is due ``due_offset_days`` after the day the account entered its stage (in the owner's
time zone) and overdue from the day after, unless it fell due before accountbot knew the
account (``Account.known_since``, set by an import): then it is "before accountbot", neither
done nor overdue, and never nudged. A tick counts only for the stage the account is in now
and only since it entered it, so re-entering a stage starts its checklist afresh.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import Playbook, PlaybookStep
from bot.services.account_scope import scoped
from storage.models import Account, StepCompletion


def due_on(step: PlaybookStep, entered_on: date) -> date:
    return entered_on + timedelta(days=step.due_offset_days)


def before_accountbot(due: date, known_since: date | None) -> bool:
    """A step that fell due before accountbot knew the account (None: known from the start)."""
    return known_since is not None and due < known_since


def past_due(due: date, today: date, known_since: date | None) -> bool:
    """Whether a step due on ``due`` is overdue ``today``: due before it, and not before
    accountbot knew the account."""
    return due < today and not before_accountbot(due, known_since)


def required_steps_past_due(
    playbook: Playbook, entered_on: date, today: date, *, known_since: date | None
) -> Iterator[tuple[PlaybookStep, date]]:
    """The required steps due before ``today`` but not before accountbot knew the account,
    with their due dates, in playbook order."""
    for step in playbook.steps:
        if not step.required:
            continue
        due = entered_on + timedelta(days=step.due_offset_days)
        if past_due(due, today, known_since):
            yield step, due


def counts_for_current_stage() -> ColumnElement[bool]:
    """Completions (joined to their Account) that count towards the current checklist."""
    return and_(
        StepCompletion.playbook == Account.stage,
        StepCompletion.completed_at >= Account.stage_entered_at,
    )


def ticked_for_current_stage(step_id: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether the step ``step_id`` of the Account's current stage has a tick that counts: an
    index lookup (ix_step_completions_current), whatever the account's history."""
    return (
        select(StepCompletion.account_id)  # not *: the index alone answers
        .where(
            StepCompletion.account_id == Account.id,
            StepCompletion.step_id == step_id,
            counts_for_current_stage(),
        )
        .exists()
    )


def _completed_statement(scope: ColumnElement[bool]) -> Select[int, str]:
    return (
        select(StepCompletion.account_id, StepCompletion.step_id)
        .join(Account, Account.id == StepCompletion.account_id)
        .where(counts_for_current_stage(), scope)
    )


async def completed_steps(
    session: AsyncSession, scope: ColumnElement[bool], params: Mapping[str, Any] | None = None
) -> set[tuple[int, str]]:
    """(account id, step id) of every counted tick on the accounts in ``scope``."""
    stmt = scoped(_completed_statement, scope)
    return {(account_id, step_id) for account_id, step_id in await session.execute(stmt, params)}
