"""Ticking and unticking a stage's checklist steps (and objection follow-ups) from chat.

A step is named by its id, or by a part of its id that only it holds. Ticking a done step or
unticking an open one changes nothing, and says so (``PlaybookProgress.unchanged``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.playbooks import PlaybookLibrary
from bot.services.access import add_audit_entry, load_owner, require_change
from bot.services.objections.follow_ups import find_task, may_tick, set_done
from bot.services.playbook_progress import PlaybookProgress, account_stage, playbook_progress
from storage.models import Account, StepCompletion, User


def _step_id(account: Account, playbooks: PlaybookLibrary, step_id: str) -> str:
    """The step ``step_id`` names: its id, or the one id holding it (`goals`: goals-questions)."""
    stage, cleaned = account_stage(account), step_id.strip().casefold()
    shown = f"“{step_id.strip()}”"
    playbook = playbooks.playbooks.get(stage)
    valid = [s.id for s in playbook.steps] if playbook else []
    holding = [s for s in valid if cleaned and cleaned in s]
    if cleaned in valid or len(holding) == 1:
        return cleaned if cleaned in valid else holding[0]
    raise InvalidInput(
        f"{shown} fits several steps: {', '.join(holding)}."
        if holding
        else f"{shown} is not a step of the {stage} playbook. Steps: {', '.join(valid) or 'none'}.",
        hint=f"See them with {cmd('playbook ' + account.name)}.",
    )


async def _toggled_follow_up(
    session: AsyncSession, account: Account, step_id: str, actor: User, now: datetime, *, done: bool
) -> bool:
    """Tick or untick the follow-up named ``step_id``; False when there is no such follow-up.
    Its owner may, as may whoever may change the account."""
    task = await find_task(session, account=account, step_id=step_id.strip().casefold())
    if task is None:
        return False
    if not may_tick(actor, task):
        require_change(actor, account)
    set_done(session, task=task, account=account, actor=actor, done=done, now=now)
    await session.flush()
    return True


def _counted(account: Account, step_id: str) -> tuple[ColumnElement[bool], ...]:
    return (
        StepCompletion.account_id == account.id,
        StepCompletion.playbook == account_stage(account),
        StepCompletion.step_id == step_id,
        StepCompletion.completed_at >= account.stage_entered_at,
    )


async def set_step(
    session: AsyncSession,
    *,
    account: Account,
    step_id: str,
    actor: User,
    now: datetime,
    playbooks: PlaybookLibrary,
    done: bool,
) -> PlaybookProgress:
    """Tick (``done``) or untick a step of the current stage, or a follow-up. A step already so
    stays as it was, audited once, and the progress names it as ``unchanged``."""
    await load_owner(session, account)
    if await _toggled_follow_up(session, account, step_id, actor, now, done=done):
        return await playbook_progress(session, account=account, playbooks=playbooks, now=now)
    require_change(actor, account)
    step = _step_id(account, playbooks, step_id)
    changed = await (
        _tick(session, account, step, actor, now) if done else _untick(session, account, step)
    )
    if changed:
        details = {"stage": account_stage(account), "step_id": step}
        action = "step.tick" if done else "step.untick"
        add_audit_entry(
            session, actor=actor, action=action, account=account, details=details, at=now
        )
        await session.flush()
    progress = await playbook_progress(session, account=account, playbooks=playbooks, now=now)
    return progress if changed else replace(progress, unchanged=step)


tick_step = partial(set_step, done=True)
untick_step = partial(set_step, done=False)


async def _tick(
    session: AsyncSession, account: Account, step: str, actor: User, now: datetime
) -> bool:
    if await session.scalar(select(StepCompletion.id).where(*_counted(account, step))) is not None:
        return False
    session.add(
        StepCompletion(
            account_id=account.id,
            playbook=account_stage(account),
            step_id=step,
            completed_by_id=actor.id,
            # Never before the stage entry, or the tick would not count.
            completed_at=max(now, account.stage_entered_at),
        )
    )
    return True


async def _untick(session: AsyncSession, account: Account, step: str) -> bool:
    removed = await session.execute(
        delete(StepCompletion)
        .where(*_counted(account, step))
        .execution_options(synchronize_session=False)
    )
    return bool(removed.rowcount)  # type: ignore[attr-defined]
