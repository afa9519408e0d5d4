"""Stage checklists worked from chat: progress and ticking steps (stage changes: `stage_change`).

Escalated objections add follow-ups (`services.objections.follow_ups`): listed after the steps,
ticked the same way, never holding up a stage change.

A step is done when it was ticked (a ``StepCompletion`` for the account's current stage) at or
after the moment the account entered that stage, so re-entering a stage starts a fresh
checklist. A step is due ``due_offset_days`` after the stage-entry date in the owner's timezone
(``User.effective_timezone``) and overdue when not done and due before today there, unless it
fell due before accountbot knew the account: then it is ``before_accountbot``. Such steps still
have to be ticked (or the advance forced) to move on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.playbooks import Playbook, PlaybookLibrary
from bot.services.access import (
    add_audit_entry,
    load_owner,
    require_change,
)
from bot.services.objections.follow_ups import (
    FollowUpState,
    find_task,
    follow_ups,
    may_tick,
    set_done,
)
from bot.services.step_rules import before_accountbot
from bot.services.step_rules import due_on as step_due_on
from bot.services.when import local_date_of, local_today
from storage.models import Account, Stage, StepCompletion, User


@dataclass(frozen=True, slots=True)
class StepState:
    id: str
    title: str
    why: str
    owner_role: str
    required: bool
    due_on: date
    done: bool
    done_by: str | None
    done_at: datetime | None
    overdue: bool
    talk_track: str | None
    before_accountbot: bool = False  # not done, due before accountbot knew the account

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "done": self.done,
            "due_on": self.due_on.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class PlaybookProgress:
    stage: str
    name: str
    objectives: list[str]
    steps: list[StepState]
    done: int
    total: int
    required_done: int
    required_total: int
    can_advance: bool
    next_stage: str | None
    follow_ups: list[FollowUpState] = field(default_factory=list)

    @property
    def missing_required(self) -> list[StepState]:
        """Required steps not done yet, in playbook order."""
        return [s for s in self.steps if s.required and not s.done]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "steps": [s.to_dict() for s in self.steps],
        }


def _stage(account: Account) -> str:
    return Stage(account.stage).value


# Built once (every status and checklist reads it): the ticks of one stage entry, with who.
_COUNTED_TICKS = (
    select(StepCompletion.step_id, StepCompletion.completed_at, User.name)
    .outerjoin(User, User.id == StepCompletion.completed_by_id)
    .where(
        StepCompletion.account_id == bindparam("account_id"),
        StepCompletion.playbook == bindparam("stage"),
        StepCompletion.completed_at >= bindparam("entered_at"),
    )
    .order_by(StepCompletion.completed_at, StepCompletion.id)
)


async def _completions(
    session: AsyncSession, account: Account
) -> dict[str, tuple[datetime, str | None]]:
    """step id -> (first counted completion time, who ticked it) for the current stage entry."""
    params = {
        "account_id": account.id,
        "stage": _stage(account),
        "entered_at": account.stage_entered_at,
    }
    done: dict[str, tuple[datetime, str | None]] = {}
    for step_id, completed_at, name in await session.execute(_COUNTED_TICKS, params):
        done.setdefault(step_id, (completed_at, name))
    return done


def _progress(
    playbook: Playbook | None,
    stage: str,
    entered_on: date,
    today: date,
    done: dict[str, tuple[datetime, str | None]],
    known_since: date | None,
) -> PlaybookProgress:
    if playbook is None:
        return PlaybookProgress(stage, stage.title(), [], [], 0, 0, 0, 0, True, None)
    steps = []
    for step in playbook.steps:
        due_on = step_due_on(step, entered_on)
        completion = done.get(step.id)
        earlier = completion is None and before_accountbot(due_on, known_since)
        steps.append(
            StepState(
                id=step.id,
                title=step.title,
                why=step.why,
                owner_role=step.owner_role,
                required=step.required,
                due_on=due_on,
                done=completion is not None,
                done_by=completion[1] if completion else None,
                done_at=completion[0] if completion else None,
                overdue=completion is None and due_on < today and not earlier,
                talk_track=step.talk_track,
                before_accountbot=earlier,
            )
        )
    required = [s for s in steps if s.required]
    required_done = sum(s.done for s in required)
    return PlaybookProgress(
        stage=stage,
        name=playbook.name,
        objectives=list(playbook.objectives),
        steps=steps,
        done=sum(s.done for s in steps),
        total=len(steps),
        required_done=required_done,
        required_total=len(required),
        can_advance=required_done == len(required),
        next_stage=playbook.next_stage,
    )


async def playbook_progress(
    session: AsyncSession, *, account: Account, playbooks: PlaybookLibrary, now: datetime
) -> PlaybookProgress:
    """The account's checklist for its current stage as of ``now``."""
    tz = (await load_owner(session, account)).effective_timezone
    stage = _stage(account)
    today = local_today(now, tz)
    progress = _progress(
        playbooks.playbooks.get(stage),
        stage,
        local_date_of(account.stage_entered_at, tz),
        today,
        await _completions(session, account),
        account.known_since,
    )
    progress.follow_ups.extend(await follow_ups(session, account=account, today=today))
    return progress


