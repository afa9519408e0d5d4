"""The book the Slack channel tests run against: two teams, a few people, telling accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import load_playbooks
from storage.models import Role, Stage
from tests.integration.builders import (
    make_account,
    make_contract,
    make_meeting,
    make_step_completion,
    make_team,
    make_user,
)

HOSTILE_NAME = "<!channel> Evil & <@U123> Corp"

# Slack user ids
ALICE = "UALICE01"  # AM, team Atlas, mapped by slack_user_id
LENA = "ULENA001"  # lead, team Atlas
BOB = "UBOB0001"  # AM, team Borealis
EVE = "UEVE0001"  # AM, team Atlas, no slack_user_id yet: mapped by email
NOBODY = "UNOBODY1"  # Slack has no email for them
STRANGER = "USTRANGE"  # Slack has an email nobody imported
EMAILS = {EVE: "eve@example.com", STRANGER: "stranger@example.com"}
ALICE_ACCOUNTS = 6
TEAMMATE_ACCOUNTS = 12


@dataclass(frozen=True)
class Book:
    acme_robotics: int
    acme_logistics: int
    tickbox: int
    nearly_done: int
    recap_co: int
    hostile: int
    initech: int
    eve: int
    renewal_end: str  # the Acme Robotics contract's end date, ISO
    last_required_step: str  # the one required onboarding step Nearly Done still needs


async def seed_book(session: AsyncSession, *, now: datetime) -> Book:
    onboarding = load_playbooks().for_stage("onboarding")
    required = [s.id for s in onboarding.required_steps]
    today = now.date()

    atlas = await make_team(session, name="Atlas")
    borealis = await make_team(session, name="Borealis")
    alice = await make_user(
        session, team=atlas, name="Alice Archer", email="alice@example.com", slack_user_id=ALICE
    )
    lena = await make_user(
        session,
        team=atlas,
        name="Lena Lead",
        email="lena@example.com",
        role=Role.LEAD,
        slack_user_id=LENA,
    )
    bob = await make_user(
        session, team=borealis, name="Bob Baker", email="bob@example.com", slack_user_id=BOB
    )
    eve = await make_user(session, team=atlas, name="Eve Early", email="eve@example.com")
    carol = await make_user(session, team=atlas, name="Carol Crowd", email="carol@example.com")
    for n in range(1, TEAMMATE_ACCOUNTS + 1):  # enough for "list team" to need a second page
        await make_account(session, owner=carol, name=f"Crowd Client {n:02d}")

    acme = await make_account(
        session,
        owner=alice,
        name="Acme Robotics",
        mrr=Decimal("12000"),
        exec_sponsor=lena,
        stage=Stage.GROWTH,
        stage_entered_at=now - timedelta(days=30),
    )
    contract = await make_contract(session, account=acme, end_on=today + timedelta(days=40))
    await make_meeting(session, account=acme, occurred_at=now - timedelta(days=3))
    logistics = await make_account(session, owner=alice, name="Acme Logistics", stage=Stage.GROWTH)
    tickbox = await make_account(
        session,
        owner=alice,
        name="Tickbox Ltd",
        stage=Stage.ONBOARDING,
        stage_entered_at=now - timedelta(days=2),
        started_on=today - timedelta(days=2),
    )
    nearly = await make_account(
        session,
        owner=alice,
        name="Nearly Done Inc",
        stage=Stage.ONBOARDING,
        stage_entered_at=now - timedelta(days=5),
        started_on=today - timedelta(days=5),
    )
    for step_id in required[:-1]:
        await make_step_completion(
            session,
            account=nearly,
            step_id=step_id,
            completed_at=now - timedelta(days=1),
            completed_by=alice,
        )
    recap_co = await make_account(session, owner=alice, name="Recap Co", stage=Stage.GROWTH)
    await make_meeting(session, account=recap_co, occurred_at=now - timedelta(days=2))
    hostile = await make_account(session, owner=alice, name=HOSTILE_NAME, stage=Stage.GROWTH)
    await make_meeting(session, account=hostile, occurred_at=now - timedelta(days=4))
    initech = await make_account(session, owner=bob, name="Initech", stage=Stage.GROWTH)
    return Book(
        acme_robotics=acme.id,
        acme_logistics=logistics.id,
        tickbox=tickbox.id,
        nearly_done=nearly.id,
        recap_co=recap_co.id,
        hostile=hostile.id,
        initech=initech.id,
        eve=eve.id,
        renewal_end=contract.end_on.isoformat(),
        last_required_step=required[-1],
    )
