"""CSV import on SQLite and PostgreSQL: every kind, upserts by natural key, all-or-nothing.

The sample files in tests/fixtures/csv describe a small book: teams Enterprise East (New
York), Mid-Market (Berlin) and Leadership; Ann (AM, East), Bob (AM, Mid-Market), Lea (lead,
East), Hana (head, no team); accounts Acme Corp and Initech (Ann) and Globex (Bob).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.services.imports import ImportRejected, ImportResult, import_csv
from storage.db import Database
from storage.models import (
    Account,
    AuditEntry,
    Contract,
    Deliverable,
    Meeting,
    MeetingKind,
    Role,
    SatisfactionSignal,
    Seniority,
    SignalKind,
    Stage,
    Team,
    Upsell,
    UpsellStatus,
    User,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "csv"
KINDS = ["teams", "users", "accounts", "contracts", "meetings", "upsells", "satisfaction"]
KINDS += ["deliverables"]
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 11, 8, 30, tzinfo=UTC)
MEETINGS_HEADER = "account,am_email,occurred_at,kind,recap_logged_at\n"
USERS_HEADER = "email,name,role,team,seniority,slack_user_id,teams_aad_object_id,timezone\n"
ACCOUNTS_HEADER = (
    "name,owner_email,exec_sponsor_email,stage,mrr,started_on,onboarding_completed_on,"
    "churned_on,churn_reason\n"
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def import_text(
    db: Database, kind: str, text: str, *, now: datetime = NOW, **kwargs: Any
) -> ImportResult:
    async with db.unit_of_work() as session:
        return await import_csv(
            session,
            kind=kind,
            stream=io.StringIO(text),
            source_name=f"{kind}.csv",
            now=now,
            **kwargs,
        )


def fixture(kind: str) -> str:
    return (FIXTURES / f"{kind}.csv").read_text(encoding="utf-8-sig")


async def import_book(db: Database, *, now: datetime = NOW) -> list[ImportResult]:
    return [await import_text(db, kind, fixture(kind), now=now) for kind in KINDS]


async def rejection(db: Database, kind: str, text: str) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        await import_text(db, kind, text)
    return [str(problem) for problem in caught.value.problems]


async def all_rows(db: Database, model: Any, *order: Any) -> list[Any]:
    async with db.read_only() as session:
        return list((await session.scalars(select(model).order_by(*order))).unique().all())


async def count(db: Database, model: Any) -> int:
    async with db.read_only() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_every_kind_imports_from_its_sample_file(db: Database) -> None:
    results = await import_book(db)
    assert [(r.kind, r.created, r.updated, r.unchanged) for r in results] == [
        ("teams", 3, 0, 0),
        ("users", 4, 0, 0),
        ("accounts", 3, 0, 0),
        ("contracts", 3, 0, 0),
        ("meetings", 3, 0, 0),
        ("upsells", 3, 0, 0),
        ("satisfaction", 3, 0, 0),
        ("deliverables", 2, 0, 0),
    ]

    teams = await all_rows(db, Team, Team.name)
    assert [(t.name, t.name_key, t.slack_channel_id, t.timezone) for t in teams] == [
        ("Enterprise East", "enterprise east", "C0EAST", "America/New_York"),
        ("Leadership", "leadership", None, "UTC"),
        ("Mid-Market", "mid-market", None, "Europe/Berlin"),
    ]
    east, _, mid = (t.id for t in teams)
    users = await all_rows(db, User, User.email)
    assert [(u.email, u.name, u.role, u.team_id, u.seniority) for u in users] == [
        ("ann.lee@example.com", "Ann Lee", Role.AM, east, Seniority.SENIOR),
        ("bob@example.com", "Bob Stone", Role.AM, mid, Seniority.JUNIOR),
        ("hana@example.com", "Hana Ito", Role.HEAD, None, None),
        ("lea@example.com", "Lea Park", Role.LEAD, east, None),
    ]
    assert [(u.slack_user_id, u.teams_aad_object_id, u.timezone) for u in users] == [
        ("U0ANN", None, None),
        (None, "2f1c6a0e-aad0-4b7e-9c1e-000000000001", "Europe/Berlin"),
        (None, None, "Asia/Tokyo"),
        (None, None, None),
    ]
    ann, bob, hana, _ = (u.id for u in users)

    accounts = await all_rows(db, Account, Account.name)
    assert [(a.name, a.owner_id, a.exec_sponsor_id, a.stage, a.mrr) for a in accounts] == [
        ("Acme Corp", ann, hana, Stage.GROWTH, Decimal("12000.50")),
        ("Globex", bob, None, Stage.ONBOARDING, Decimal(0)),
        ("Initech", ann, None, Stage.RENEWAL, Decimal(800)),
    ]
    assert [
        (a.started_on, a.onboarding_completed_on, a.churned_on, a.churn_reason) for a in accounts
    ] == [
        (date(2025, 1, 6), date(2025, 1, 14), None, None),
        (date(2026, 2, 23), None, None, None),
        (date(2024, 3, 1), date(2024, 3, 9), date(2026, 2, 28), "Budget cut, moved in-house"),
    ]
    assert {(a.stage_entered_at, a.created_at) for a in accounts} == {(NOW, NOW)}
    acme, globex, initech = (a.id for a in accounts)

    contracts = await all_rows(db, Contract, Contract.account_id, Contract.start_on)
    assert [(c.account_id, c.start_on, c.end_on, c.value, c.auto_renew) for c in contracts] == [
        (acme, date(2025, 1, 6), date(2026, 1, 5), Decimal(144000), True),
        (acme, date(2026, 1, 6), date(2027, 1, 5), Decimal(150000), True),
        (globex, date(2026, 2, 23), date(2027, 2, 22), Decimal(0), False),
    ]
    meetings = await all_rows(db, Meeting, Meeting.occurred_at)
    assert [
        (m.account_id, m.am_id, m.occurred_at, m.kind, m.recap_logged_at) for m in meetings
    ] == [
        (globex, bob, utc(2026, 2, 24, 9), MeetingKind.KICKOFF, utc(2026, 2, 24, 11)),
        (acme, ann, utc(2026, 3, 2, 14), MeetingKind.QBR, utc(2026, 3, 2, 16, 30)),
        (acme, ann, utc(2026, 3, 9, 9), MeetingKind.SYNC, None),
    ]
    upsells = await all_rows(db, Upsell, Upsell.pitched_on)
    assert [(u.account_id, u.pitched_on, u.service, u.value) for u in upsells] == [
        (initech, date(2025, 11, 3), "Premium support", Decimal(1200)),
        (acme, date(2026, 1, 15), "Premium support", Decimal(2400)),
        (acme, date(2026, 2, 20), "Training", Decimal("900.50")),
    ]
    assert [(u.status, u.closed_on) for u in upsells] == [
        (UpsellStatus.LOST, date(2025, 12, 1)),
        (UpsellStatus.WON, date(2026, 2, 1)),
        (UpsellStatus.OPEN, None),
    ]
    signals = await all_rows(db, SatisfactionSignal, SatisfactionSignal.id)
    assert [(s.account_id, s.kind, s.score, s.recorded_on) for s in signals] == [
        (acme, SignalKind.NPS, Decimal(9), date(2026, 1, 31)),
        (acme, SignalKind.CSAT, Decimal("4.5"), date(2026, 1, 31)),
        (globex, SignalKind.CASE_STUDY, None, date(2026, 3, 1)),
    ]
    deliverables = await all_rows(db, Deliverable, Deliverable.due_on)
    assert [(d.account_id, d.title, d.due_on, d.delivered_on) for d in deliverables] == [
        (acme, "Q1 business review deck", date(2026, 3, 1), date(2026, 2, 27)),
        (globex, "Onboarding plan", date(2026, 3, 2), None),
    ]
    assert {m.created_at for m in meetings} == {NOW}


async def test_each_import_writes_one_audit_entry_with_file_and_counts(db: Database) -> None:
    await import_text(db, "teams", fixture("teams"))
    await import_text(db, "teams", fixture("teams") + "Support,,UTC\n", now=LATER)
    entries = await all_rows(db, AuditEntry, AuditEntry.id)
    assert [
        (e.actor_id, e.action, e.subject_type, e.subject_id, e.source, e.at) for e in entries
    ] == [
        (None, "import", "teams", None, "import", NOW),
        (None, "import", "teams", None, "import", LATER),
    ]
    assert [e.details for e in entries] == [
        {"file": "teams.csv", "created": 3, "updated": 0, "unchanged": 0},
        {"file": "teams.csv", "created": 1, "updated": 0, "unchanged": 3},
    ]


async def test_identical_reimport_reports_everything_unchanged_and_touches_no_row(
    db: Database,
) -> None:
    await import_book(db)
    again = await import_book(db, now=LATER)
    assert [(r.created, r.updated, r.unchanged) for r in again] == [
        (0, 0, 3),
        (0, 0, 4),
        (0, 0, 3),
        (0, 0, 3),
        (0, 0, 3),
        (0, 0, 3),
        (0, 0, 3),
        (0, 0, 2),
    ]
    accounts = await all_rows(db, Account, Account.name)
    assert {a.stage_entered_at for a in accounts} == {NOW}
    assert {a.created_at for a in accounts} == {NOW}


async def test_reimport_updates_by_natural_key_and_keeps_columns_the_csv_lacks(
    db: Database,
) -> None:
    await import_book(db)
    async with db.unit_of_work() as session:
        await session.execute(
            update(Meeting)
            .where(Meeting.occurred_at == utc(2026, 3, 2, 14))
            .values(recap="Renewal risk: budget review in April.", next_steps="Send ROI deck")
        )
    before = {m.occurred_at: m.id for m in await all_rows(db, Meeting, Meeting.id)}
    # Same meeting written with another offset; its kind and recap time change.
    changed = (
        MEETINGS_HEADER + "ACME CORP,Ann.Lee@Example.com,2026-03-02T09:00:00-05:00,review,"
        "2026-03-02T18:00:00+01:00\n"
    )
    result = await import_text(db, "meetings", changed, now=LATER)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    meetings = {m.occurred_at: m for m in await all_rows(db, Meeting, Meeting.id)}
    assert {at: m.id for at, m in meetings.items()} == before
    edited = meetings[utc(2026, 3, 2, 14)]
    assert (edited.kind, edited.recap_logged_at) == (MeetingKind.REVIEW, utc(2026, 3, 2, 17))
    assert (edited.recap, edited.next_steps) == (
        "Renewal risk: budget review in April.",
        "Send ROI deck",
    )
    untouched = meetings[utc(2026, 2, 24, 9)]
    assert (untouched.kind, untouched.recap_logged_at) == (
        MeetingKind.KICKOFF,
        utc(2026, 2, 24, 11),
    )


async def test_stage_entered_at_moves_to_import_time_only_when_the_stage_changes(
    db: Database,
) -> None:
    await import_book(db)
    moved = fixture("accounts").replace(
        "Globex,BOB@example.com,,Onboarding,,", "Globex,BOB@example.com,,adaptation,,"
    )
    moved = moved.replace(
        "Acme Corp,ann.lee@example.com,hana@example.com,growth,12000.50",
        "Acme Corp,ann.lee@example.com,hana@example.com,growth,13000",
    )
    result = await import_text(db, "accounts", moved, now=LATER)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    accounts = {a.name: a for a in await all_rows(db, Account, Account.name)}
    assert (accounts["Globex"].stage, accounts["Globex"].stage_entered_at) == (
        Stage.ADAPTATION,
        LATER,
    )
    assert (accounts["Acme Corp"].mrr, accounts["Acme Corp"].stage_entered_at) == (
        Decimal(13000),
        NOW,
    )
    assert accounts["Initech"].stage_entered_at == NOW


async def test_stage_entered_on_is_that_day_in_the_owners_zone_and_wins_over_the_import_day(
    db: Database,
) -> None:
    await import_book(db)
    header = "name,owner_email,stage,started_on,stage_entered_on\n"
    given = header + (
        "Acme Corp,ann.lee@example.com,growth,2025-01-06,2025-11-03\n"
        "Globex,bob@example.com,adaptation,2026-02-23,2026-03-09\n"
        "Hooli,bob@example.com,growth,2025-06-01,2025-09-15\n"
    )
    first = await import_text(db, "accounts", given, now=LATER)
    assert (first.created, first.updated, first.warnings) == (1, 2, ())
    entered = {a.name: a.stage_entered_at for a in await all_rows(db, Account, Account.name)}
    assert entered == {
        "Acme Corp": utc(2025, 11, 3, 5),  # New York, standard time
        "Globex": utc(2026, 3, 8, 23),  # Berlin
        "Hooli": utc(2025, 9, 14, 22),  # Berlin, summer time
        "Initech": NOW,
    }
    again = await import_text(db, "accounts", given, now=LATER)
    assert (again.updated, again.unchanged) == (0, 3)
    # The same day as stored keeps the stored moment: imported at noon, it stays noon.
    same_day = header + "Initech,ann.lee@example.com,renewal,2024-03-01,2026-03-10\n"
    assert (await import_text(db, "accounts", same_day, now=LATER)).unchanged == 1
    # Without the day, a changed stage starts now; with it, the day wins whatever the stage.
    moved = header + (
        "Acme Corp,ann.lee@example.com,renewal,2025-01-06,\n"
        "Globex,bob@example.com,adaptation,2026-02-23,2026-03-01\n"
    )
    assert (await import_text(db, "accounts", moved, now=LATER)).updated == 2
    entered = {a.name: a.stage_entered_at for a in await all_rows(db, Account, Account.name)}
    assert (entered["Acme Corp"], entered["Globex"]) == (LATER, utc(2026, 2, 28, 23))


async def test_days_after_the_owners_today_are_refused(db: Database) -> None:
    await import_book(db)
    header = "name,owner_email,stage,started_on,stage_entered_on,known_since\n"
    # NOW is 2026-03-10 12:00 UTC: already the 10th in Tokyo and Berlin, still the 10th in NY.
    rows = (
        "Acme Corp,ann.lee@example.com,growth,2025-01-06,2026-03-11,\n"
        "Globex,bob@example.com,growth,2026-02-23,2026-03-10,2026-03-11\n"
    )
    assert await rejection(db, "accounts", header + rows) == [
        "line 2: stage_entered_on: 2026-03-11 is after today (2026-03-10 in America/New_York, "
        "the owner's zone)",
        "line 3: known_since: 2026-03-11 is after today (2026-03-10 in Europe/Berlin, the "
        "owner's zone)",
    ]


async def test_new_accounts_without_their_stage_day_are_counted_in_a_warning(
    db: Database,
) -> None:
    for kind in KINDS[:2]:
        await import_text(db, kind, fixture(kind))
    header = "name,owner_email,stage,started_on,stage_entered_on\n"
    rows = (
        "Acme Corp,ann.lee@example.com,growth,2025-01-06,2025-11-03\n"
        "Globex,bob@example.com,onboarding,2026-02-23,\n"
    )
    result = await import_text(db, "accounts", header + rows)
    assert result.warnings == (
        "1 new account got the import day as the day it entered its stage, so days in stage and "
        "playbook steps count from today. If they were already mid-stage, add a "
        "stage_entered_on column (YYYY-MM-DD, the day each entered its current stage) and "
        "import the file again.",
    )
    # Known since the owner's day of the import, unless the file says otherwise.
    known = await import_text(
        db,
        "accounts",
        "name,owner_email,stage,started_on,known_since\n"
        "Initech,ann.lee@example.com,renewal,2024-03-01,\n"
        "Hooli,hana@example.com,growth,2025-03-01,2025-06-01\n",
        now=utc(2026, 3, 10, 23),  # the 11th in Tokyo, where Hana is
    )
    assert known.created == 2
    since = {a.name: a.known_since for a in await all_rows(db, Account, Account.name)}
    assert since == {
        "Acme Corp": date(2026, 3, 10),
        "Globex": date(2026, 3, 10),
        "Hooli": date(2025, 6, 1),
        "Initech": None,
    }
    await import_text(db, "accounts", header + rows.replace("growth", "renewal"), now=LATER)
    assert (await all_rows(db, Account, Account.name))[0].known_since == date(2026, 3, 10)


async def test_meeting_times_without_an_offset_are_the_ams_wall_clock(db: Database) -> None:
    for kind in KINDS[:3]:
        await import_text(db, kind, fixture(kind))
    meetings = MEETINGS_HEADER + (
        "Acme Corp,ann.lee@example.com,2026-03-02 15:00,,2026-03-02 17:30\n"
        "Globex,bob@example.com,2026-03-02 15:00,,2026-03-02T14:30:00Z\n"
        "Globex,bob@example.com,2026-03-29 02:30,,\n"  # Berlin skips 02:00-03:00 that day
        "Acme Corp,ann.lee@example.com,2026-03-05T15:00:00Z,,\n"
    )
    result = await import_text(db, "meetings", meetings)
    assert result.warnings == (
        "3 meetings had times without a UTC offset: read as the wall-clock time of each "
        "meeting's AM (their time zone, else their team's).",
    )
    stored = await all_rows(db, Meeting, Meeting.occurred_at)
    assert [(m.occurred_at, m.recap_logged_at) for m in stored] == [
        (utc(2026, 3, 2, 14), utc(2026, 3, 2, 14, 30)),  # Bob, Berlin
        (utc(2026, 3, 2, 20), utc(2026, 3, 2, 22, 30)),  # Ann, New York
        (utc(2026, 3, 5, 15), None),
        (utc(2026, 3, 29, 1, 30), None),
    ]
    late = MEETINGS_HEADER + "Globex,bob@example.com,2026-03-06 10:00,,2026-03-06T09:30:00+01:00\n"
    assert await rejection(db, "meetings", late) == [
        "line 2: recap_logged_at: before occurred_at (a recap comes after the meeting)"
    ]


async def test_a_file_with_bad_rows_imports_nothing_and_lists_every_bad_row(db: Database) -> None:
    for kind in KINDS[:3]:
        await import_text(db, kind, fixture(kind))
    bad_meetings = MEETINGS_HEADER + (
        "Acme Corp,ann.lee@example.com,2026-03-02T15:00:00+01:00,qbr,\n"
        "Umbrella,ann.lee@example.com,2026-03-03T15:00:00+01:00,sync,\n"
        "Acme Corp,ann.lee@example.com,2026-03-04 25:00,sync,\n"
        f"Globex,bob@example.com,2026-03-05T10:00:00+01:00,{'x' * 61},\n"
        "Globex,bob@example.com,2026-03-06T10:00:00+01:00,sync,2026-03-06T09:00:00+01:00\n"
        "Globex,carl@example.com,yesterday,,\n"
        "Acme Corp,ann.lee@example.com,2026-03-02T14:00:00Z,sync,\n"
    )
    assert await rejection(db, "meetings", bad_meetings) == [
        'line 3: account: no account named "Umbrella" (import accounts first)',
        "line 4: occurred_at: not a date and time (expected e.g. 2026-03-02T15:00:00+01:00): "
        "'2026-03-04 25:00'",
        "line 5: kind: longer than 60 characters",
        "line 6: recap_logged_at: before occurred_at (a recap comes after the meeting)",
        'line 7: am_email: no user with email "carl@example.com" (import users first)',
        "line 7: occurred_at: not a date and time (expected e.g. 2026-03-02T15:00:00+01:00): "
        "'yesterday'",
        "line 8: duplicate of line 2 (same account, occurred_at)",
    ]
    bad_accounts = ACCOUNTS_HEADER + (
        "Umbrella,ann.lee@example.com,,growth,1000,2025-13-01,,,\n"
        'Hooli,ann.lee@example.com,,growth,"1,00,0",2025-01-01,,,\n'
        "Wayne,nobody@example.com,,,1000,,,,\n"
        "Stark,bob@example.com,,renewal,50,2025-06-01,,2025-05-01,\n"
    )
    assert await rejection(db, "accounts", bad_accounts) == [
        "line 2: started_on: not a date (expected YYYY-MM-DD): '2025-13-01'",
        "line 3: mrr: not a number: '1,00,0' (write e.g. 1200.50, 1,200.50 or 1.200,50)",
        'line 4: owner_email: no user with email "nobody@example.com" (import users first)',
        "line 4: stage: required, but empty",
        "line 4: started_on: required, but empty",
        "line 5: churned_on: 2025-05-01 is before started_on",
    ]
    assert await count(db, Meeting) == 0
    assert [a.name for a in await all_rows(db, Account, Account.name)] == [
        "Acme Corp",
        "Globex",
        "Initech",
    ]
    assert [e.subject_type for e in await all_rows(db, AuditEntry, AuditEntry.id)] == KINDS[:3]


async def test_meeting_kinds_are_the_teams_own_words_known_kinds_keep_their_spelling(
    db: Database,
) -> None:
    for kind in KINDS[:3]:
        await import_text(db, kind, fixture(kind))
    meetings = MEETINGS_HEADER + (
        "Acme Corp,ann.lee@example.com,2026-03-02T15:00:00+01:00,call,\n"
        "Acme Corp,ann.lee@example.com,2026-03-03T15:00:00+01:00,  Demo with the CFO ,\n"
        "Acme Corp,ann.lee@example.com,2026-03-04T15:00:00+01:00, QBR,\n"
        "Acme Corp,ann.lee@example.com,2026-03-05T15:00:00+01:00,Kickoff,\n"
        "Acme Corp,ann.lee@example.com,2026-03-06T15:00:00+01:00,,\n"
    )
    result = await import_text(db, "meetings", meetings)
    assert result.created == 5
    kinds = [m.kind for m in await all_rows(db, Meeting, Meeting.occurred_at)]
    assert kinds == ["call", "Demo with the CFO", "qbr", "kickoff", "sync"]
    assert kinds[2:4] == [MeetingKind.QBR, MeetingKind.KICKOFF]
    # The same labels in another case are the same values: an identical re-import.
    again = await import_text(db, "meetings", meetings.replace(" QBR", "qbr"), now=LATER)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    renamed = await import_text(db, "meetings", meetings.replace(",call,", ",Call,"), now=LATER)
    assert (renamed.updated, renamed.unchanged) == (1, 4)


async def test_other_kinds_check_their_own_rules(db: Database) -> None:
    for kind in KINDS[:3]:
        await import_text(db, kind, fixture(kind))
    assert await rejection(
        db,
        "contracts",
        "account,start_on,end_on,value,auto_renew\nAcme Corp,2026-01-06,2025-01-05,-5,maybe\n",
    ) == [
        "line 2: end_on: 2025-01-05 is before start_on",
        "line 2: value: must not be negative: '-5'",
        "line 2: auto_renew: not a yes/no value (expected true/false, yes/no or 1/0): 'maybe'",
    ]
    assert await rejection(
        db,
        "satisfaction",
        "account,kind,score,recorded_on\n"
        "Acme Corp,nps,11,2026-01-31\n"
        "Acme Corp,nps,-1,2026-02-28\n"
        "Acme Corp,csat,4.555,2026-01-31\n",
    ) == [
        "line 2: score: an nps score is from 0 to 10, not 11",
        "line 3: score: an nps score is from 0 to 10, not -1",
        "line 4: score: at most 2 decimal places: '4.555'",
    ]
    assert await rejection(
        db,
        "upsells",
        "account,pitched_on,service,value,status,closed_on\n"
        "Acme Corp,2026-01-15,Training,100,won,\n"
        "Acme Corp,2026-01-16,Training,100,open,2026-02-01\n"
        "Acme Corp,2026-01-17,,100,lost,2026-01-10\n",
    ) == [
        "line 2: closed_on: required when status is won",
        "line 3: closed_on: must be empty while status is open",
        "line 4: service: required, but empty",
        "line 4: closed_on: 2026-01-10 is before pitched_on",
    ]


async def test_time_zones_are_stored_by_their_iana_name_however_the_sheet_names_them(
    db: Database,
) -> None:
    await import_text(
        db, "teams", "name,slack_channel_id,timezone\nAPAC,,Singapore Standard Time\n"
    )
    await import_text(
        db,
        "users",
        USERS_HEADER + "ann@example.com,Ann,am,APAC,,,,auckland\nbo@example.com,Bo,am,APAC,,,,\n",
    )
    async with db.read_only() as session:
        team_zone = await session.scalar(select(Team.timezone))
        zones = dict((await session.execute(select(User.email, User.timezone))).all())
    assert team_zone == "Asia/Singapore"
    assert zones == {"ann@example.com": "Pacific/Auckland", "bo@example.com": None}


async def test_users_need_a_known_team_unless_head_or_ops_and_unique_chat_ids(
    db: Database,
) -> None:
    await import_text(db, "teams", fixture("teams"))
    await import_text(db, "users", fixture("users"))
    rows = (
        "new@example.com,New Person,am,,,,,\n"
        "ops@example.com,Olga,ops,,,,,Mars/Olympus\n"
        "x@example.com,X,lead,Support,,U0ANN,,\n"
        "y@example.com,Y,am,Leadership,middle,U0Y,,\n"
        "z@example.com,Z,am,Leadership,middle,U0Y,,\n"
        "not-an-email,W,owner,Leadership,,,,\n"
    )
    assert await rejection(db, "users", USERS_HEADER + rows) == [
        "line 2: team: required for role am (only head and ops may have no team)",
        "line 3: timezone: unknown timezone 'Mars/Olympus' (expected an IANA name like "
        "Europe/Berlin, or a city like Berlin)",
        'line 4: team: no team named "Support" (import teams first)',
        'line 4: slack_user_id: "U0ANN" already belongs to ann.lee@example.com',
        'line 6: slack_user_id: "U0Y" is also on line 5',
        "line 7: email: not an email address: 'not-an-email'",
        "line 7: role: unknown value 'owner' (expected one of: am, lead, head, ops)",
    ]
    assert await count(db, User) == 4


async def test_a_header_without_a_required_column_imports_nothing(db: Database) -> None:
    problems = await rejection(db, "teams", "Squad Name,Time Zone,channel\nAlpha,UTC,C1\n")
    assert problems == [
        "line 1: header: missing 'name'. Not recognised: 'Squad Name', 'channel'. "
        "The columns are: name, slack_channel_id, timezone (required: name), in any order and "
        "case"
    ]
    assert await rejection(db, "teams", "") == [
        "line 1: the file is empty; the first line must be the header: name, slack_channel_id, "
        "timezone (required: name)"
    ]
    assert await count(db, Team) == 0


async def test_columns_a_file_leaves_out_keep_their_values_and_extra_ones_are_named(
    db: Database,
) -> None:
    await import_book(db)
    # A CRM export: other headers, other columns, no exec sponsor, mrr or churn columns.
    crm = (
        "Account ID;Name;Owner Email;Stage;Started-On;Health Score\r\n"
        "0017;Acme Corp;ann.lee@example.com;Growth;2025-01-06;82\r\n"
        "0018;Hooli;bob@example.com;onboarding;2026-03-01;\r\n"
    )
    result = await import_text(db, "accounts", crm, now=LATER)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    assert result.warnings[0] == (
        "Ignored columns 'Account ID', 'Health Score': not in the accounts format."
    )
    accounts = {a.name: a for a in await all_rows(db, Account, Account.name)}
    acme, hooli = accounts["Acme Corp"], accounts["Hooli"]
    assert (acme.mrr, acme.exec_sponsor_id is not None) == (Decimal("12000.50"), True)
    assert (hooli.mrr, hooli.exec_sponsor_id, hooli.churn_reason) == (Decimal(0), None, None)
    users = await import_text(
        db, "users", "email,name,role,team\nbob@example.com,Bob,am,mid-market\n"
    )
    assert (users.updated, users.warnings) == (1, ())
    [bob] = [u for u in await all_rows(db, User, User.email) if u.email == "bob@example.com"]
    assert (bob.name, bob.timezone, bob.teams_aad_object_id) == (
        "Bob",
        "Europe/Berlin",
        "2f1c6a0e-aad0-4b7e-9c1e-000000000001",
    )


async def test_byte_order_mark_any_header_case_and_column_order_are_accepted(
    db: Database,
) -> None:
    result = await import_text(
        db, "teams", "\ufeffTimezone , NAME,slack_channel_id\r\n Asia/Tokyo ,  Tokyo Crew ,\r\n"
    )
    assert result.created == 1
    [team] = await all_rows(db, Team, Team.id)
    assert (team.name, team.timezone, team.slack_channel_id) == ("Tokyo Crew", "Asia/Tokyo", None)


async def test_references_enums_and_booleans_match_case_insensitively(db: Database) -> None:
    for kind in KINDS[:3]:
        await import_text(db, kind, fixture(kind))
    result = await import_text(
        db,
        "contracts",
        "account,start_on,end_on,value,auto_renew\nINITECH,2024-03-01,2025-02-28,9600,No\n",
    )
    assert result.created == 1
    [contract] = await all_rows(db, Contract, Contract.id)
    assert (contract.value, contract.auto_renew) == (Decimal(9600), False)
    # Re-importing a team under another spelling updates its name, not a second team.
    renamed = await import_text(
        db, "teams", "name,slack_channel_id,timezone\nMID-MARKET,,Europe/Berlin\n"
    )
    assert (renamed.created, renamed.updated) == (0, 1)
    assert [t.name for t in await all_rows(db, Team, Team.name)] == [
        "Enterprise East",
        "Leadership",
        "MID-MARKET",
    ]


async def test_progress_is_reported_after_each_batch_of_written_rows(db: Database) -> None:
    await import_text(db, "teams", "name,slack_channel_id,timezone\nEast,,\n")
    await import_text(
        db,
        "users",
        USERS_HEADER + "ann@example.com,Ann,am,East,,,,\n",
    )
    await import_text(
        db, "accounts", ACCOUNTS_HEADER + "Acme,ann@example.com,,growth,,2025-01-01,,,\n"
    )
    header = "account,title,due_on,delivered_on\n"
    rows = "".join(f"Acme,Report {n},2026-01-01,\n" for n in range(2500))
    calls: list[tuple[str, int, int]] = []
    await import_text(db, "deliverables", header + rows, progress=lambda *c: calls.append(c))
    assert calls == [
        ("checking", 1000, 2500),
        ("checking", 2000, 2500),
        ("writing", 1000, 2500),
        ("writing", 2000, 2500),
        ("writing", 2500, 2500),
    ]
    calls.clear()
    changed = rows.replace("Report 7,2026-01-01,", "Report 7,2026-01-01,2026-01-02")
    result = await import_text(
        db, "deliverables", header + changed, progress=lambda *c: calls.append(c)
    )
    assert (result.updated, result.unchanged, calls[-1]) == (1, 2499, ("writing", 2500, 2500))