def _step_id(account: Account, playbooks: PlaybookLibrary, step_id: str) -> str:
    """The step ``step_id`` names: its id, or the one id holding it (`goals`: goals-questions)."""
    stage, cleaned, shown = _stage(account), step_id.strip().casefold(), f"“{step_id.strip()}”"
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
        StepCompletion.playbook == _stage(account),
        StepCompletion.step_id == step_id,
        StepCompletion.completed_at >= account.stage_entered_at,
    )


async def tick_step(
    session: AsyncSession,
    *,
    account: Account,
    step_id: str,
    actor: User,
    now: datetime,
    playbooks: PlaybookLibrary,
) -> PlaybookProgress:
    """Mark a step of the current stage (or a follow-up) done; ticking a done step changes
    nothing."""
    await load_owner(session, account)
    if await _toggled_follow_up(session, account, step_id, actor, now, done=True):
        return await playbook_progress(session, account=account, playbooks=playbooks, now=now)
    require_change(actor, account)
    step = _step_id(account, playbooks, step_id)
    existing = await session.scalar(select(StepCompletion.id).where(*_counted(account, step)))
    if existing is None:
        session.add(
            StepCompletion(
                account_id=account.id,
                playbook=_stage(account),
                step_id=step,
                completed_by_id=actor.id,
                # Never before the stage entry, or the tick would not count.
                completed_at=max(now, account.stage_entered_at),
            )
        )
        details = {"stage": _stage(account), "step_id": step}
        add_audit_entry(
            session, actor=actor, action="step.tick", account=account, details=details, at=now
        )
        await session.flush()
    return await playbook_progress(session, account=account, playbooks=playbooks, now=now)


async def untick_step(
    session: AsyncSession,
    *,
    account: Account,
    step_id: str,
    actor: User,
    now: datetime,
    playbooks: PlaybookLibrary,
) -> PlaybookProgress:
    """Mark a step (or a follow-up) not done; unticking a step that is not done changes
    nothing."""
    await load_owner(session, account)
    if await _toggled_follow_up(session, account, step_id, actor, now, done=False):
        return await playbook_progress(session, account=account, playbooks=playbooks, now=now)
    require_change(actor, account)
    step = _step_id(account, playbooks, step_id)
    removed = await session.execute(
        delete(StepCompletion)
        .where(*_counted(account, step))
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount:  # type: ignore[attr-defined]
        details = {"stage": _stage(account), "step_id": step}
        add_audit_entry(
            session, actor=actor, action="step.untick", account=account, details=details, at=now
        )
        await session.flush()
    return await playbook_progress(session, account=account, playbooks=playbooks, now=now)
