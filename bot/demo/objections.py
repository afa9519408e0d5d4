"""The demo book's objections: one open per team, and an escalated and a resolved one in the
first team, each walked through its steps (see :mod:`bot.demo.book`)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.accounts import AccountPlan
from bot.demo.inserts import insert, insert_ids
from bot.demo.names import OBJECTIONS
from bot.playbooks import PlaybookLibrary
from storage.models import Objection, ObjectionStatus, ObjectionStep, ObjectionStepKind, Stage

Row = dict[str, Any]
NOTE_STEPS = (
    ObjectionStepKind.CLASSIFY,
    ObjectionStepKind.VALIDATE,
    ObjectionStepKind.CLARIFY,
    ObjectionStepKind.ASK,
)


def objection(
    rng: random.Random,
    plan: AccountPlan,
    now: datetime,
    status: ObjectionStatus,
    playbooks: PlaybookLibrary,
) -> tuple[Row, list[Row]]:
    """An objection walked through up to "ask" (open), "escalate" or "resolve", and its steps."""
    kind, summary, contact, channel, notes = rng.choice(OBJECTIONS)
    opened = now - timedelta(days=rng.randint(6, 20), hours=rng.randint(0, 8))
    kinds: list[tuple[ObjectionStepKind, str]] = list(zip(NOTE_STEPS, notes, strict=True))
    if status is ObjectionStatus.OPEN:
        kinds = kinds[:3]
    else:
        kinds.append((ObjectionStepKind.ESCALATE, "Asked the exec sponsor to join the next call"))
    if status is ObjectionStatus.RESOLVED:
        kinds.append((ObjectionStepKind.RESOLVE, "Agreed a four-week plan with weekly numbers"))
    steps = [
        {
            "step": step,
            "note": note,
            "details": {"step": step.value},
            "recorded_by_id": plan.seat.owner_id,
            "recorded_at": opened + timedelta(days=index, hours=1),
        }
        for index, (step, note) in enumerate(kinds)
    ]
    after = {
        ObjectionStatus.OPEN: ObjectionStepKind.ASK,
        ObjectionStatus.ESCALATED: ObjectionStepKind.RESOLVE,
        ObjectionStatus.RESOLVED: ObjectionStepKind.RESOLVE,
    }
    last_at = steps[-1]["recorded_at"]
    escalated_at = steps[4]["recorded_at"] if len(steps) > 4 else None
    legitimate = kind == "legitimate"
    asked = playbooks.walk.step("ask").questions[kind][0]  # type: ignore[index]
    row = {
        "account_id": plan.id,
        "raised_by_id": plan.seat.owner_id,
        "kind": kind,
        "summary": summary,
        "status": status,
        "current_step": after[status],
        "opened_at": opened,
        "updated_at": last_at,
        "resolved_at": last_at if status is ObjectionStatus.RESOLVED else None,
        "contact_name": contact,
        "decision_maker": legitimate,
        "backed_by_data": legitimate,
        "channel": channel,
        "proposed_kind": kind,
        "restatement": notes[2],
        "client_confirmed": True,
        "answers": None
        if status is ObjectionStatus.OPEN
        else [{"question": asked, "answer": notes[3]}],
        "escalated_at": escalated_at,
        "escalated_to_id": plan.exec_sponsor_id if escalated_at else None,
        "outcome": "resolved" if status is ObjectionStatus.RESOLVED else None,
        "agreement": notes[3] if status is ObjectionStatus.RESOLVED else None,
    }
    return row, steps


async def seed_objections(
    session: AsyncSession,
    rng: random.Random,
    plans: list[AccountPlan],
    now: datetime,
    playbooks: PlaybookLibrary,
) -> int:
    """An open objection per team; the first team also has an escalated and a resolved one."""
    objections: list[Row] = []
    histories: list[list[Row]] = []
    teams = sorted({plan.seat.team for plan in plans})
    for team in teams:
        live = [p for p in plans if p.seat.team == team and p.active]
        live = [p for p in live if p.stage is not Stage.ONBOARDING] or live
        statuses = [ObjectionStatus.OPEN]
        if team == teams[0]:
            statuses += [ObjectionStatus.ESCALATED, ObjectionStatus.RESOLVED]
        for plan, status in zip(rng.sample(live, len(statuses)), statuses, strict=True):
            row, steps = objection(rng, plan, now, status, playbooks)
            objections.append(row)
            histories.append(steps)
    ids = await insert_ids(session, Objection, objections)
    steps = [
        {**step, "objection_id": objection_id}
        for objection_id, history in zip(ids, histories, strict=True)
        for step in history
    ]
    await insert(session, ObjectionStep, steps)
    return len(ids)
