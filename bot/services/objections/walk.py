"""The objection walkthrough: start one, record its steps one at a time, resume it later.

Every step is saved (and audited) as it is submitted, so a walkthrough can be left at any point
and picked up again by its AM, their lead or the account's exec sponsor. A step is recorded only
if it is the one due: a form submitted twice, or a step someone else saved meanwhile, changes
nothing (`StepAlreadySaved`). The objection's `version` makes that hold under concurrency.

Who: the account's team reads its objections; its owner, their lead, head and ops (as for any
change to the account) and its exec sponsor work on them. Anyone else is told there is no such
objection, exactly as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.command_syntax import cmd
from bot.errors import Forbidden, InvalidInput, UserError
from bot.playbooks import PlaybookLibrary
from bot.services.access import add_audit_entry, can_change, can_read, load_owner
from bot.services.lookup import MAX_ID
from bot.services.notices import Notifier
from bot.services.objections.escalation import Escalation, escalate
from bot.services.objections.forms import read_form, step_inputs
from bot.services.objections.views import (
    DONE,
    propose_kind,
    screen_of,
)
from storage.models import (
    Account,
    Objection,
    ObjectionStatus,
    ObjectionStep,
    ObjectionStepKind,
    User,
)


class NoSuchObjection(UserError):
    def __init__(self, objection_id: object) -> None:
        super().__init__(
            f"There is no objection #{objection_id} you can see.",
            hint=f"{cmd('objections')} lists the open ones.",
        )


class StepAlreadySaved(UserError):
    """The form was for a step that is no longer the one due (saved already, or meanwhile)."""

    def __init__(self) -> None:
        super().__init__("That step was already saved; here is where the objection stands now.")


class FormProblems(InvalidInput):
    """What to fix in a submitted step, by input id, with what was typed."""

    def __init__(self, problems: dict[str, str], values: dict[str, str | None]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems
        self.values = values


def may_see(actor: User, account: Account) -> bool:
    return can_read(actor, account) or account.exec_sponsor_id == actor.id


def may_walk(actor: User, account: Account) -> bool:
    return can_change(actor, account) or account.exec_sponsor_id == actor.id


def _refuse_walk(account: Account) -> Forbidden:
    return Forbidden(
        "Only the account's AM, their team lead or its exec sponsor can work on its objections.",
        hint=f"{account.name} is owned by {account.owner.name}.",
    )


async def start_objection(
    session: AsyncSession, *, account: Account, actor: User, now: datetime
) -> Objection:
    """A new walkthrough for ``account`` (or the actor's draft there, started and left empty)."""
    await load_owner(session, account)
    if not may_walk(actor, account):
        raise _refuse_walk(account)
    stmt = select(Objection).where(
        Objection.account_id == account.id,
        Objection.raised_by_id == actor.id,
        Objection.status == ObjectionStatus.DRAFT,
    )
    draft = (await session.scalars(stmt.order_by(Objection.id.desc()))).first()
    if draft is not None:
        return draft
    objection = Objection(
        account_id=account.id,
        raised_by_id=actor.id,
        summary="",
        status=ObjectionStatus.DRAFT,
        current_step=ObjectionStepKind.CLASSIFY,
        opened_at=now,
        updated_at=now,
    )
    session.add(objection)
    await session.flush()
    return objection


async def load_objection(
    session: AsyncSession, *, objection_id: int, actor: User, walking: bool
) -> tuple[Objection, Account]:
    """The objection and its account if ``actor`` may see it (and work on it, ``walking``)."""
    objection = await session.get(Objection, objection_id) if 1 <= objection_id <= MAX_ID else None
    account = await session.get(Account, objection.account_id) if objection else None
    if objection is None or account is None:
        raise NoSuchObjection(objection_id)
    await load_owner(session, account)
    someone_elses_draft = (
        objection.status is ObjectionStatus.DRAFT and objection.raised_by_id != actor.id
    )
    if not may_see(actor, account) or someone_elses_draft:
        raise NoSuchObjection(objection_id)
    if walking and not may_walk(actor, account):
        raise _refuse_walk(account)
    return objection, account


@dataclass(frozen=True)
class Recorded:
    step: str
    escalation: Escalation | None = None


def _yes(value: str | None) -> bool:
    return value == "yes"


async def record_step(
    session: AsyncSession,
    *,
    objection: Objection,
    account: Account,
    step_id: str,
    given: Mapping[str, object],
    actor: User,
    now: datetime,
    library: PlaybookLibrary,
    notifier: Notifier,
    stale_days: int,
) -> Recorded:
    """Record the step due with what was typed; `FormProblems` says what to fix first."""
    if screen_of(objection) != step_id or step_id == DONE:
        raise StepAlreadySaved()
    walk = library.walk
    step = walk.step(step_id)
    read = read_form(step_inputs(step, objection.kind, {}), given)
    if read.problems:
        raise FormProblems(read.problems, read.values)
    values = read.values
    escalation = None
    if step_id == "classify":
        objection.contact_name = values["contact_name"]
        objection.decision_maker = _yes(values["decision_maker"])
        objection.backed_by_data = _yes(values["backed_by_data"])
        objection.channel = values["channel"]
        objection.summary = values["summary"] or ""
        objection.proposed_kind, _ = propose_kind(
            objection.backed_by_data, objection.decision_maker
        )
        if objection.status is ObjectionStatus.DRAFT:
            objection.status = ObjectionStatus.OPEN
            objection.opened_at = now
    elif step_id == "kind":
        objection.kind = values["kind"]
    elif step_id == "clarify":
        objection.restatement = values["restatement"]
        objection.client_confirmed = _yes(values["client_confirmed"])
    elif step_id == "ask":
        questions = step.questions[objection.kind or "legitimate"]  # type: ignore[index]
        objection.answers = [
            {"question": question, "answer": values[f"answer_{number}"]}
            for number, question in enumerate(questions, start=1)
            if values.get(f"answer_{number}")
        ]
    elif step_id == "escalate":
        objection.status = ObjectionStatus.ESCALATED
        objection.escalated_at = now
    elif step_id == "resolve":
        objection.status = ObjectionStatus.RESOLVED
        objection.outcome = values["outcome"]
        objection.agreement = values["agreement"]
        objection.resolved_at = now
    if step_id != "classify":
        following = walk.after(step_id)
        if following is not None:
            kind = "classify" if following.id == "kind" else following.id
            objection.current_step = ObjectionStepKind(kind)
    objection.updated_at = now
    stored = "classify" if step_id == "kind" else step_id
    session.add(
        ObjectionStep(
            objection_id=objection.id,
            step=ObjectionStepKind(stored),
            note=_note(step_id, values),
            details={"step": step_id, **{k: v for k, v in values.items() if v is not None}},
            recorded_by_id=actor.id,
            recorded_at=now,
        )
    )
    add_audit_entry(
        session,
        actor=actor,
        action=f"objection.{step_id}",
        account=account,
        details={"objection_id": objection.id},
        at=now,
    )
    try:
        await session.flush()
    except StaleDataError:
        raise StepAlreadySaved() from None
    if step_id == "escalate":
        escalation = await escalate(
            session, objection, account, actor, now, library, notifier, stale_days
        )
    return Recorded(step_id, escalation)


def _note(step_id: str, values: Mapping[str, str | None]) -> str | None:
    """The step's gist, for the audit trail at a glance."""
    key = {
        "classify": "summary",
        "kind": "kind",
        "validate": "reaction",
        "clarify": "restatement",
        "escalate": "note",
        "resolve": "agreement",
    }.get(step_id)
    if key is None:
        return "; ".join(v for k, v in values.items() if k.startswith("answer_") and v) or None
    return values.get(key)


async def discard_draft(session: AsyncSession, *, objection_id: int, actor: User) -> bool:
    """Delete the actor's walkthrough if nothing was recorded in it (a form opened and closed)."""
    objection = await session.get(Objection, objection_id) if 1 <= objection_id <= MAX_ID else None
    if (
        objection is None
        or objection.status is not ObjectionStatus.DRAFT
        or objection.raised_by_id != actor.id
    ):
        return False
    await session.delete(objection)
    await session.flush()
    return True
