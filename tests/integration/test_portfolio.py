"""Account lists (mine, team, renewals, at-risk) and upcoming renewals, on SQLite and PostgreSQL.

It is Tuesday 2026-03-10 15:00 UTC; teams work in UTC unless a test says otherwise. The book:

Ann (AM, team A) owns
  Alpha    healthy; contract ends 2026-12-31
  Bravo    latest NPS 4 (an older 9); contract ends 2026-03-30 (20 days), met 2026-03-01
  Charlie  an open objection and a meeting on 2026-03-05 without a recap
  Delta    in growth since 2026-02-01, so the required "qbr" step (day 10) is overdue
  Echo     a report due 2026-03-01 delivered 2026-03-03 (late)
  Foxtrot  contract ends 2026-03-25 (15 days), last met 2026-02-01
  Golf     churned 2026-03-01, never listed
Bob (AM, team A) owns Hotel (latest NPS 3); Cy (AM, team B) owns India (an open objection).
Every other account entered its stage 2026-03-09, so no playbook step is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from bot.errors import InvalidInput
from bot.services.portfolio import AccountList, Scope, list_accounts
from bot.services.renewals import upcoming_renewals
from storage.db import Database
from storage.models import ObjectionStatus, Role, SignalKind, Stage, User
from tests.integration.account_builders import LIBRARY, fetch_account, fetch_user
from tests.integration.builders import (
    make_account,
    make_contract,
    make_deliverable,
    make_meeting,
    make_objection,
    make_signal,
    make_step_completion,
    make_team,
    make_user,
)

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
FRESH = datetime(2026, 3, 9, tzinfo=UTC)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True)
class Book:
    people: dict[str, int]
    accounts: dict[str, int]


async def seed(db: Database) -> Book:
    async with db.unit_of_work() as s:
        team_a, team_b = await make_team(s), await make_team(s)
        people = {
            "ann": await make_user(s, team=team_a, name="Ann"),
            "bob": await make_user(s, team=team_a, name="Bob"),
            "lea": await make_user(s, team=team_a, name="Lea", role=Role.LEAD),
            "cy": await make_user(s, team=team_b, name="Cy"),
            "hal": await make_user(s, name="Hal", role=Role.HEAD),
        }

        async def account(name: str, owner: str = "ann", **kw: Any) -> Any:
            kw.setdefault("stage_entered_at", FRESH)
            return await make_account(s, owner=people[owner], name=name, mrr=1000, **kw)

        alpha = await account("Alpha")
        await make_contract(s, account=alpha, end_on=date(2026, 12, 31))
        bravo = await account("Bravo")
        await make_signal(s, account=bravo, recorded_on=date(2026, 1, 5), score=9)
        await make_signal(s, account=bravo, recorded_on=date(2026, 2, 5), score=4)
        await make_contract(
            s, account=bravo, end_on=date(2026, 3, 30), value=24000, auto_renew=True
        )
        await make_meeting(
            s,
            account=bravo,
            occurred_at=utc(2026, 3, 1, 10, 0),
            recap_logged_at=utc(2026, 3, 1, 12),
        )
        charlie = await account("Charlie")
        await make_objection(s, account=charlie, opened_at=utc(2026, 3, 2))
        await make_meeting(s, account=charlie, occurred_at=utc(2026, 3, 5, 10, 0))
        await account("Delta", stage_entered_at=utc(2026, 2, 1))
        echo = await account("Echo")
        await make_deliverable(
            s, account=echo, title="Report", due_on=date(2026, 3, 1), delivered_on=date(2026, 3, 3)
        )
        foxtrot = await account("Foxtrot")
        await make_contract(s, account=foxtrot, end_on=date(2026, 3, 25), value=6000)
        await make_meeting(
            s,
            account=foxtrot,
            occurred_at=utc(2026, 2, 1, 10, 0),
            recap_logged_at=utc(2026, 2, 1, 12),
        )
        golf = await account("Golf", churned_on=date(2026, 3, 1))
        await make_objection(s, account=golf, opened_at=utc(2026, 2, 2))
        hotel = await account("Hotel", owner="bob")
        await make_signal(s, account=hotel, recorded_on=date(2026, 3, 1), score=3)
        india = await account("India", owner="cy")
        await make_objection(s, account=india, opened_at=utc(2026, 3, 2))
        accounts = {
            a.name: a.id for a in (alpha, bravo, charlie, echo, foxtrot, golf, hotel, india)
        }
    return Book({k: u.id for k, u in people.items()}, accounts)


async def listing(db: Database, who: int, scope: Scope, **kwargs: Any) -> AccountList:
    async with db.read_only() as session:
        actor = await fetch_user(session, who)
        kwargs.setdefault("now", NOW)
        return await list_accounts(
            session,
            actor=actor,
            scope=scope,
            playbooks=LIBRARY,
            **kwargs,
        )


def names(result: AccountList) -> list[str]:
    return [row.name for row in result.items]


# --- scopes --------------------------------------------------------------------------------


async def test_mine_lists_the_actors_live_accounts_by_name(db: Database) -> None:
    book = await seed(db)
    result = await listing(db, book.people["ann"], "mine")
    assert names(result) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]
    assert (result.scope, result.total, result.offset, result.limit) == ("mine", 6, 0, 20)
    bravo = result.items[1]
    assert (bravo.id, bravo.stage, bravo.owner_name, bravo.mrr) == (
        book.accounts["Bravo"],
        "growth",
        "Ann",
        Decimal("1000.00"),
    )
    assert (bravo.renewal_on, bravo.days_to_renewal) == (date(2026, 3, 30), 20)
    assert bravo.flags == ["latest NPS 4"]


async def test_team_lists_every_live_account_of_the_team_for_an_am_and_the_lead(
    db: Database,
) -> None:
    book = await seed(db)
    expected = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Hotel"]
    assert names(await listing(db, book.people["ann"], "team")) == expected
    assert names(await listing(db, book.people["lea"], "team")) == expected


async def test_team_for_head_lists_every_team(db: Database) -> None:
    book = await seed(db)
    result = await listing(db, book.people["hal"], "team")
    assert names(result)[-2:] == ["Hotel", "India"] and result.total == 8


async def test_renewals_lists_contracts_ending_within_90_days_soonest_first(db: Database) -> None:
    book = await seed(db)
    result = await listing(db, book.people["ann"], "renewals")
    assert [(r.name, r.renewal_on, r.days_to_renewal) for r in result.items] == [
        ("Foxtrot", date(2026, 3, 25), 15),
        ("Bravo", date(2026, 3, 30), 20),
    ]


async def test_at_risk_lists_reasons_most_flags_first_then_by_renewal(db: Database) -> None:
    book = await seed(db)
    result = await listing(db, book.people["ann"], "at-risk")
    assert [(row.name, row.flags) for row in result.items] == [
        ("Charlie", ["1 open objection", "1 missed recap"]),
        ("Foxtrot", ["renews in 15 days with no meeting in 30 days"]),
        ("Bravo", ["latest NPS 4"]),
        ("Delta", ["overdue step: Do qbr"]),
        ("Echo", ["missed deadline: Report"]),
        ("Hotel", ["latest NPS 3"]),  # Bob's: an AM sees the team's risks too
    ]


async def test_at_risk_for_a_lead_includes_teammates_but_not_other_teams(db: Database) -> None:
    book = await seed(db)
    result = await listing(db, book.people["lea"], "at-risk")
    assert "Hotel" in names(result) and "India" not in names(result)
    assert result.items[names(result).index("Hotel")].flags == ["latest NPS 3"]


async def test_pages_slice_the_sorted_list(db: Database) -> None:
    book = await seed(db)
    page = await listing(db, book.people["ann"], "mine", limit=2, offset=2)
    assert names(page) == ["Charlie", "Delta"]
    assert (page.total, page.has_more) == (6, True)
    last = await listing(db, book.people["ann"], "mine", limit=2, offset=4)
    assert (names(last), last.has_more) == (["Echo", "Foxtrot"], False)


async def test_list_json_is_plain_values(db: Database) -> None:
    book = await seed(db)
    result = await listing(db, book.people["ann"], "renewals", limit=1)
    assert result.to_dict() == {
        "scope": "renewals",
        "total": 2,
        "offset": 0,
        "limit": 1,
        "items": [
            {
                "name": "Foxtrot",
                "id": book.accounts["Foxtrot"],
                "stage": "growth",
                "owner_name": "Ann",
                "mrr": 1000.0,
                "renewal_on": "2026-03-25",
                "days_to_renewal": 15,
                "flags": ["renews in 15 days with no meeting in 30 days"],
            }
        ],
    }


ANN = User(id=1, role=Role.AM, team_id=1, email="ann@x.io", name="Ann")


@pytest.mark.parametrize(
    ("scope", "page", "message"),
    [
        ("everything", {}, "I can list mine, team, renewals, at-risk."),
        ("mine", {"limit": 0}, "A page holds 1 to 100 accounts."),
        ("mine", {"limit": 101}, "A page holds 1 to 100 accounts."),
        ("mine", {"offset": -1}, "Pages start at the first account."),
    ],
)
async def test_bad_list_requests_are_refused_before_any_query(
    scope: str, page: dict[str, int], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await list_accounts(
            None,  # type: ignore[arg-type]
            actor=ANN,
            scope=scope,  # type: ignore[arg-type]
            now=NOW,
            playbooks=LIBRARY,
            **page,
        )
    assert caught.value.message == message


# --- individual flags, on a single account -------------------------------------------------


async def lone_account(db: Database, *, timezone: str = "UTC", **kw: Any) -> tuple[int, int]:
    async with db.unit_of_work() as s:
        owner = await make_user(s, team=await make_team(s, timezone=timezone))
        kw.setdefault("stage_entered_at", FRESH)
        account = await make_account(s, owner=owner, name="Solo", **kw)
    return owner.id, account.id


async def flags_of(db: Database, owner_id: int, now: datetime = NOW) -> list[list[str]]:
    return [row.flags for row in (await listing(db, owner_id, "mine", now=now)).items]


async def add(db: Database, account_id: int, builder: Any, **kw: Any) -> None:
    async with db.unit_of_work() as s:
        await builder(s, account=await fetch_account(s, account_id), **kw)


async def test_nps_flag_uses_only_the_latest_scored_nps(db: Database) -> None:
    owner, account = await lone_account(db)
    await add(db, account, make_signal, recorded_on=date(2026, 1, 1), score=5)
    await add(db, account, make_signal, recorded_on=date(2026, 2, 1), score=None)
    await add(db, account, make_signal, recorded_on=date(2026, 2, 2), kind=SignalKind.CSAT, score=1)
    assert await flags_of(db, owner) == [["latest NPS 5"]]
    await add(db, account, make_signal, recorded_on=date(2026, 3, 1), score=7)
    assert await flags_of(db, owner) == [[]]


async def test_nps_of_exactly_6_is_at_risk_and_decimals_are_shown(db: Database) -> None:
    owner, account = await lone_account(db)
    await add(db, account, make_signal, recorded_on=date(2026, 3, 1), score="6.5")
    assert await flags_of(db, owner) == [[]]
    await add(db, account, make_signal, recorded_on=date(2026, 3, 2), score="6")
    assert await flags_of(db, owner) == [["latest NPS 6"]]


async def test_resolved_objections_do_not_count_and_escalated_ones_do(db: Database) -> None:
    owner, account = await lone_account(db)
    for status in (ObjectionStatus.RESOLVED, ObjectionStatus.ESCALATED, ObjectionStatus.OPEN):
        await add(db, account, make_objection, opened_at=utc(2026, 3, 1), status=status)
    assert await flags_of(db, owner) == [["2 open objections"]]


async def test_several_overdue_steps_are_counted_and_done_ones_are_not(db: Database) -> None:
    # Onboarding entered 2026-03-01: kickoff (day 0) and goals (day 2) are overdue.
    owner, account = await lone_account(
        db, stage=Stage.ONBOARDING, stage_entered_at=utc(2026, 3, 1)
    )
    assert await flags_of(db, owner) == [["2 overdue playbook steps"]]
    await add(db, account, make_step_completion, step_id="kickoff", completed_at=utc(2026, 3, 2))
    assert await flags_of(db, owner) == [["overdue step: Do goals"]]


async def test_step_due_today_is_not_overdue_yet(db: Database) -> None:
    # Renewal entered 2026-03-03: "proposal" (day 7) is due today.
    owner, _ = await lone_account(db, stage=Stage.RENEWAL, stage_entered_at=utc(2026, 3, 3))
    assert await flags_of(db, owner) == [[]]


async def test_missed_deadline_window_is_the_30_days_before_today(db: Database) -> None:
    owner, account = await lone_account(db)
    await add(db, account, make_deliverable, title="Too old", due_on=date(2026, 2, 7))
    await add(db, account, make_deliverable, title="Due today", due_on=date(2026, 3, 10))
    await add(
        db,
        account,
        make_deliverable,
        title="On time",
        due_on=date(2026, 3, 5),
        delivered_on=date(2026, 3, 5),
    )
    assert await flags_of(db, owner) == [[]]
    await add(db, account, make_deliverable, title="Oldest counted", due_on=date(2026, 2, 8))
    await add(db, account, make_deliverable, title="Yesterday", due_on=date(2026, 3, 9))
    assert await flags_of(db, owner) == [["2 missed deadlines"]]


async def test_renewal_within_30_days_is_fine_after_a_recent_meeting(db: Database) -> None:
    owner, account = await lone_account(db)
    await add(db, account, make_contract, end_on=date(2026, 4, 9))  # 30 days away
    assert await flags_of(db, owner) == [["renews in 30 days with no meeting in 30 days"]]
    await add(
        db,
        account,
        make_meeting,
        occurred_at=utc(2026, 2, 8, 15, 0),
        recap_logged_at=utc(2026, 2, 8, 16),
    )  # exactly 30 days ago
    assert await flags_of(db, owner) == [[]]


async def test_renewal_31_days_away_is_not_flagged(db: Database) -> None:
    owner, account = await lone_account(db)
    await add(db, account, make_contract, end_on=date(2026, 4, 10))
    assert await flags_of(db, owner) == [[]]


async def test_account_churned_today_in_its_owners_timezone_is_not_listed(db: Database) -> None:
    # 2026-03-10 15:00 UTC is 2026-03-11 00:00 in Tokyo.
    owner, _ = await lone_account(db, timezone="Asia/Tokyo", churned_on=date(2026, 3, 11))
    assert (await listing(db, owner, "mine")).total == 0
    assert (await listing(db, owner, "mine", now=utc(2026, 3, 10, 14, 59))).total == 1


async def test_list_uses_a_fixed_number_of_queries_whatever_the_book_size(db: Database) -> None:
    book = await seed(db)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await listing(db, book.people["ann"], "at-risk")
        small = len(statements)
        async with db.unit_of_work() as s:
            ann = await fetch_user(s, book.people["ann"])
            for n in range(20):
                extra = await make_account(s, owner=ann, name=f"Extra {n}")
                await make_objection(s, account=extra, opened_at=utc(2026, 3, 1))
        statements.clear()
        result = await listing(db, book.people["ann"], "at-risk")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert result.total == 26
    assert len(statements) == small


# --- upcoming_renewals ---------------------------------------------------------------------


async def renewals(db: Database, who: int, days: int, now: datetime = NOW) -> list[Any]:
    async with db.read_only() as session:
        actor = await fetch_user(session, who)
        return await upcoming_renewals(session, actor=actor, days=days, now=now)


async def test_upcoming_renewals_lists_contracts_in_the_window_soonest_first(db: Database) -> None:
    book = await seed(db)
    rows = await renewals(db, book.people["ann"], 30)
    assert [(r.name, r.end_on, r.days_left, r.value, r.auto_renew, r.owner_name) for r in rows] == [
        ("Foxtrot", date(2026, 3, 25), 15, Decimal("6000.00"), False, "Ann"),
        ("Bravo", date(2026, 3, 30), 20, Decimal("24000.00"), True, "Ann"),
    ]
    assert rows[0].id == book.accounts["Foxtrot"] == rows[0].account_id
    assert rows[0].to_dict()["end_on"] == "2026-03-25"


async def test_upcoming_renewals_window_edges_are_inclusive(db: Database) -> None:
    book = await seed(db)
    assert [r.name for r in await renewals(db, book.people["ann"], 15)] == ["Foxtrot"]
    assert await renewals(db, book.people["ann"], 14) == []


async def test_upcoming_renewals_include_today_and_exclude_yesterday(db: Database) -> None:
    owner, account = await lone_account(db)
    await add(db, account, make_contract, end_on=date(2026, 3, 9))
    await add(db, account, make_contract, end_on=date(2026, 3, 10))
    rows = await renewals(db, owner, 1)
    assert [(r.end_on, r.days_left) for r in rows] == [(date(2026, 3, 10), 0)]


async def test_upcoming_renewals_skip_churned_and_unreadable_accounts(db: Database) -> None:
    book = await seed(db)
    async with db.unit_of_work() as s:
        for name in ("Golf", "India"):
            await make_contract(
                s, account=await fetch_account(s, book.accounts[name]), end_on=date(2026, 3, 20)
            )
    assert [r.name for r in await renewals(db, book.people["ann"], 30)] == ["Foxtrot", "Bravo"]
    assert [r.name for r in await renewals(db, book.people["hal"], 30)] == [
        "India",
        "Foxtrot",
        "Bravo",
    ]


@pytest.mark.parametrize("days", [0, -5, 366])
async def test_upcoming_renewals_days_must_be_1_to_365(days: int) -> None:
    with pytest.raises(InvalidInput, match="1 to 365 days"):
        await upcoming_renewals(None, actor=ANN, days=days, now=NOW)  # type: ignore[arg-type]


async def test_days_counted_from_another_zones_today_name_that_zone(db: Database) -> None:
    book = await seed(db)
    async with db.unit_of_work() as s:
        ann = await fetch_user(s, book.people["ann"])
        ann.timezone = "Pacific/Auckland"  # Wednesday 11 March, 04:00 there at NOW
    for scope in ("team", "renewals", "at-risk"):
        hal_reads = await listing(db, book.people["hal"], scope)  # Tuesday 10 March, UTC
        zones = {row.name: row.owner_zone for row in hal_reads.items}
        assert zones.get("Bravo") == "Pacific/Auckland", scope
        assert all(zone is None for name, zone in zones.items() if name in ("Hotel", "India"))
    renewing = {row.name: row for row in (await listing(db, book.people["hal"], "renewals")).items}
    assert renewing["Bravo"].days_to_renewal == 19  # from Ann's Wednesday to Monday 30 March
    own = await listing(db, book.people["ann"], "mine")  # her own today: nothing to name
    assert own.items and all(row.owner_zone is None for row in own.items)
