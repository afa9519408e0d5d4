"""Follow-ups on an account's checklist: the next steps an escalated legitimate objection adds
(get the data, huddle with the sponsor, huddle with the team, present, deploy).

They sit under the stage playbook's steps, with an owner and a due date, and are ticked like
them (`tick ACCOUNT objection-12-data-access`); they never hold up a stage change. A follow-up
stays on the checklist until it is done and its objection is resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks.objection_walk import ObjectionWalk
from bot.services.access import add_audit_entry
from bot.services.when import local_today
from storage.models import AccountTask, Objection, ObjectionStatus, User
from storage.models.accounts import Account


@dataclass(frozen=True, slots=True)
class FollowUpState:
    id: str  # what `tick` takes
    title: str
    why: str
    owner: str | None
    source: str  # what it follows up on
    due_on: date
    done: bool
    done_by: str | None
    done_at: datetime | None
    overdue: bool


def task_step_id(objection_id: int, follow_up_id: str) -> str:
    return f"objection-{objection_id}-{follow_up_id}"


async def add_follow_ups(
    session: AsyncSession,
    *,
    account: Account,
    objection: Objection,
    walk: ObjectionWalk,
    sponsor: User | None,
    now: datetime,
) -> list[AccountTask]:
    """The walkthrough's follow-ups for ``objection``, due from today in the owner's zone."""
    today = local_today(now, account.owner.effective_timezone)
    tasks = []
    for follow_up in walk.follow_ups:
        owner = sponsor if follow_up.owner == "sponsor" and sponsor else account.owner
        task = AccountTask(
            account_id=account.id,
            objection_id=objection.id,
            step_id=task_step_id(objection.id, follow_up.id),
            title=follow_up.title,
            why=follow_up.why,
            owner_id=owner.id,
            due_on=today + timedelta(days=follow_up.due_offset_days),
            created_at=now,
        )
        session.add(task)
        tasks.append(task)
    await session.flush()
    return tasks


# Built once (every status and checklist reads it): one account's follow-ups still worth showing.
_SHOWN_FOLLOW_UPS = (
    select(AccountTask, Objection.summary)
    .outerjoin(Objection, Objection.id == AccountTask.objection_id)
    .where(
        AccountTask.account_id == bindparam("account_id"),
        or_(
            AccountTask.done_at.is_(None),
            Objection.status.in_((ObjectionStatus.OPEN, ObjectionStatus.ESCALATED)),
        ),
    )
    .order_by(AccountTask.due_on, AccountTask.id)
)


async def follow_ups(
    session: AsyncSession, *, account: Account, today: date
) -> list[FollowUpState]:
    """The account's follow-ups still worth showing: not done, or their objection is open."""
    return [
        FollowUpState(
            id=task.step_id,
            title=task.title,
            why=task.why or "",
            owner=task.owner.name if task.owner else None,
            source=f"objection: {summary}" if summary else "follow-up",
            due_on=task.due_on,
            done=task.done_at is not None,
            done_by=task.done_by.name if task.done_by else None,
            done_at=task.done_at,
            overdue=task.done_at is None and task.due_on < today,
        )
        for task, summary in await session.execute(_SHOWN_FOLLOW_UPS, {"account_id": account.id})
    ]


async def find_task(session: AsyncSession, *, account: Account, step_id: str) -> AccountTask | None:
    stmt = select(AccountTask).where(
        AccountTask.account_id == account.id, AccountTask.step_id == step_id
    )
    return (await session.scalars(stmt)).first()


def may_tick(actor: User, task: AccountTask) -> bool:
    """Its owner may tick a follow-up, even when they may not change the account otherwise."""
    return task.owner_id == actor.id


def set_done(
    session: AsyncSession,
    *,
    task: AccountTask,
    account: Account,
    actor: User,
    done: bool,
    now: datetime,
) -> None:
    """Tick or untick; doing what is already so changes nothing."""
    if (task.done_at is not None) == done:
        return
    task.done_at = now if done else None
    task.done_by_id = actor.id if done else None
    add_audit_entry(
        session,
        actor=actor,
        action="follow_up.tick" if done else "follow_up.untick",
        account=account,
        details={"step_id": task.step_id, "objection_id": task.objection_id},
        at=now,
    )
