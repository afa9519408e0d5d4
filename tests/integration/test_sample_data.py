"""seed_demo_book: the generated book is deterministic, complete and shows every edge.

The book is seeded as of Wednesday 2026-03-11 14:30 UTC: it is the 11th in all three team
timezones (London 14:30, New York 10:30, Singapore 22:30), so "today" is 2026-03-11 for all.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.accounts import add_years
from bot.demo.book import DemoBook, seed_demo_book
from bot.playbooks import load_playbooks
from bot.services.nudges import NudgeRules, pending_nudges
from storage.db import Database
from storage.models import (
    Account,
    Contract,
    Deliverable,
    Meeting,
    Objection,
    ObjectionStep,
    Role,
    SatisfactionSignal,
    Seniority,
    Stage,
    StepCompletion,
    Team,
    Upsell,
    User,
)
from tests.support.templates import SqliteTemplate

NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)
TODAY = date(2026, 3, 11)


async def _seed(db: Database, *, seed: int = 7, scale: int = 1, now: datetime = NOW) -> DemoBook:
    async with db.unit_of_work() as session:
        return await seed_demo_book(session, now=now, seed=seed, scale=scale)


async def _snapshot(db: Database) -> dict[str, Any]:
    """Everything that should repeat for a seed, keyed by names rather than ids."""
    async with db.read_only() as session:
        users = (
            await session.execute(
                select(User.email, User.name, User.role, User.seniority, Team.name)
                .outerjoin(Team, Team.id == User.team_id)
                .order_by(User.email)
            )
        ).all()
        accounts = (
            await session.execute(
                select(
                    Account.name,
                    Account.stage,
                    Account.mrr,
                    Account.started_on,
                    Account.stage_entered_at,
                    Account.churned_on,
                    User.email,
                )
                .join(User, User.id == Account.owner_id)
                .order_by(Account.name_key)
            )
        ).all()
        meetings = (
            await session.execute(
                select(Account.name, Meeting.occurred_at, Meeting.kind, Meeting.recap_logged_at)
                .join(Account, Account.id == Meeting.account_id)
                .order_by(Account.name_key, Meeting.occurred_at)
            )
        ).all()
        counts = {
            model.__name__: await session.scalar(select(func.count()).select_from(model))
            for model in (Contract, Upsell, SatisfactionSignal, Deliverable, StepCompletion)
        }
    return {"users": users, "accounts": accounts, "meetings": meetings, "counts": counts}


def _second_sqlite(template: SqliteTemplate, tmp_path: Path, name: str) -> Database:
    return Database(template.copy(tmp_path / f"{name}.db"))


async def test_same_seed_and_now_give_the_same_book(
    sqlite_db: Database, sqlite_template: SqliteTemplate, tmp_path: Path
) -> None:
    other = _second_sqlite(sqlite_template, tmp_path, "again")
    try:
        first, second = await _seed(sqlite_db), await _seed(other)
        assert first == second
        assert await _snapshot(sqlite_db) == await _snapshot(other)
    finally:
        await other.dispose()


async def test_another_seed_gives_another_book(
    sqlite_db: Database, sqlite_template: SqliteTemplate, tmp_path: Path
) -> None:
    other = _second_sqlite(sqlite_template, tmp_path, "seed8")
    try:
        await _seed(sqlite_db, seed=7)
        await _seed(other, seed=8)
        seven, eight = await _snapshot(sqlite_db), await _snapshot(other)
        assert seven["accounts"] != eight["accounts"]
        assert seven["users"] != eight["users"]
    finally:
        await other.dispose()


async def test_book_has_every_stage_role_seniority_and_three_timezones(db: Database) -> None:
    book = await _seed(db)
    async with db.read_only() as session:
        teams = (
            await session.execute(select(Team.name, Team.timezone, Team.slack_channel_id))
        ).all()
        stages = Counter(
            (await session.scalars(select(Account.stage).where(Account.churned_on.is_(None)))).all()
        )
        churned = (
            await session.scalars(select(Account).where(Account.churned_on.is_not(None)))
        ).all()
        users = (await session.scalars(select(User))).all()
    assert sorted(teams) == [
        ("Atlas", "Europe/London", "C0DEMO001"),
        ("Beacon", "America/New_York", "C0DEMO002"),
        ("Compass", "Asia/Singapore", "C0DEMO003"),
    ]
    assert set(stages) == set(Stage)
    assert len(churned) >= 3 and all(account.churn_reason for account in churned)
    assert {user.role for user in users} == set(Role)
    assert {user.seniority for user in users if user.role is Role.AM} == set(Seniority)
    assert [u.team_id for u in users if u.role in (Role.HEAD, Role.OPS)] == [None, None]
    assert all(u.email.endswith("@example.com") and u.slack_user_id for u in users)
    assert book.accounts == sum(stages.values()) + len(churned)
    assert book.accounts_by_stage == {stage.value: stages[stage] for stage in Stage}


async def test_book_has_the_edges_nudges_and_renewals_show(db: Database) -> None:
    await _seed(db)
    async with db.read_only() as session:
        live = Account.churned_on.is_(None)
        missed = await session.scalar(
            select(func.count())
            .select_from(Meeting)
            .join(Account, Account.id == Meeting.account_id)
            .where(
                live,
                Meeting.recap_logged_at.is_(None),
                Meeting.occurred_at >= NOW - timedelta(days=14),
                Meeting.occurred_at <= NOW - timedelta(hours=24),
            )
        )
        renewing = (
            await session.scalars(
                select(Contract.end_on)
                .join(Account, Account.id == Contract.account_id)
                .where(live, Contract.end_on >= TODAY, Contract.end_on <= TODAY + timedelta(30))
            )
        ).all()
        late_onboarding = await session.scalar(
            select(func.count()).where(
                Account.stage == Stage.ONBOARDING,
                Account.onboarding_completed_on.is_(None),
                Account.started_on < TODAY - timedelta(days=8),
                live,
            )
        )
        nudges = await pending_nudges(
            session, as_of=NOW, rules=NudgeRules(), playbooks=load_playbooks()
        )
    assert missed is not None and missed >= 1
    assert {(end - TODAY).days for end in renewing} & {7, 14, 30}
    assert late_onboarding is not None and late_onboarding >= 3  # one per team at least
    kinds = Counter(nudge.kind for nudge in nudges)
    assert set(kinds) == {"missed_recap", "overdue_step", "onboarding_overdue", "renewal"}
    assert kinds["missed_recap"] >= 3 and kinds["overdue_step"] >= 3


async def test_account_names_are_unique_ignoring_case_and_need_escaping_once(db: Database) -> None:
    book = await _seed(db)
    async with db.read_only() as session:
        names = (await session.scalars(select(Account.name))).all()
        example = await session.scalar(select(Account).where(Account.name == book.escaping_example))
    assert len({name.casefold() for name in names}) == len(names) == book.accounts
    assert book.escaping_example == "Bits & Bytes <Labs>"
    assert example is not None and example.churned_on is None
    assert example.owner_id == book.am_id
    assert {"Acme Robotics", "Acme Foods", book.example_account} <= set(names)


async def _assert_dates_fit_stages(db: Database, now: datetime) -> None:
    """Stage rules of bot/sample_accounts.py, with "today" in the owner's team timezone."""
    async with db.read_only() as session:
        owned = (
            select(Account, Team.timezone)
            .join(User, User.id == Account.owner_id)
            .join(Team, Team.id == User.team_id)
        )
        accounts = (await session.execute(owned)).all()
        contracts = (await session.scalars(select(Contract))).all()
        meetings = (await session.scalars(select(Meeting))).all()
        ticks = (await session.execute(select(StepCompletion, Account).join(Account))).all()
    churned = {account.id for account, _ in accounts if account.churned_on is not None}
    last_end: dict[int, date] = {}
    for contract in contracts:
        twelve_months = add_years(contract.start_on, 1) - timedelta(days=1)
        if contract.account_id in churned:
            assert contract.start_on <= contract.end_on <= twelve_months
        else:
            assert contract.end_on == twelve_months
        previous = last_end.get(contract.account_id, date.min)
        last_end[contract.account_id] = max(previous, contract.end_on)
    for account, timezone in accounts:
        zone = ZoneInfo(timezone)
        today = now.astimezone(zone).date()
        tenure = (today - account.started_on).days
        assert 1_500 <= account.mrr <= 40_000
        assert account.stage_entered_at <= now
        assert account.stage_entered_at.astimezone(zone).date() >= account.started_on
        if account.churned_on is not None:
            assert 3 <= (today - account.churned_on).days <= 100
        elif account.stage is Stage.ONBOARDING:
            assert 0 <= tenure <= 10 and account.onboarding_completed_on is None
        elif account.stage is Stage.ADAPTATION:
            assert 30 <= tenure <= 90 and account.onboarding_completed_on is not None
        elif account.stage is Stage.GROWTH:
            assert 90 <= tenure <= 540 and (last_end[account.id] - today).days > 90
        else:
            assert 0 <= (last_end[account.id] - today).days <= 90
    for meeting in meetings:
        assert now - timedelta(weeks=11) <= meeting.occurred_at < now
        if meeting.recap_logged_at is not None:
            assert meeting.occurred_at < meeting.recap_logged_at <= now and meeting.recap
    for tick, account in ticks:
        assert tick.playbook == account.stage.value
        assert account.stage_entered_at <= tick.completed_at <= now


