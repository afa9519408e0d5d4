"""What happened on the demo book's accounts: meetings and recaps, upsells, satisfaction
signals, deliverables and ticked playbook steps (see :mod:`bot.demo.book`; objections:
:mod:`bot.demo.objections`).

Functions return row dicts for bulk inserts; they draw from the caller's seeded generator, so
the order of calls must stay fixed for a seed to keep giving the same book.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.demo.accounts import AccountPlan, local_at
from bot.demo.names import (
    DELIVERABLES,
    NEXT_STEPS,
    RECAPS,
    UPSELL_SERVICES,
    UPSELL_SPOTTED,
)
from bot.playbooks import PlaybookLibrary
from storage.models import (
    MeetingKind,
    SignalKind,
    Stage,
    UpsellStatus,
)

Row = dict[str, Any]
MEETING_WEEKS = 10
RECAP_ON_TIME, RECAP_LATE = 0.80, 0.10  # the rest of the meetings get no recap
NPS_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 8, 14, 18, 16)  # scores 0..10, mostly 7-10
CSAT_WEIGHTS = (1, 2, 5, 20, 25)  # scores 1..5
PITCH_SHARE = 0.32


def _kind(rng: random.Random, plan: AccountPlan, day: date, first: bool) -> MeetingKind:
    if first and plan.stage is Stage.ONBOARDING:
        return MeetingKind.KICKOFF
    roll = rng.random()
    if roll < 0.02:
        return MeetingKind.ESCALATION
    entered_on = plan.stage_entered_at.astimezone(plan.seat.zone).date()
    if plan.stage is Stage.RENEWAL and roll < 0.35 and day >= entered_on:
        return MeetingKind.RENEWAL
    if plan.stage is Stage.GROWTH and roll < 0.10:
        return MeetingKind.QBR
    return MeetingKind.REVIEW if roll > 0.92 else MeetingKind.SYNC


def _recap(rng: random.Random, occurred: datetime, now: datetime) -> Row:
    roll = rng.random()
    logged: datetime | None = None
    if roll < RECAP_ON_TIME:
        logged = occurred + timedelta(hours=rng.uniform(0.5, 22))
    elif roll < RECAP_ON_TIME + RECAP_LATE:
        logged = occurred + timedelta(hours=rng.uniform(26, 96))
    if logged is None or logged > now:
        return {"recap_logged_at": None, "recap": None, "next_steps": None, "upsell_spotted": None}
    spotted = rng.choice(UPSELL_SPOTTED) if rng.random() < 0.05 else None
    return {
        "recap_logged_at": logged,
        "recap": rng.choice(RECAPS),
        "next_steps": rng.choice(NEXT_STEPS),
        "upsell_spotted": spotted,
    }


def meeting_rows(rng: random.Random, plan: AccountPlan, now: datetime) -> list[Row]:
    """A weekly slot over the last ten weeks, skipped now and then, while the account was live."""
    zone, today = plan.seat.zone, plan.seat.today
    weekday, hour = rng.randint(0, 4), rng.choice((9, 10, 11, 13, 14, 15, 16))
    minute = rng.choice((0, 30))
    first_day = max(plan.started_on, today - timedelta(weeks=MEETING_WEEKS))
    last_day = today if plan.churned_on is None else plan.churned_on - timedelta(days=1)
    monday = first_day - timedelta(days=first_day.weekday())
    rows: list[Row] = []
    while monday <= last_day:
        day = monday + timedelta(days=min(4, max(0, weekday + rng.choice((-1, 0, 0, 0, 1)))))
        monday += timedelta(weeks=1)
        skipped = rng.random() < 0.12
        occurred = local_at(day, hour, minute, zone)
        if skipped or not first_day <= day <= last_day or occurred >= now:
            continue
        row = {
            "account_id": plan.id,
            "am_id": plan.seat.owner_id,
            "occurred_at": occurred,
            "kind": _kind(rng, plan, day, first=not rows),
            **_recap(rng, occurred, now),
        }
        row["created_at"] = row["recap_logged_at"] or occurred
        rows.append(row)
    return rows


def clear_recap(row: Row) -> None:
    row.update(recap_logged_at=None, recap=None, next_steps=None, upsell_spotted=None)
    row["created_at"] = row["occurred_at"]


def _upsell(rng: random.Random, plan: AccountPlan, service: str, pitched: date) -> Row:
    today = plan.seat.today
    status, closed = UpsellStatus.OPEN, None
    roll = rng.random()
    if (today - pitched).days > 7 and roll < 0.55:
        status = UpsellStatus.WON if roll < 0.33 else UpsellStatus.LOST
        closed = min(today, pitched + timedelta(days=rng.randint(3, 30)))
    return {
        "account_id": plan.id,
        "pitched_on": pitched,
        "service": service,
        "value": Decimal(rng.randint(2, 30) * 500),
        "status": status,
        "closed_on": closed,
        "created_at": local_at(pitched, 15, 0, plan.seat.zone),
    }


def upsell_rows(rng: random.Random, plan: AccountPlan) -> list[Row]:
    """About a third of live, onboarded accounts pitched this quarter; some older pitches."""
    if plan.stage is Stage.ONBOARDING or not plan.active:
        return []
    today = plan.seat.today
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    services = rng.sample(UPSELL_SERVICES, 2)
    rows = []
    earliest = max(quarter_start, plan.started_on + timedelta(days=14))
    if rng.random() < PITCH_SHARE and earliest <= today:
        pitched = earliest + timedelta(days=rng.randint(0, (today - earliest).days))
        rows.append(_upsell(rng, plan, services[0], pitched))
    older = quarter_start - timedelta(days=rng.randint(1, 270))
    if rng.random() < 0.25 and older >= plan.started_on + timedelta(days=14):
        rows.append(_upsell(rng, plan, services[1], older))
    return rows


def signal_rows(rng: random.Random, plan: AccountPlan) -> list[Row]:
    """A quarterly NPS, sometimes a CSAT, and the odd review, referral or case study."""
    today = plan.seat.today
    until = plan.churned_on or today + timedelta(days=1)
    rows: list[Row] = []

    def add(kind: SignalKind, day: date, score: int | None) -> None:
        if plan.started_on + timedelta(days=21) <= day < until:
            rows.append(
                {
                    "account_id": plan.id,
                    "kind": kind,
                    "score": None if score is None else Decimal(score),
                    "recorded_on": day,
                    "created_at": local_at(day, 12, 0, plan.seat.zone),
                }
            )

    for quarter in range(3):
        day = today - timedelta(days=90 * quarter + rng.randint(0, 89))
        score = rng.randint(2, 8) if plan.churned_on else rng.choices(range(11), NPS_WEIGHTS)[0]
        add(SignalKind.NPS, day, score)
    if rng.random() < 0.5:
        add(SignalKind.CSAT, today - timedelta(days=rng.randint(0, 60)), _csat(rng))
    for kind, share in ((SignalKind.REVIEW, 0.05), (SignalKind.REFERRAL, 0.03)):
        if rng.random() < share:
            add(kind, today - timedelta(days=rng.randint(0, 120)), None)
    if plan.stage in (Stage.GROWTH, Stage.RENEWAL) and rng.random() < 0.03:
        add(SignalKind.CASE_STUDY, today - timedelta(days=rng.randint(0, 120)), None)
    return rows


def _csat(rng: random.Random) -> int:
    return rng.choices(range(1, 6), CSAT_WEIGHTS)[0]


def deliverable_rows(rng: random.Random, plan: AccountPlan) -> list[Row]:
    """Two to four per live account: mostly on time, some late, some overdue and not done."""
    if not plan.active:
        return []
    today, rows = plan.seat.today, []
    for title in rng.sample(DELIVERABLES, rng.randint(2, 4)):
        due = max(plan.started_on + timedelta(days=3), today + timedelta(days=rng.randint(-60, 25)))
        delivered: date | None = None
        roll = rng.random()
        if due < today and roll < 0.88:
            late = roll >= 0.72
            delivered = due + timedelta(days=rng.randint(1, 7) if late else -rng.randint(0, 3))
        elif due >= today and roll < 0.25:
            delivered = today - timedelta(days=rng.randint(0, 2))
        if delivered is not None:
            delivered = max(delivered, plan.started_on)
            delivered = delivered if delivered <= today else None
        created = local_at(plan.started_on, 13, 0, plan.seat.zone)
        rows.append(
            {
                "account_id": plan.id,
                "title": title,
                "due_on": due,
                "delivered_on": delivered,
                "created_at": created,
            }
        )
    return rows


def step_rows(
    rng: random.Random,
    plan: AccountPlan,
    now: datetime,
    playbooks: PlaybookLibrary,
    people: dict[str, int],
    *,
    leave_one_overdue: bool,
) -> tuple[list[Row], bool]:
    """Ticks for the current stage's steps: most due steps done, a few early, some overdue.

    ``people`` maps a step's owner role to who ticks it ("am" is the account owner).
    Returns the rows and whether a required step was left overdue.
    """
    if not plan.active:
        return [], False
    entered = plan.stage_entered_at
    entered_on = entered.astimezone(plan.seat.zone).date()
    rows, left_overdue = [], False
    for step in playbooks.for_stage(plan.stage.value).steps:
        due_on = entered_on + timedelta(days=step.due_offset_days)
        overdue = due_on < plan.seat.today
        if overdue and step.required and leave_one_overdue and not left_overdue:
            left_overdue = True
            continue
        days_overdue = (plan.seat.today - due_on).days
        share = 0.25 if not overdue else 0.95 if days_overdue > 14 else 0.75
        share = share if step.required else share * 0.7
        if rng.random() >= share:
            left_overdue = left_overdue or (overdue and step.required)
            continue
        latest = min(now, local_at(due_on, 17, 0, plan.seat.zone))
        done_at = entered + max(timedelta(0), latest - entered) * rng.random()
        by = plan.seat.owner_id if step.owner_role == "am" else people[step.owner_role]
        rows.append(
            {
                "account_id": plan.id,
                "playbook": plan.stage.value,
                "step_id": step.id,
                "completed_by_id": by,
                "completed_at": done_at,
            }
        )
    return rows, left_overdue
