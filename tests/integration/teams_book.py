"""A book of several teams in several time zones, for checking that many teams' digests and
KPI reports computed together equal each team's computed alone.

Every team gets the same story told on its own wall clock (ISO week 2026-W07 is Mon 09 Feb to
Sun 15 Feb): a lead, three AMs (one on vacation through Fri 20 Feb, one living in Tokyo), and
accounts with meetings on the edges of the week (Sunday 23:30 and Monday 00:15 local, and the
Sunday 23:30 before the week), recaps in time, late and missing, a churn, an upsell pitched and
won, NPS, missed deadlines, objections (open, escalated, resolved just after the week),
an onboarding finished in the week and another still running with steps ticked late. Each team
after the first also has one of its AMs hold a meeting on the previous team's account, so an
account's meetings can count for another team than its owner's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    Account,
    ObjectionStatus,
    Role,
    Seniority,
    Stage,
    Team,
    UpsellStatus,
    User,
    UserSettings,
)
from tests.integration.builders import (
    at,
    make_account,
    make_contract,
    make_deliverable,
    make_meeting,
    make_objection,
    make_signal,
    make_step_completion,
    make_team,
    make_upsell,
    make_user,
)

NEW_YORK, AUCKLAND, UTC_ZONE = "America/New_York", "Pacific/Auckland", "UTC"
ZONES = (NEW_YORK, AUCKLAND, UTC_ZONE)
W07_MONDAY = date(2026, 2, 9)


class _Story:
    """One team's people and accounts, with its wall clock."""

    def __init__(self, s: AsyncSession, team: Team, prefix: str) -> None:
        self.s, self.team, self.prefix = s, team, prefix
        self.people: list[User] = []

    def local(self, text: str) -> datetime:
        return at(text, self.team.timezone)

    async def person(self, name: str, **kwargs: Any) -> User:
        user = await make_user(self.s, team=self.team, name=f"{name} {self.prefix}", **kwargs)
        self.people.append(user)
        return user

    async def account(self, owner: User, name: str, **kwargs: Any) -> Account:
        return await make_account(self.s, owner=owner, name=f"{name} {self.prefix}", **kwargs)

    async def meeting(
        self, account: Account, am: User, held: str, recap_hours: float | None
    ) -> None:
        when = self.local(held)
        recap = when + timedelta(hours=recap_hours) if recap_hours is not None else None
        await make_meeting(self.s, account=account, am=am, occurred_at=when, recap_logged_at=recap)


async def _people(story: _Story) -> tuple[User, User, User]:
    s = story.s
    await story.person("Lead", role=Role.LEAD)
    sam = await story.person("Sam", seniority=Seniority.JUNIOR)
    ann = await story.person("Ann")
    cat = await story.person("Cat", seniority=Seniority.SENIOR, timezone="Asia/Tokyo")
    s.add(UserSettings(user_id=cat.id, muted=[], vacation_until=date(2026, 2, 20)))
    s.add(UserSettings(user_id=ann.id, muted=[], vacation_until=date(2026, 2, 1)))  # over
    return sam, ann, cat


