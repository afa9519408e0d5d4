"""A fixed book for digest tests and golden renderings: team Atlas (UTC), ISO week 2026-W07
(Mon 09 Feb to Sun 15 Feb) and the seven weeks before it.

People: Lee Park (lead), Sam Ortiz (junior AM), Ann Lee (middle AM), Cat Moss (senior AM, on
vacation through Fri 20 Feb). Accounts and what happens to them:

* Kestrel Foods (Sam): renews Sun 01 Mar; an objection opened Tue 10 Feb; three deliverables
  due in W07 not delivered (0 missed in W06).
* Acme Robotics (Ann): an NPS of 4 on Thu 12 Feb (low NPS); pitched Tue 10 Feb and won that
  upsell ($1,200) Wed 11 Feb; one deliverable delivered late in W06.
* Globex (Ann): churned Fri 13 Feb ($1,500 MRR).
* Initech (Cat): started Mon 26 Jan, still onboarding on day 20; two onboarding steps ticked
  after their due day, one in W06 and one in W07.
* Umbrella (Cat): an objection escalated since Tue 20 Jan.
* Hooli (Sam): quiet.

Meetings: W06 has five, all recapped within 24 h; W07 has six: Sam's two late ones (one never
recapped, one after 30 h), Ann's one late one. The weeks before have four each, one late in
W03 and W05.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

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

W07_MONDAY = date(2026, 2, 9)
VACATION_UNTIL = date(2026, 2, 20)


async def _meeting(
    session: object, account: Account, am: User, held: datetime, recap_hours: float | None
) -> None:
    recap = held + timedelta(hours=recap_hours) if recap_hours is not None else None
    await make_meeting(
        session,  # type: ignore[arg-type]
        account=account,
        am=am,
        occurred_at=held,
        recap_logged_at=recap,
    )


async def seed_digest_book(db: Database, *, timezone: str = "UTC") -> Team:
    async with db.unit_of_work() as s:
        atlas = await make_team(s, name="Atlas", timezone=timezone, slack_channel_id="C0ATLAS01")
        await make_user(s, team=atlas, name="Lee Park", email="lee@example.com", role=Role.LEAD)
        sam = await make_user(
            s, team=atlas, name="Sam Ortiz", email="sam@example.com", seniority=Seniority.JUNIOR
        )
        ann = await make_user(s, team=atlas, name="Ann Lee", email="ann@example.com")
        cat = await make_user(
            s, team=atlas, name="Cat Moss", email="cat@example.com", seniority=Seniority.SENIOR
        )
        s.add(UserSettings(user_id=cat.id, muted=[], vacation_until=VACATION_UNTIL))

        kestrel = await make_account(
            s, owner=sam, name="Kestrel Foods", started_on=date(2025, 3, 1), mrr=4000
        )
        acme = await make_account(
            s, owner=ann, name="Acme Robotics", started_on=date(2025, 6, 1), mrr=2500
        )
        globex = await make_account(
            s, owner=ann, name="Globex", mrr=1500, churned_on=date(2026, 2, 13)
        )
        initech = await make_account(
            s,
            owner=cat,
            name="Initech",
            started_on=date(2026, 1, 26),
            mrr=900,
            stage=Stage.ONBOARDING,
        )
        umbrella = await make_account(
            s, owner=cat, name="Umbrella", started_on=date(2025, 2, 1), mrr=3000
        )
        hooli = await make_account(s, owner=sam, name="Hooli", started_on=date(2025, 9, 1))
        for onboarded in (kestrel, acme, globex, umbrella, hooli):
            onboarded.onboarding_completed_on = onboarded.started_on + timedelta(days=6)

        await make_contract(s, account=kestrel, end_on=date(2026, 3, 1))
        await make_contract(s, account=umbrella, end_on=date(2026, 4, 30))
        await make_objection(s, account=kestrel, opened_at=at("2026-02-10 11:00"))
        await make_objection(
            s,
            account=umbrella,
            opened_at=at("2026-01-20 11:00"),
            status=ObjectionStatus.ESCALATED,
        )
        for day in (10, 11, 12):
            await make_deliverable(s, account=kestrel, due_on=date(2026, 2, day))
        await make_deliverable(
            s, account=acme, due_on=date(2026, 2, 3), delivered_on=date(2026, 2, 5)
        )
        await make_signal(s, account=acme, recorded_on=date(2026, 2, 12), score=4)
        await make_signal(s, account=umbrella, recorded_on=date(2026, 1, 6), score=9)
        await make_upsell(
            s,
            account=acme,
            pitched_on=date(2026, 2, 10),
            status=UpsellStatus.WON,
            closed_on=date(2026, 2, 11),
            value=Decimal("1200"),
        )
        await make_upsell(s, account=umbrella, pitched_on=date(2026, 1, 14))
        await make_step_completion(
            s, account=initech, step_id="kickoff-call", completed_at=at("2026-02-03 10:00")
        )
        await make_step_completion(
            s, account=initech, step_id="onboarding-signoff", completed_at=at("2026-02-10 10:00")
        )

        # Weeks W52 to W05: four meetings each, one late in W03 and W05.
        for week in range(7, 1, -1):
            monday = datetime.combine(W07_MONDAY - timedelta(weeks=week), datetime.min.time())
            for n, (account, am) in enumerate(
                ((kestrel, sam), (acme, ann), (umbrella, cat), (hooli, sam))
            ):
                late = week in (2, 4) and n == 0
                held = at(f"{monday + timedelta(days=n, hours=10):%Y-%m-%d %H:%M}", timezone)
                await _meeting(s, account, am, held, 30 if late else 2)
        # W06: five, all in time.
        for held, account, am in (
            ("2026-02-02 10:00", kestrel, sam),
            ("2026-02-03 10:00", hooli, sam),
            ("2026-02-04 10:00", acme, ann),
            ("2026-02-05 10:00", globex, ann),
            ("2026-02-06 10:00", umbrella, cat),
        ):
            await _meeting(s, account, am, at(held, timezone), 3)
        # W07: six, three late (two of them Sam's).
        for held, account, am, hours in (
            ("2026-02-09 10:00", kestrel, sam, None),
            ("2026-02-10 10:00", hooli, sam, 30),
            ("2026-02-11 10:00", kestrel, sam, 1),
            ("2026-02-11 15:00", acme, ann, 26),
            ("2026-02-12 10:00", acme, ann, 2),
            ("2026-02-13 10:00", initech, cat, 4),
        ):
            await _meeting(s, account, am, at(held, timezone), hours)
    return atlas