async def test_dates_fit_each_stage_and_nothing_lies_in_the_future(db: Database) -> None:
    await _seed(db)
    await _assert_dates_fit_stages(db, NOW)


async def test_dates_fit_when_the_teams_are_on_different_days(sqlite_db: Database) -> None:
    # Sunday 23:50 UTC: Monday 07:50 in Singapore, Sunday 19:50 in New York.
    late = datetime(2026, 3, 15, 23, 50, tzinfo=UTC)
    await _seed(sqlite_db, now=late)
    await _assert_dates_fit_stages(sqlite_db, late)


async def test_counts_in_the_book_match_the_rows(sqlite_db: Database) -> None:
    book = await _seed(sqlite_db)

    async def count(session: AsyncSession, model: Any) -> int | None:
        return await session.scalar(select(func.count()).select_from(model))

    async with sqlite_db.read_only() as session:
        assert book.teams == await count(session, Team) == 3
        assert book.users == await count(session, User) == 2 + 3 * 6
        assert book.accounts == await count(session, Account)
        assert book.meetings == await count(session, Meeting)
        assert book.contracts == await count(session, Contract)
        assert book.upsells == await count(session, Upsell)
        assert book.satisfaction_signals == await count(session, SatisfactionSignal)
        assert book.deliverables == await count(session, Deliverable)
        assert book.step_completions == await count(session, StepCompletion)
        assert book.objections == await count(session, Objection) == 5
        # three open ones walked to "clarify", one escalated and one resolved (five steps each)
        # open: classify, validate, clarify; escalated: + ask, escalate; resolved: + resolve
        assert await count(session, ObjectionStep) == 3 * 3 + 5 + 6
        lead = await session.get(User, book.lead_id)
    assert lead is not None and lead.role is Role.LEAD and lead.email == book.lead_email
    assert book.to_dict()["team_names"] == ["Atlas", "Beacon", "Compass"]


async def test_scale_adds_teams_of_the_same_size(sqlite_db: Database) -> None:
    book = await _seed(sqlite_db, scale=2)
    async with sqlite_db.read_only() as session:
        sizes = (
            await session.execute(
                select(Team.name, func.count(User.id)).join(User).group_by(Team.name)
            )
        ).all()
    assert book.teams == 6 and len(book.team_names) == 6
    assert {size for _, size in sizes} == {6}


async def test_naive_now_is_refused(sqlite_db: Database) -> None:
    async with sqlite_db.unit_of_work() as session:
        with pytest.raises(ValueError, match="timezone-aware"):
            await seed_demo_book(session, now=datetime(2026, 3, 11, 14, 30))