async def _accounts(story: _Story, sam: User, ann: User, cat: User) -> list[Account]:
    s, local = story.s, story.local
    kestrel = await story.account(sam, "Kestrel", started_on=date(2025, 3, 1), mrr=4000)
    acme = await story.account(ann, "Acme", started_on=date(2025, 6, 1), mrr=Decimal("2500.10"))
    globex = await story.account(
        ann, "Globex", mrr=Decimal("1500.25"), churned_on=date(2026, 2, 13)
    )
    initech = await story.account(
        cat,
        "Initech",
        started_on=date(2026, 1, 26),
        mrr=900,
        stage=Stage.ONBOARDING,
        stage_entered_at=local("2026-01-26 00:00"),
    )
    umbrella = await story.account(cat, "Umbrella", started_on=date(2025, 2, 1), mrr=3000)
    fresh = await story.account(
        sam, "Fresh", started_on=date(2026, 2, 1), onboarding_completed_on=date(2026, 2, 12)
    )
    for onboarded in (kestrel, acme, globex, umbrella):
        onboarded.onboarding_completed_on = onboarded.started_on + timedelta(days=6)

    await make_contract(s, account=kestrel, end_on=date(2026, 3, 1))
    await make_contract(s, account=umbrella, end_on=date(2026, 4, 30))
    await make_contract(s, account=fresh, end_on=date(2026, 2, 16))
    await make_objection(s, account=kestrel, opened_at=local("2026-02-10 11:00"))
    await make_objection(
        s, account=umbrella, opened_at=local("2026-01-20 11:00"), status=ObjectionStatus.ESCALATED
    )
    late = await make_objection(
        s, account=acme, opened_at=local("2026-02-02 09:00"), status=ObjectionStatus.RESOLVED
    )
    late.resolved_at = local("2026-02-16 00:30")  # still open at the end of the local Sunday
    for day in (10, 11):
        await make_deliverable(s, account=kestrel, due_on=date(2026, 2, day))
    await make_deliverable(s, account=acme, due_on=date(2026, 2, 3), delivered_on=date(2026, 2, 5))
    await make_signal(s, account=acme, recorded_on=date(2026, 2, 12), score=4)
    await make_signal(s, account=umbrella, recorded_on=date(2026, 1, 6), score=10)
    await make_upsell(
        s,
        account=acme,
        pitched_on=date(2026, 2, 10),
        status=UpsellStatus.WON,
        closed_on=date(2026, 2, 11),
        value=Decimal("1200.50"),
    )
    await make_upsell(s, account=umbrella, pitched_on=date(2026, 1, 14))
    await make_step_completion(
        s, account=initech, step_id="kickoff-call", completed_at=local("2026-02-03 10:00")
    )
    await make_step_completion(
        s, account=initech, step_id="onboarding-signoff", completed_at=local("2026-02-15 23:00")
    )
    return [kestrel, acme, globex, initech, umbrella, fresh]


async def _meetings(story: _Story, accounts: Sequence[Account], sam: User, ann: User) -> None:
    kestrel, acme, _, initech, umbrella, _ = accounts
    for weeks_back in range(7, 1, -1):  # W52 to W05: three a week, one late in W03
        monday = W07_MONDAY - timedelta(weeks=weeks_back)
        for n, account in enumerate((kestrel, acme, umbrella)):
            held = f"{monday + timedelta(days=n):%Y-%m-%d} 10:00"
            await story.meeting(account, sam, held, 30 if weeks_back == 4 and n == 0 else 2)
    await story.meeting(kestrel, sam, "2026-02-03 10:00", 2)  # W06
    await story.meeting(acme, ann, "2026-02-08 23:30", 30)  # W06's Sunday night: late
    await story.meeting(kestrel, sam, "2026-02-09 00:15", 30)  # W07, late
    await story.meeting(acme, ann, "2026-02-11 10:00", None)  # never recapped
    await story.meeting(initech, sam, "2026-02-12 15:00", 24)  # exactly 24 h: in time
    await story.meeting(umbrella, ann, "2026-02-15 23:30", 2)  # W07's Sunday night


async def seed_team(db: Database, name: str, timezone: str, neighbour: Account | None) -> Account:
    """One team's story; its AM Sam also meets ``neighbour`` (another team's account) in the
    week. The team's first account, for the next team's neighbour."""
    async with db.unit_of_work() as s:
        team = await make_team(s, name=name, timezone=timezone)
        story = _Story(s, team, name)
        sam, ann, cat = await _people(story)
        accounts = await _accounts(story, sam, ann, cat)
        await _meetings(story, accounts, sam, ann)
        if neighbour is not None:
            await make_meeting(
                s,
                account=neighbour,
                am=sam,
                occurred_at=story.local("2026-02-13 16:00"),
                recap_logged_at=story.local("2026-02-15 16:00"),
            )
        return accounts[0]


async def seed_teams(db: Database, per_zone: int) -> list[Team]:
    """``per_zone`` teams in each of ZONES (New York, Auckland, UTC), by name."""
    neighbour: Account | None = None
    for n in range(per_zone):
        for zone in ZONES:
            neighbour = await seed_team(db, f"{zone.split('/')[-1]} {n}", zone, neighbour)
    async with db.read_only() as s:
        return list((await s.scalars(select(Team).order_by(Team.name))).all())
