"""What surfaces show of an objection: a one-line summary, the facts recorded so far, and the
screen of the step to do next. Reads only; nothing here changes anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary, TalkTrack
from bot.playbooks.objection_walk import ObjectionWalk, WalkStep
from bot.services.objections.forms import FormInput, step_inputs
from storage.models import Account, Objection, ObjectionStatus, ObjectionStep, ObjectionStepKind

DONE = "done"


async def recorded_steps(session: AsyncSession, objection: Objection) -> list[ObjectionStep]:
    stmt = (
        select(ObjectionStep)
        .where(ObjectionStep.objection_id == objection.id)
        .order_by(ObjectionStep.recorded_at, ObjectionStep.id)
    )
    return list((await session.scalars(stmt)).all())


def screen_of(objection: Objection) -> str:
    """The step to do next: a step id of the walkthrough, or ``done`` once resolved.

    While ``current_step`` is classify, the facts come first and then the kind (once the facts
    have proposed one)."""
    if objection.status is ObjectionStatus.RESOLVED:
        return DONE
    step = ObjectionStepKind(objection.current_step).value
    if step == "classify" and objection.proposed_kind is not None:
        return "kind"
    return step


@dataclass(frozen=True)
class ObjectionSummary:
    """One objection in a line: lists, status, App Home, the digest and every form's header."""

    id: int
    account_id: int
    account: str
    owner: str
    summary: str
    kind: str | None
    kind_label: str | None
    status: str  # open | escalated | resolved
    step: str  # the next step's id, or "done"
    step_title: str
    step_number: int
    steps_total: int
    contact_name: str | None
    opened_at: datetime
    days_open: int
    unsettled_phantom: bool  # phantom and open longer than it should be
    stale: bool  # open longer than OBJECTION_STALE_DAYS
    outcome: str | None = None
    resolved_at: datetime | None = None

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self.resolved_at - self.opened_at if self.resolved_at else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account,
            "summary": self.summary,
            "kind": self.kind,
            "status": self.status,
            "step": self.step,
            "opened_at": self.opened_at.isoformat(),
            "days_open": self.days_open,
        }


def summarize(
    objection: Objection,
    account: Account,
    walk: ObjectionWalk,
    *,
    now: datetime,
    stale_days: int,
    owner: str | None = None,
) -> ObjectionSummary:
    screen = screen_of(objection)
    open_for = (objection.resolved_at or now) - objection.opened_at
    still_open = objection.status is not ObjectionStatus.RESOLVED
    kind = objection.kind
    return ObjectionSummary(
        id=objection.id,
        account_id=account.id,
        account=account.name,
        owner=owner or account.owner.name,
        summary=objection.summary,
        kind=kind,
        kind_label=walk.kinds[kind].label if kind in walk.kinds else None,
        status=ObjectionStatus(objection.status).value,
        step=screen,
        step_title="Closed" if screen == DONE else walk.step(screen).title,
        step_number=len(walk.steps) if screen == DONE else walk.number(screen),
        steps_total=len(walk.steps),
        contact_name=objection.contact_name,
        opened_at=objection.opened_at,
        days_open=max(0, open_for.days),
        unsettled_phantom=still_open
        and kind == "phantom"
        and open_for > timedelta(hours=walk.phantom_settle_hours),
        stale=still_open and open_for > timedelta(days=stale_days),
        outcome=objection.outcome,
        resolved_at=objection.resolved_at,
    )


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def _choice(walk: ObjectionWalk, step: str, field_id: str, value: str | None) -> str | None:
    if value is None:
        return None
    for choice in walk.step(step).field(field_id).choices:
        if choice.value == value:
            return choice.label
    return value


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def facts_of(objection: Objection, steps: list[ObjectionStep], walk: ObjectionWalk) -> list[Fact]:
    """What has been recorded so far, in the order it was, as label and value."""
    notes = {
        step.step.value: (step.details or {}) for step in steps if isinstance(step.details, dict)
    }
    facts: list[Fact] = []

    def add(label: str, value: object) -> None:
        if value not in (None, ""):
            facts.append(Fact(label, str(value)))

    if objection.contact_name:
        decides = objection.decision_maker
        role = None if decides is None else ("decision maker" if decides else "doesn't decide")
        add("Raised by", f"{objection.contact_name} ({role})" if role else objection.contact_name)
    add("Where", _choice(walk, "classify", "channel", objection.channel))
    add("Objection", objection.summary)
    add("Backed by data", _yes_no(objection.backed_by_data))
    if objection.kind in walk.kinds:
        label = walk.kinds[objection.kind].label
        proposed = objection.proposed_kind
        if proposed and proposed != objection.kind and proposed in walk.kinds:
            label += f" (I proposed {walk.kinds[proposed].label.lower()})"
        add("Kind", label)
    add("Their reaction", notes.get("validate", {}).get("reaction"))
    if objection.restatement:
        confirmed = " (they confirmed it)" if objection.client_confirmed else " (not confirmed)"
        add("In their words", objection.restatement + confirmed)
    for pair in objection.answers or []:
        if isinstance(pair, dict):
            add(str(pair.get("question", "")), pair.get("answer"))
    add("Note for the sponsor", notes.get("escalate", {}).get("note"))
    add("Outcome", _choice(walk, "resolve", "outcome", objection.outcome))
    add("Agreed", objection.agreement)
    return facts


@dataclass(frozen=True)
class KindProposal:
    kind: str
    label: str
    reasons: list[str]


def propose_kind(backed_by_data: bool, decision_maker: bool) -> tuple[str, list[str]]:
    """Legitimate when backed by data, phantom otherwise; the reasons say what tipped it."""
    data = "they backed it with data" if backed_by_data else "they gave no data for it"
    who = "they make the decision" if decision_maker else "they don't make the decision"
    return ("legitimate" if backed_by_data else "phantom"), [data, who]


@dataclass(frozen=True)
class WalkScreen:
    """The step to do next, ready for a form: a Slack modal, a Teams card, console prompts."""

    objection: ObjectionSummary
    step: WalkStep
    inputs: list[FormInput]
    facts: list[Fact]
    talk_track: TalkTrack | None = None
    move_to_call: TalkTrack | None = None  # it came in by email
    proposal: KindProposal | None = None
    sponsor: str | None = None  # who the escalation goes to
    notice: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def screen_for(
    summary: ObjectionSummary,
    objection: Objection,
    facts: list[Fact],
    library: PlaybookLibrary,
    *,
    sponsor: str | None = None,
    values: dict[str, str | None] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> WalkScreen:
    walk = library.walk
    step = walk.step(summary.step)
    prefill = dict(values or {})
    proposal = None
    if step.id == "kind" and objection.proposed_kind in walk.kinds:
        _, reasons = propose_kind(bool(objection.backed_by_data), bool(objection.decision_maker))
        kind = objection.proposed_kind or "phantom"
        proposal = KindProposal(kind, walk.kinds[kind].label, reasons)
        prefill.setdefault("kind", kind)
    by_email = objection.channel == "email" and step.id == "kind"  # the first advice
    return WalkScreen(
        objection=summary,
        step=step,
        inputs=step_inputs(step, objection.kind, prefill),
        facts=facts,
        talk_track=library.talk_tracks.get(step.talk_track) if step.talk_track else None,
        move_to_call=library.talk_tracks.get(walk.email_talk_track) if by_email else None,
        proposal=proposal,
        sponsor=sponsor,
        notice=notice,
        errors=dict(errors or {}),
    )
