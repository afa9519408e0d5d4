"""Tiny builders for database tests: one row each, sensible defaults, flushed so it has an id.

Use them inside a unit of work and pass only what the test is about::

    async with db.unit_of_work() as session:
        team = await make_team(session, timezone="America/Los_Angeles")
        am = await make_user(session, team=team, seniority=Seniority.JUNIOR)
        account = await make_account(session, owner=am, started_on=date(2025, 1, 6))
        await make_meeting(session, account=account, occurred_at=at("2026-02-15 23:30", LA))

Names, e-mails and titles default to unique values, so several rows never collide.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.keys import name_key
from storage.models import (
    Account,
    Contract,
    Deliverable,
    Meeting,
    MeetingKind,
    Objection,
    ObjectionStatus,
    Role,
    SatisfactionSignal,
    Seniority,
    SignalKind,
    Stage,
    StepCompletion,
    Team,
    Upsell,
    UpsellStatus,
    User,
)

_serial = itertools.count(1)
Row = TypeVar("Row")

DEFAULT_START = date(2025, 1, 6)


def at(text: str, timezone: str = "UTC") -> datetime:
    """``at("2026-02-15 23:30", "America/Los_Angeles")``: an aware datetime, wall clock in tz."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone))


def midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def _add(session: AsyncSession, row: Row) -> Row:
    session.add(row)
    await session.flush()
    return row


async def make_team(
    session: AsyncSession,
    *,
    name: str | None = None,
    timezone: str = "UTC",
    slack_channel_id: str | None = None,
) -> Team:
    name = name or f"Team {next(_serial)}"
    return await _add(
        session,
        Team(
            name=name,
            name_key=name_key(name),
            timezone=timezone,
            slack_channel_id=slack_channel_id,
        ),
    )


async def make_user(
    session: AsyncSession,
    *,
    team: Team | None = None,
    name: str | None = None,
    email: str | None = None,
    role: Role = Role.AM,
    seniority: Seniority | None = Seniority.MIDDLE,
    timezone: str | None = None,
    slack_user_id: str | None = None,
    teams_aad_object_id: str | None = None,
) -> User:
    n = next(_serial)
    return await _add(
        session,
        User(
            name=name or f"Person {n}",
            email=(email or f"person{n}@example.com").lower(),
            role=role,
            seniority=seniority,
            team_id=team.id if team else None,
            timezone=timezone,
            slack_user_id=slack_user_id,
            teams_aad_object_id=teams_aad_object_id,
        ),
    )


async def make_account(
    session: AsyncSession,
    *,
    owner: User,
    name: str | None = None,
    started_on: date = DEFAULT_START,
    mrr: Decimal | int | str = Decimal("1000"),
    stage: Stage = Stage.GROWTH,
    stage_entered_at: datetime | None = None,
    onboarding_completed_on: date | None = None,
    churned_on: date | None = None,
    churn_reason: str | None = None,
    exec_sponsor: User | None = None,
) -> Account:
    name = name or f"Account {next(_serial)}"
    return await _add(
        session,
        Account(
            name=name,
            name_key=name_key(name),
            owner_id=owner.id,
            exec_sponsor_id=exec_sponsor.id if exec_sponsor else None,
            stage=stage,
            stage_entered_at=stage_entered_at or midnight_utc(started_on),
            mrr=Decimal(mrr),
            started_on=started_on,
            onboarding_completed_on=onboarding_completed_on,
            churned_on=churned_on,
            churn_reason=churn_reason,
        ),
    )


async def make_contract(
    session: AsyncSession,
    *,
    account: Account,
    end_on: date,
    start_on: date | None = None,
    value: Decimal | int | str = Decimal("12000"),
    auto_renew: bool = False,
) -> Contract:
    return await _add(
        session,
        Contract(
            account_id=account.id,
            start_on=start_on or end_on.replace(year=end_on.year - 1),
            end_on=end_on,
            value=Decimal(value),
            auto_renew=auto_renew,
        ),
    )


async def make_meeting(
    session: AsyncSession,
    *,
    account: Account,
    occurred_at: datetime,
    am: User | None = None,
    recap_logged_at: datetime | None = None,
    recap: str | None = None,
    kind: MeetingKind = MeetingKind.SYNC,
    next_steps: str | None = None,
    upsell_spotted: str | None = None,
) -> Meeting:
    """A meeting held by ``am`` (default: the account's owner)."""
    if recap is None and recap_logged_at is not None:
        recap = "Discussed progress."
    return await _add(
        session,
        Meeting(
            account_id=account.id,
            am_id=am.id if am else account.owner_id,
            occurred_at=occurred_at,
            kind=kind,
            recap_logged_at=recap_logged_at,
            recap=recap,
            next_steps=next_steps,
            upsell_spotted=upsell_spotted,
        ),
    )


async def make_upsell(
    session: AsyncSession,
    *,
    account: Account,
    pitched_on: date,
    value: Decimal | int | str = Decimal("500"),
    status: UpsellStatus = UpsellStatus.OPEN,
    closed_on: date | None = None,
    service: str | None = None,
) -> Upsell:
    return await _add(
        session,
        Upsell(
            account_id=account.id,
            pitched_on=pitched_on,
            service=service or f"Service {next(_serial)}",
            value=Decimal(value),
            status=status,
            closed_on=closed_on,
        ),
    )


async def make_signal(
    session: AsyncSession,
    *,
    account: Account,
    recorded_on: date,
    kind: SignalKind = SignalKind.NPS,
    score: Decimal | int | str | None = None,
) -> SatisfactionSignal:
    return await _add(
        session,
        SatisfactionSignal(
            account_id=account.id,
            kind=kind,
            score=None if score is None else Decimal(score),
            recorded_on=recorded_on,
        ),
    )


async def make_deliverable(
    session: AsyncSession,
    *,
    account: Account,
    due_on: date,
    delivered_on: date | None = None,
    title: str | None = None,
) -> Deliverable:
    return await _add(
        session,
        Deliverable(
            account_id=account.id,
            title=title or f"Deliverable {next(_serial)}",
            due_on=due_on,
            delivered_on=delivered_on,
        ),
    )


async def make_step_completion(
    session: AsyncSession,
    *,
    account: Account,
    step_id: str,
    completed_at: datetime,
    playbook: str | None = None,
    completed_by: User | None = None,
) -> StepCompletion:
    """A ticked playbook step (``playbook`` defaults to the account's current stage)."""
    return await _add(
        session,
        StepCompletion(
            account_id=account.id,
            playbook=playbook or account.stage.value,
            step_id=step_id,
            completed_by_id=completed_by.id if completed_by else account.owner_id,
            completed_at=completed_at,
        ),
    )


async def make_objection(
    session: AsyncSession,
    *,
    account: Account,
    opened_at: datetime,
    summary: str = "Too expensive for what we use.",
    raised_by: User | None = None,
    kind: str | None = None,
    status: ObjectionStatus = ObjectionStatus.OPEN,
) -> Objection:
    return await _add(
        session,
        Objection(
            account_id=account.id,
            raised_by_id=raised_by.id if raised_by else account.owner_id,
            kind=kind,
            summary=summary,
            status=status,
            opened_at=opened_at,
            updated_at=opened_at,
        ),
    )
