"""Daily nudges on a simulated clock: each person at their own 09:00, across time zones and
clock changes, once a day, batched, respecting vacations and mutes; leads hear about a second
missed recap. The scheduler's nudge job is run tick by tick as the clock advances."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.delivery.runs import Renderers, queue_daily_nudges
from bot.services.container import Services, build_services
from bot.settings import Settings
from storage.db import Database
from storage.models import NudgeItem, OutboxMessage, Role, User, UserSettings
from tests.integration.builders import (
    make_account,
    make_contract,
    make_meeting,
    make_team,
    make_user,
)

ZONES = ("Europe/London", "America/New_York", "Pacific/Auckland")


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def services_for(db: Database, clock: Callable[[], datetime], **settings: object) -> Services:
    built = build_services(
        Settings(_env_file=None, database_url=db.url, **settings),  # type: ignore[call-arg]
        clock=clock,
    )
    built.db = db
    return built


async def tick(services: Services, *, on_schedule: bool = True) -> list[int]:
    report = await queue_daily_nudges(
        services,
        as_of=services.clock(),
        platforms={"slack"},
        renderers=Renderers(),
        on_schedule=on_schedule,
    )
    return report.queued


async def outbox(db: Database) -> list[OutboxMessage]:
    async with db.read_only() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def seed_people_in_three_zones(db: Database, meeting_at: datetime) -> dict[str, int]:
    """An AM in London, New York and Auckland, each with a meeting without a recap."""
    ids = {}
    async with db.unit_of_work() as session:
        for n, zone in enumerate(ZONES):
            team = await make_team(session, name=f"Team {n}", timezone=zone)
            am = await make_user(session, team=team, slack_user_id=f"UZONE{n}", timezone=zone)
            account = await make_account(session, owner=am, name=f"Client {n}")
            await make_meeting(session, account=account, occurred_at=meeting_at)
            ids[zone] = am.id
    return ids


def first_working_nine(after: datetime, zone: str) -> datetime:
    """The first 09:00 on a weekday in ``zone`` at or after ``after``, in UTC."""
    local = after.astimezone(ZoneInfo(zone))
    day = local.date()
    while True:
        candidate = datetime.combine(day, time(9, 0), tzinfo=ZoneInfo(zone))
        if candidate.weekday() < 5 and candidate >= local:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 3, 7, 0, 0, tzinfo=UTC),  # New York springs forward on Sunday 8 March
        datetime(2026, 3, 28, 0, 0, tzinfo=UTC),  # London springs forward on Sunday 29 March
        datetime(2026, 4, 4, 0, 0, tzinfo=UTC),  # Auckland falls back on Sunday 5 April
        datetime(2026, 10, 24, 0, 0, tzinfo=UTC),  # London falls back on Sunday 25 October
    ],
    ids=["new-york-spring", "london-spring", "auckland-autumn", "london-autumn"],
)
async def test_each_person_is_nudged_at_nine_their_time_on_a_working_day_across_clock_changes(
    sqlite_db: Database, start: datetime
) -> None:
    db = sqlite_db
    ids = await seed_people_in_three_zones(db, start - timedelta(days=1))
    clock = Clock(start)
    services = services_for(db, clock, nudge_time="09:00", nudge_catch_up_hours=3)
    sent_at: defaultdict[int, list[datetime]] = defaultdict(list)
    while clock.now < start + timedelta(days=4):
        for row in await rows(db, await tick(services)):
            assert row.user_id is not None
            sent_at[row.user_id].append(clock.now)
        clock.now += timedelta(minutes=30)
    for zone, user_id in ids.items():
        assert sent_at[user_id] == [first_working_nine(start, zone)], zone


async def test_a_second_tick_the_same_day_sends_nothing_new(db: Database) -> None:
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday, 09:00 in London (GMT)
    ids = await seed_people_in_three_zones(db, start - timedelta(days=1))
    services = services_for(db, Clock(start))
    first = await tick(services)
    assert len(first) == 1  # only London is at 09:00 now
    async with db.unit_of_work() as session:  # a new missed recap appears meanwhile
        london = await session.get(User, ids["Europe/London"])
        assert london is not None
        account = await make_account(session, owner=london, name="Later Ltd")
        await make_meeting(session, account=account, occurred_at=start - timedelta(days=2))
    assert await tick(services) == []
    # The command line sends at once whatever the clock says: the others get theirs now,
    # London nothing more today (same day, same key).
    sent = await rows(db, await tick(services, on_schedule=False))
    assert sorted(row.user_id for row in sent) == sorted(
        [ids["America/New_York"], ids["Pacific/Auckland"]]
    )


async def rows(db: Database, ids: list[int]) -> list[OutboxMessage]:
    return [row for row in await outbox(db) if row.id in ids]


NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # Tuesday
ONBOARDED = date(2025, 1, 10)  # long ago: no onboarding nudge in these tests


async def am_with_missed_recaps(
    db: Database, count: int, *, email: str = "ann@example.com", role: Role = Role.AM
) -> User:
    async with db.unit_of_work() as session:
        team = await make_team(session)
        am = await make_user(
            session, team=team, email=email, slack_user_id=f"U{email[:3]}", role=role
        )
        for n in range(count):
            account = await make_account(
                session,
                owner=am,
                name=f"{email[:3]} client {n:02d}",
                onboarding_completed_on=ONBOARDED,
            )
            await make_meeting(
                session, account=account, occurred_at=NOW - timedelta(days=2, hours=n)
            )
    return am


def texts(row: OutboxMessage) -> str:
    return row.payload["text"] + json.dumps(row.payload["blocks"], ensure_ascii=False)


async def test_twenty_urgent_items_come_in_two_dms_and_the_rest_is_counted(db: Database) -> None:
    await am_with_missed_recaps(db, 20)
    sent = await rows(db, await tick(services_for(db, Clock(NOW)), on_schedule=False))
    assert [row.idempotency_key.rsplit(":", 1)[1] for row in sent] == ["1", "2"]
    assert texts(sent[0]).count("Recap missing") == 8 and texts(sent[1]).count("Recap missing") == 8
    assert "…and 4 more" in texts(sent[1]) and "20 things need you today" in texts(sent[0])
    async with db.read_only() as session:
        items = (await session.scalars(select(NudgeItem))).all()
    assert len(items) == 16  # the four not shown stay due, for tomorrow and `home`


async def test_nothing_is_sent_during_a_vacation_or_for_a_muted_kind(db: Database) -> None:
    ann = await am_with_missed_recaps(db, 1)
    async with db.unit_of_work() as session:
        session.add(UserSettings(user_id=ann.id, muted=[], vacation_until=date(2026, 3, 10)))
    services = services_for(db, Clock(NOW))
    assert await tick(services, on_schedule=False) == []
    async with db.unit_of_work() as session:
        row = await session.get(UserSettings, ann.id)
        assert row is not None
        row.vacation_until, row.muted = None, ["missed_recap"]
    assert await tick(services, on_schedule=False) == []
    async with db.unit_of_work() as session:
        row = await session.get(UserSettings, ann.id)
        assert row is not None
        row.muted = []
    assert len(await tick(services, on_schedule=False)) == 1


async def test_own_time_and_days_replace_the_defaults(db: Database) -> None:
    ann = await am_with_missed_recaps(db, 1)
    async with db.unit_of_work() as session:
        own = UserSettings(user_id=ann.id, muted=[], nudge_time="07:30", working_days="tue")
        session.add(own)
    clock = Clock(datetime(2026, 3, 9, 7, 30, tzinfo=UTC))  # Monday: not one of her days
    services = services_for(db, clock)
    assert await tick(services) == []
    clock.now = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    assert await tick(services) == []  # Tuesday, before 07:30
    clock.now = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)
    assert len(await tick(services)) == 1


async def test_only_low_urgency_items_wait_on_home_without_a_ping(db: Database) -> None:
    async with db.unit_of_work() as session:
        am = await make_user(session, team=await make_team(session), slack_user_id="ULOW1")
        account = await make_account(
            session, owner=am, name="Far Renewal", onboarding_completed_on=ONBOARDED
        )
        await make_contract(session, account=account, end_on=NOW.date() + timedelta(days=75))
    services = services_for(db, Clock(NOW))
    assert await tick(services, on_schedule=False) == []  # a renewal 75 days out does not ping
    async with db.unit_of_work() as session:
        soon = await make_account(
            session, owner=am, name="Soon Renewal", onboarding_completed_on=ONBOARDED
        )
        await make_contract(session, account=soon, end_on=NOW.date() + timedelta(days=10))
    [dm] = await rows(db, await tick(services, on_schedule=False))
    assert "Soon Renewal" in texts(dm) and "Far Renewal" not in texts(dm)
    assert "1 renewal 60–90 days out" in texts(dm)


async def test_a_second_missed_recap_in_a_week_reaches_the_lead_in_their_own_dm(
    db: Database,
) -> None:
    async with db.unit_of_work() as session:
        team = await make_team(session, name="Atlas")
        lead = await make_user(
            session, team=team, role=Role.LEAD, slack_user_id="ULEAD", name="Lena"
        )
        sam = await make_user(session, team=team, slack_user_id="USAM", name="Sam Slow")
        ora = await make_user(session, team=team, slack_user_id="UORA", name="Ora Once")
        for n, am in enumerate([sam, sam, ora]):
            account = await make_account(
                session, owner=am, name=f"Client {n}", onboarding_completed_on=ONBOARDED
            )
            await make_meeting(
                session, account=account, occurred_at=NOW - timedelta(days=3, hours=n)
            )
    sent = await rows(db, await tick(services_for(db, Clock(NOW)), on_schedule=False))
    by_user = {row.user_id: texts(row) for row in sent}
    assert "Sam Slow: 2 missed recaps this week" in by_user[lead.id]
    assert "Ora Once" not in by_user[lead.id]
    assert by_user[sam.id].count("Recap missing") == 2
