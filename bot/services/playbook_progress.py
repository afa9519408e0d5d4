"""Stage checklists worked from chat: progress (ticking: `step_ticks`; stage changes:
`stage_change`).

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

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import Playbook, PlaybookLibrary
from bot.services.access import (
    load_owner,
)
from bot.services.objections.follow_ups import (
    FollowUpState,
    follow_ups,
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
    unchanged: str | None = None  # the step a tick or untick found already so (`step_ticks`)

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


def account_stage(account: Account) -> str:
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
        "stage": account_stage(account),
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
    stage = account_stage(account)
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
