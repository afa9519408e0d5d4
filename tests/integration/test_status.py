"""account_status: `/account status` and its JSON, on SQLite and PostgreSQL.

It is Tuesday 2026-03-10 15:00 UTC, 11:00 in New York (EDT), where the owner's team works.
Recap rule: grace 24 h, look-back 14 days, so meetings from 2026-02-24 15:00 UTC to
2026-03-09 15:00 UTC (both included) without a recap logged by now are missed recaps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.services.status import AccountStatus, account_status
from bot.services.step_ticks import tick_step
from storage.db import Database
from storage.models import MeetingKind, ObjectionStatus, Role, Stage
from tests.integration.account_builders import LIBRARY, fetch_account, fetch_user
from tests.integration.builders import (
    make_account,
    make_contract,
    make_meeting,
    make_objection,
    make_step_completion,
    make_team,
    make_user,
)

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
NY = "America/New_York"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


async def simple_account(db: Database, *, timezone: str = NY, **kwargs: object) -> int:
    async with db.unit_of_work() as session:
        team = await make_team(session, timezone=timezone)
        owner = await make_user(session, team=team, name="Ann", email="ann@x.io")
        account = await make_account(session, owner=owner, name="Acme Robotics", **kwargs)  # type: ignore[arg-type]
    return account.id


async def status_of(
    db: Database, account_id: int, now: datetime = NOW, **kwargs: int
) -> AccountStatus:
    async with db.read_only() as session:
        account = await fetch_account(session, account_id)
        return await account_status(session, account=account, playbooks=LIBRARY, now=now, **kwargs)


async def add_meetings(db: Database, account_id: int, *meetings: dict[str, object]) -> None:
    async with db.unit_of_work() as session:
        account = await fetch_account(session, account_id)
        for meeting in meetings:
            await make_meeting(session, account=account, **meeting)  # type: ignore[arg-type]


async def test_status_json_of_a_hand_built_account(db: Database) -> None:
    async with db.unit_of_work() as session:
        team = await make_team(session, timezone=NY)
        ann = await make_user(session, team=team, name="Ann", email="ann@x.io")
        hal = await make_user(session, name="Hal", email="hal@x.io", role=Role.HEAD)
        acme = await make_account(
            session,
            owner=ann,
            exec_sponsor=hal,
            name="Acme Robotics",
            mrr="1234.50",
            stage=Stage.ONBOARDING,
            stage_entered_at=utc(2026, 3, 6, 14, 0),  # 09:00 EST on 2026-03-06
        )
        await make_contract(session, account=acme, end_on=date(2026, 3, 1))
        await make_contract(session, account=acme, end_on=date(2026, 6, 30), auto_renew=True)
        await make_contract(session, account=acme, end_on=date(2027, 6, 30))
        await make_step_completion(
            session, account=acme, step_id="kickoff", completed_at=utc(2026, 3, 7, 10, 0)
        )
        # Ticked before the account (re-)entered onboarding: does not count.
        await make_step_completion(
            session, account=acme, step_id="goals", completed_at=utc(2026, 3, 5, 10, 0)
        )
        for status in (ObjectionStatus.OPEN, ObjectionStatus.ESCALATED, ObjectionStatus.RESOLVED):
            await make_objection(session, account=acme, opened_at=utc(2026, 3, 8), status=status)
        await make_meeting(session, account=acme, occurred_at=utc(2026, 3, 2, 16, 0))
        await make_meeting(
            session,
            account=acme,
            occurred_at=utc(2026, 3, 9, 16, 0),
            kind=MeetingKind.REVIEW,
            recap_logged_at=utc(2026, 3, 9, 18, 0),
        )

    result = (await status_of(db, acme.id)).to_dict()

    assert list(result)[:10] == [
        "name",
        "stage",
        "owner_email",
        "exec_sponsor_email",
        "mrr",
        "renewal_on",
        "days_to_renewal",
        "playbook",
        "open_objections",
        "missed_recaps",
    ]
    assert result["name"] == "Acme Robotics"
    assert result["stage"] == "onboarding"
    assert result["owner_email"] == "ann@x.io"
    assert result["exec_sponsor_email"] == "hal@x.io"
    assert result["mrr"] == 1234.5
    # 2026-03-10 -> 2026-06-30: 21 + 30 + 31 + 30 days.
    assert result["renewal_on"] == "2026-06-30"
    assert result["days_to_renewal"] == 112
    assert result["playbook"] == {
        "stage": "onboarding",
        "done": 1,
        "total": 3,
        "steps": [
            {"id": "kickoff", "title": "Do kickoff", "done": True, "due_on": "2026-03-06"},
            {"id": "intro", "title": "Do intro", "done": False, "due_on": "2026-03-07"},
            {"id": "goals", "title": "Do goals", "done": False, "due_on": "2026-03-08"},
        ],
    }
    assert result["open_objections"] == 2
    assert result["missed_recaps"] == 1
    assert result["days_in_stage"] == 4
    assert result["auto_renew"] is True
    assert result["last_meeting"] == {
        "occurred_at": "2026-03-09T16:00:00+00:00",
        "kind": "review",
        "has_recap": True,
    }
    assert result["owner_name"] == "Ann"
    assert result["exec_sponsor_name"] == "Hal"
    assert result["churned_on"] is None


async def test_status_fields_are_typed_values(db: Database) -> None:
    account_id = await simple_account(db, mrr="99.99", started_on=date(2025, 5, 1))
    status = await status_of(db, account_id)
    assert status.mrr == Decimal("99.99")
    assert status.started_on == date(2025, 5, 1)
    assert status.owner_name == "Ann"
    assert status.exec_sponsor_name is None and status.exec_sponsor_email is None
    assert status.to_dict()["exec_sponsor_email"] is None


async def test_missed_recap_window_includes_both_edges_only(db: Database) -> None:
    account_id = await simple_account(db)
    await add_meetings(
        db,
        account_id,
        {"occurred_at": utc(2026, 2, 24, 14, 59)},  # 14 days and 1 minute ago: too old
        {"occurred_at": utc(2026, 2, 24, 15, 0)},  # exactly 14 days ago: counts
        {"occurred_at": utc(2026, 3, 9, 15, 0)},  # exactly 24 hours ago: counts
        {"occurred_at": utc(2026, 3, 9, 15, 1)},  # still within the grace period
    )
    assert (await status_of(db, account_id)).missed_recaps == 2


async def test_recap_logged_after_now_still_counts_as_missed_now(db: Database) -> None:
    account_id = await simple_account(db)
    await add_meetings(
        db,
        account_id,
        {"occurred_at": utc(2026, 3, 2, 10, 0), "recap_logged_at": utc(2026, 3, 10, 16, 0)},
        {"occurred_at": utc(2026, 3, 3, 10, 0), "recap_logged_at": utc(2026, 3, 10, 15, 0)},
    )
    assert (await status_of(db, account_id)).missed_recaps == 1


async def test_recap_settings_change_the_window(db: Database) -> None:
    account_id = await simple_account(db)
    await add_meetings(
        db,
        account_id,
        {"occurred_at": utc(2026, 3, 9, 10, 0)},  # 29 h ago
        {"occurred_at": utc(2026, 3, 4, 10, 0)},  # 6 days 5 h ago
    )
    assert (await status_of(db, account_id)).missed_recaps == 2
    narrow = await status_of(db, account_id, recap_grace_hours=48, recap_lookback_days=6)
    assert narrow.missed_recaps == 0


async def test_other_accounts_meetings_and_objections_do_not_count(db: Database) -> None:
    account_id = await simple_account(db)
    async with db.unit_of_work() as session:
        other = await make_account(session, owner=await make_user(session), name="Other")
        await make_meeting(session, account=other, occurred_at=utc(2026, 3, 5, 10, 0))
        await make_objection(session, account=other, opened_at=utc(2026, 3, 5))
    status = await status_of(db, account_id)
    assert (status.missed_recaps, status.open_objections, status.last_meeting) == (0, 0, None)


async def test_last_meeting_ignores_meetings_after_now(db: Database) -> None:
    account_id = await simple_account(db)
    await add_meetings(
        db,
        account_id,
        {"occurred_at": utc(2026, 3, 10, 14, 0), "kind": MeetingKind.QBR},
        {"occurred_at": utc(2026, 3, 10, 15, 30)},
    )
    last = (await status_of(db, account_id)).last_meeting
    assert last is not None
    assert (last.occurred_at, last.kind, last.has_recap) == (utc(2026, 3, 10, 14, 0), "qbr", False)


async def test_renewal_today_in_the_owners_timezone_is_zero_days_away(db: Database) -> None:
    # 2026-03-11 02:00 UTC is still 2026-03-10 in New York.
    account_id = await simple_account(db)
    async with db.unit_of_work() as session:
        account = await fetch_account(session, account_id)
        await make_contract(session, account=account, end_on=date(2026, 3, 9))
        await make_contract(session, account=account, end_on=date(2026, 3, 10))
    status = await status_of(db, account_id, now=utc(2026, 3, 11, 2, 0))
    assert (status.renewal_on, status.days_to_renewal) == (date(2026, 3, 10), 0)
    assert status.auto_renew is False


async def test_renewal_ending_yesterday_locally_is_not_upcoming(db: Database) -> None:
    account_id = await simple_account(db, timezone="Asia/Tokyo")
    async with db.unit_of_work() as session:
        account = await fetch_account(session, account_id)
        await make_contract(session, account=account, end_on=date(2026, 3, 10))
    # 2026-03-10 15:00 UTC is already 2026-03-11 00:00 in Tokyo.
    status = await status_of(db, account_id)
    assert (status.renewal_on, status.days_to_renewal, status.auto_renew) == (None, None, None)
    assert status.to_dict()["renewal_on"] is None


async def test_days_in_stage_counts_local_calendar_days(db: Database) -> None:
    # Entered 2026-03-10 03:00 UTC = 2026-03-09 23:00 in New York: one day ago there.
    account_id = await simple_account(db, stage_entered_at=utc(2026, 3, 10, 3, 0))
    assert (await status_of(db, account_id)).days_in_stage == 1


async def test_playbook_progress_after_ticks(db: Database) -> None:
    account_id = await simple_account(
        db, stage=Stage.ONBOARDING, stage_entered_at=utc(2026, 3, 9, 14, 0)
    )
    async with db.unit_of_work() as session:
        account = await fetch_account(session, account_id)
        ann = await fetch_user(session, account.owner_id)
        for step_id in ("goals", "intro"):
            await tick_step(
                session, account=account, step_id=step_id, actor=ann, now=NOW, playbooks=LIBRARY
            )
    progress = (await status_of(db, account_id)).playbook
    assert (progress.done, progress.total) == (2, 3)
    assert (progress.required_done, progress.required_total, progress.can_advance) == (1, 2, False)
    assert [(s.id, s.done, s.overdue) for s in progress.steps] == [
        ("kickoff", False, True),  # due 2026-03-09, before today
        ("intro", True, False),
        ("goals", True, False),
    ]
    assert progress.steps[2].done_by == "Ann" and progress.steps[2].done_at == NOW


async def test_churned_account_shows_its_churn_date(db: Database) -> None:
    account_id = await simple_account(db, churned_on=date(2026, 2, 1))
    status = await status_of(db, account_id)
    assert status.churned_on == date(2026, 2, 1)
    assert status.to_dict()["churned_on"] == "2026-02-01"
