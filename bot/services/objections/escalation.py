"""Escalating an objection: the exec sponsor (or, without one, the team lead) hears at once, one
DM per objection through the outbox, and a legitimate objection adds its follow-ups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.notices import Notifier
from bot.services.objections.follow_ups import add_follow_ups
from bot.services.objections.views import facts_of, recorded_steps, summarize
from storage.models import Account, AccountTask, Objection, Role, User

ESCALATION_KIND = "escalation"


async def escalation_recipient(session: AsyncSession, account: Account) -> User | None:
    """The account's exec sponsor; without one, the team lead of its owner."""
    if account.exec_sponsor_id is not None:
        return await session.get(User, account.exec_sponsor_id)
    if account.owner.team_id is None:
        return None
    stmt = select(User).where(User.team_id == account.owner.team_id, User.role == Role.LEAD)
    return (await session.scalars(stmt.order_by(User.id))).first()


@dataclass(frozen=True)
class Escalation:
    """Who was told, and how: ``reached`` means a DM is on its way."""

    recipient: str | None
    is_sponsor: bool
    reached: bool
    yourself: bool
    follow_ups: list[AccountTask] = field(default_factory=list)
    message: dict[str, Any] = field(default_factory=dict)  # the DM's template data


async def escalate(
    session: AsyncSession,
    objection: Objection,
    account: Account,
    actor: User,
    now: datetime,
    library: PlaybookLibrary,
    notifier: Notifier,
    stale_days: int,
) -> Escalation:
    """Tell the sponsor (one DM per objection) and, for a legitimate one, add the follow-ups."""
    recipient = await escalation_recipient(session, account)
    objection.escalated_to_id = recipient.id if recipient else None
    tasks: list[AccountTask] = []
    if objection.kind == "legitimate":
        tasks = await add_follow_ups(
            session,
            account=account,
            objection=objection,
            walk=library.walk,
            sponsor=recipient,
            now=now,
        )
    steps = await recorded_steps(session, objection)
    message = {
        "objection": summarize(objection, account, library.walk, now=now, stale_days=stale_days),
        "facts": facts_of(objection, steps, library.walk),
        "escalated_by": actor.name,
        "recipient": recipient.name if recipient else None,
        "is_sponsor": account.exec_sponsor_id is not None,
        "follow_ups": [{"title": t.title, "due_on": t.due_on} for t in tasks],
    }
    yourself = recipient is not None and recipient.id == actor.id
    reached = False
    if recipient is not None and not yourself:
        reached = await notifier.direct(
            session,
            user=recipient,
            template="objection_escalated",
            data=message,
            key=f"objection:{objection.id}:escalated",
            kind=ESCALATION_KIND,
        )
    await session.flush()
    return Escalation(
        recipient=recipient.name if recipient else None,
        is_sponsor=account.exec_sponsor_id is not None,
        reached=reached,
        yourself=yourself,
        follow_ups=tasks,
        message=message,
    )
