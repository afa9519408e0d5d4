"""pending_nudges: which proactive DMs are due, on SQLite and PostgreSQL.

Every test looks at the book as of Tuesday 2026-03-10 12:00 UTC unless it says otherwise.
Accounts default to the adaptation stage, for which the small playbook library below has no
playbook, so they raise no step nudges unless a test puts them in growth on purpose.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import Playbook, PlaybookLibrary, PlaybookStep
from bot.services.nudges import Nudge, NudgeRules, pending_nudges
from storage.db import Database
from storage.models import Account, Contract, Meeting, NudgeItem, OutboxMessage, Stage, User
from tests.integration.builders import (
    make_account,
    make_contract,
    make_meeting,
    make_step_completion,
    make_team,
    make_user,
)

AS_OF = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
RULES = NudgeRules(
    recap_grace_hours=24,
    recap_lookback_days=14,
    renewal_windows=(90, 60, 30, 14, 7),
    onboarding_target_days=8,
)


def _step(step_id: str, offset: int, *, required: bool = True) -> PlaybookStep:
    return PlaybookStep(
        id=step_id,
        title=f"Do {step_id}",
        why="Because it matters.",
        owner_role="am",
        due_offset_days=offset,
        required=required,
    )


GROWTH = Playbook(
    stage="growth",
    name="Growth",
    summary="Grow the account.",
    objectives=["Grow."],
    steps=[_step("plan-qbr", 2), _step("send-survey", 3), _step("nice-to-have", 0, required=False)],
)
LIBRARY = PlaybookLibrary(playbooks={"growth": GROWTH}, talk_tracks={})


# --- builders: thin wrappers over tests/integration/builders.py with nudge-neutral defaults


async def add_user(session: AsyncSession, email: str, *, timezone: str | None = "UTC") -> User:
    """An AM in a team of their own with this timezone (no team at all when None)."""
    team = await make_team(session, timezone=timezone) if timezone is not None else None
    return await make_user(session, team=team, email=email)


async def add_account(
    session: AsyncSession,
    owner: User,
    name: str,
    *,
    started_on: date = date(2025, 1, 1),
    onboarding_completed_on: date | None = date(2025, 1, 5),
    churned_on: date | None = None,
    stage: Stage = Stage.ADAPTATION,
    stage_entered_at: datetime = datetime(2025, 2, 1, tzinfo=UTC),
) -> Account:
    """An account that raises no nudge unless the test changes one of these defaults."""
    return await make_account(
        session,
        owner=owner,
        name=name,
        started_on=started_on,
        onboarding_completed_on=onboarding_completed_on,
        churned_on=churned_on,
        stage=stage,
        stage_entered_at=stage_entered_at,
    )


async def add_contract(session: AsyncSession, account: Account, end_on: date) -> Contract:
    return await make_contract(session, account=account, end_on=end_on)


async def add_meeting(
    session: AsyncSession,
    account: Account,
    am: User,
    occurred_at: datetime,
    *,
    recap_logged_at: datetime | None = None,
) -> Meeting:
    return await make_meeting(
        session, account=account, am=am, occurred_at=occurred_at, recap_logged_at=recap_logged_at
    )


async def add_completion(
    session: AsyncSession, account: Account, step_id: str, at: datetime, playbook: str = "growth"
) -> None:
    await make_step_completion(
        session, account=account, step_id=step_id, completed_at=at, playbook=playbook
    )


async def add_sent(
    session: AsyncSession,
    user: User,
    key: str,
    *,
    snoozed_until: datetime | None = None,
    done: bool = False,
) -> None:
    """The person was sent this nudge (and maybe snoozed it, or marked it done)."""
    session.add(
        NudgeItem(
            user_id=user.id,
            item_key=key,
            kind=key.split(":", 1)[0],
            first_sent_at=AS_OF - timedelta(days=1),
            last_sent_at=AS_OF - timedelta(days=1),
            snoozed_until=snoozed_until,
            done_at=AS_OF if done else None,
        )
    )
    await session.flush()


async def nudges_as_of(
    db: Database, as_of: datetime = AS_OF, *, user_id: int | None = None
) -> list[Nudge]:
    async with db.read_only() as session:
        return await pending_nudges(
            session, as_of=as_of, rules=RULES, playbooks=LIBRARY, user_id=user_id
        )


def keys(nudges: list[Nudge]) -> list[str]:
    return [n.key for n in nudges]


# --- renewals ---------------------------------------------------------------------------


async def test_renewal_window_follows_days_left_at_each_edge(db: Database) -> None:
    async with db.unit_of_work() as s:
        owner = await add_user(s, "ana@example.com")
        acme = await add_account(s, owner, "Acme")
        contracts = {
            days: await add_contract(s, acme, TODAY + timedelta(days=days))
            for days in (-1, 0, 7, 8, 30, 90, 91)
        }
    found = {n.detail["days_left"]: n.window_days for n in await nudges_as_of(db)}
    assert found == {0: 7, 7: 7, 8: 14, 30: 30, 90: 90}
    renewal = next(n for n in await nudges_as_of(db) if n.detail["days_left"] == 8)
    assert renewal.key == f"renewal:contract:{contracts[8].id}:14"
    assert renewal.user_email == "ana@example.com"
    assert renewal.due_on == TODAY + timedelta(days=8)
    assert renewal.to_dict()["end_on"] == "2026-03-18"


async def test_already_sent_window_is_skipped_but_the_next_smaller_one_is_listed(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        owner = await add_user(s, "ana@example.com")
        contract = await add_contract(
            s, await add_account(s, owner, "Acme"), TODAY + timedelta(days=45)
        )
        await add_sent(s, owner, f"renewal:contract:{contract.id}:60")
    assert await nudges_as_of(db) == []
    fifteen_days_later = await nudges_as_of(db, AS_OF + timedelta(days=15))
    assert keys(fifteen_days_later) == [f"renewal:contract:{contract.id}:30"]


async def test_renewal_days_left_count_from_the_owners_team_date(db: Database) -> None:
    # 12:00 UTC on 10 March is 01:00 on 11 March in Auckland (UTC+13): 7 days left, not 8.
    async with db.unit_of_work() as s:
        owner = await add_user(s, "kiri@example.com", timezone="Pacific/Auckland")
        await add_contract(s, await add_account(s, owner, "Kauri"), date(2026, 3, 18))
    [renewal] = await nudges_as_of(db)
    assert (renewal.detail["days_left"], renewal.window_days) == (7, 7)


# --- missed recaps ----------------------------------------------------------------------


async def test_missed_recap_is_due_between_grace_and_lookback(db: Database) -> None:
    async with db.unit_of_work() as s:
        owner = await add_user(s, "owner@example.com")
        am = await add_user(s, "am@example.com")
        acme = await add_account(s, owner, "Acme")
        meetings = {
            label: await add_meeting(s, acme, am, AS_OF - ago)
            for label, ago in {
                "23h": timedelta(hours=23),
                "24h": timedelta(hours=24),
                "25h": timedelta(hours=25),
                "13d": timedelta(days=13),
                "15d": timedelta(days=15),
            }.items()
        }
    found = await nudges_as_of(db)
    assert sorted(keys(found)) == sorted(
        f"missed_recap:meeting:{meetings[label].id}" for label in ("24h", "25h", "13d")
    )
    assert {n.user_email for n in found} == {"am@example.com"}
    by_id = {n.detail["meeting_id"]: n for n in found}
    assert by_id[meetings["25h"].id].detail["hours_since"] == 25
    assert by_id[meetings["25h"].id].detail["occurred_at"] == "2026-03-09T11:00:00+00:00"


async def test_recap_logged_by_as_of_clears_the_nudge_but_one_logged_later_does_not(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        am = await add_user(s, "am@example.com")
        acme = await add_account(s, am, "Acme")
        met = AS_OF - timedelta(days=2)
        await add_meeting(s, acme, am, met, recap_logged_at=AS_OF - timedelta(hours=1))
        later = await add_meeting(
            s, acme, am, met + timedelta(hours=1), recap_logged_at=AS_OF + timedelta(hours=1)
        )
    assert keys(await nudges_as_of(db)) == [f"missed_recap:meeting:{later.id}"]


# --- account activity -------------------------------------------------------------------


async def test_churned_or_not_yet_started_account_produces_no_nudges(db: Database) -> None:
    async with db.unit_of_work() as s:
        owner = await add_user(s, "ana@example.com")
        churned = await add_account(
            s,
            owner,
            "Churned today",
            churned_on=TODAY,
            onboarding_completed_on=None,
            stage=Stage.GROWTH,
            stage_entered_at=AS_OF - timedelta(days=20),
        )
        future = await add_account(
            s,
            owner,
            "Starts tomorrow",
            started_on=TODAY + timedelta(days=1),
            onboarding_completed_on=None,
            stage=Stage.GROWTH,
            stage_entered_at=AS_OF - timedelta(days=20),
        )
        for account in (churned, future):
            await add_contract(s, account, TODAY + timedelta(days=10))
            await add_meeting(s, account, owner, AS_OF - timedelta(days=2))
    assert await nudges_as_of(db) == []


async def test_account_churning_tomorrow_is_still_active_today(db: Database) -> None:
    async with db.unit_of_work() as s:
        owner = await add_user(s, "ana@example.com")
        acme = await add_account(s, owner, "Acme", churned_on=TODAY + timedelta(days=1))
        contract = await add_contract(s, acme, TODAY + timedelta(days=10))
    assert keys(await nudges_as_of(db)) == [f"renewal:contract:{contract.id}:14"]


# --- onboarding -------------------------------------------------------------------------


async def test_onboarding_is_overdue_from_the_eighth_day(db: Database) -> None:
    async with db.unit_of_work() as s:
        owner = await add_user(s, "ana@example.com")
        for days in (7, 8):
            await add_account(
                s,
                owner,
                f"Started {days} days ago",
                started_on=TODAY - timedelta(days=days),
                onboarding_completed_on=None,
            )
        done = await add_account(
            s, owner, "Done", started_on=TODAY - timedelta(days=30), onboarding_completed_on=TODAY
        )
    found = await nudges_as_of(db)
    assert [(n.kind, n.account) for n in found] == [("onboarding_overdue", "Started 8 days ago")]
    assert found[0].key == f"onboarding_overdue:account:{found[0].account_id}"
    assert found[0].account_id != done.id
    assert found[0].detail["days_since_start"] == 8
    assert found[0].due_on == date(2026, 3, 9)


# --- overdue playbook steps -------------------------------------------------------------


async def _growth_account(
    s: AsyncSession,
    owner: User,
    name: str,
    entered_at: datetime = datetime(2026, 3, 7, 10, tzinfo=UTC),
) -> Account:
    return await add_account(s, owner, name, stage=Stage.GROWTH, stage_entered_at=entered_at)


async def test_required_step_due_yesterday_is_overdue_but_due_today_is_not(db: Database) -> None:
    # Entered growth on 7 March: plan-qbr (+2) was due 9 March, send-survey (+3) is due today,
    # nice-to-have (+0, optional) is never nudged.
    async with db.unit_of_work() as s:
        acme = await _growth_account(s, await add_user(s, "ana@example.com"), "Acme")
    [nudge] = await nudges_as_of(db)
    assert nudge.kind == "overdue_step"
    assert nudge.key == f"overdue_step:account:{acme.id}:growth:plan-qbr:2026-03-07"
    assert nudge.due_on == date(2026, 3, 9)
    assert nudge.detail["step_title"] == "Do plan-qbr"
    assert nudge.detail["days_overdue"] == 1


async def test_step_ticked_since_stage_entry_is_not_overdue(db: Database) -> None:
    async with db.unit_of_work() as s:
        acme = await _growth_account(s, await add_user(s, "ana@example.com"), "Acme")
        await add_completion(s, acme, "plan-qbr", datetime(2026, 3, 7, 10, tzinfo=UTC))
    assert await nudges_as_of(db) == []


async def test_completion_before_stage_reentry_or_in_another_playbook_does_not_count(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        owner = await add_user(s, "ana@example.com")
        before = await _growth_account(s, owner, "Before")
        await add_completion(s, before, "plan-qbr", datetime(2026, 3, 7, 9, 59, tzinfo=UTC))
        other = await _growth_account(s, owner, "Other")
        await add_completion(s, other, "plan-qbr", AS_OF, playbook="adaptation")
    assert [n.account for n in await nudges_as_of(db)] == ["Before", "Other"]


async def test_reentered_stage_nudges_again_under_a_new_key(db: Database) -> None:
    async with db.unit_of_work() as s:
        ana = await add_user(s, "ana@example.com")
        acme = await _growth_account(s, ana, "Acme")
        await add_sent(s, ana, f"overdue_step:account:{acme.id}:growth:plan-qbr:2025-11-02")
    assert keys(await nudges_as_of(db)) == [
        f"overdue_step:account:{acme.id}:growth:plan-qbr:2026-03-07"
    ]
    async with db.unit_of_work() as s:
        await add_sent(s, ana, f"overdue_step:account:{acme.id}:growth:plan-qbr:2026-03-07")
    assert await nudges_as_of(db) == []


async def test_step_due_date_uses_the_owners_team_timezone(db: Database) -> None:
    # Entered 03:00 UTC on 8 March = 19:00 on 7 March in Los Angeles, so plan-qbr was due on
    # 9 March there; at 12:00 UTC on 10 March (05:00 local) it is overdue. Counted in UTC it
    # would only be due today. The key keeps the UTC entry date.
    async with db.unit_of_work() as s:
        owner = await add_user(s, "lee@example.com", timezone="America/Los_Angeles")
        acme = await _growth_account(s, owner, "Acme", datetime(2026, 3, 8, 3, tzinfo=UTC))
    [nudge] = await nudges_as_of(db)
    assert nudge.key == f"overdue_step:account:{acme.id}:growth:plan-qbr:2026-03-08"
    assert nudge.due_on == date(2026, 3, 9)


# --- keys, filtering, ordering ----------------------------------------------------------


async def _mixed_book(db: Database) -> tuple[User, User]:
    """Bea owns Zeta (overdue step, renewal) and Alpha (renewal); Ana took a Zeta meeting."""
    async with db.unit_of_work() as s:
        ana = await add_user(s, "ana@example.com")
        bea = await add_user(s, "bea@example.com", timezone=None)
        zeta = await _growth_account(s, bea, "Zeta")
        alpha = await add_account(
            s, bea, "Alpha", onboarding_completed_on=None, started_on=TODAY - timedelta(days=10)
        )
        await add_contract(s, zeta, TODAY + timedelta(days=20))
        await add_contract(s, alpha, TODAY + timedelta(days=50))
        await add_meeting(s, zeta, ana, AS_OF - timedelta(days=3))
        await add_meeting(s, zeta, bea, AS_OF - timedelta(days=4))
    return ana, bea


async def test_nudges_sort_by_user_then_kind_then_account(db: Database) -> None:
    await _mixed_book(db)
    found = await nudges_as_of(db)
    assert [(n.user_email, n.kind, n.account) for n in found] == [
        ("ana@example.com", "missed_recap", "Zeta"),
        ("bea@example.com", "missed_recap", "Zeta"),
        ("bea@example.com", "overdue_step", "Zeta"),
        ("bea@example.com", "onboarding_overdue", "Alpha"),
        ("bea@example.com", "renewal", "Alpha"),
        ("bea@example.com", "renewal", "Zeta"),
    ]
    assert [n.window_days for n in found if n.kind == "renewal"] == [60, 30]


async def test_user_filter_keeps_only_that_users_nudges(db: Database) -> None:
    ana, bea = await _mixed_book(db)
    assert [(n.kind, n.account) for n in await nudges_as_of(db, user_id=ana.id)] == [
        ("missed_recap", "Zeta")
    ]
    everyone = await nudges_as_of(db)
    assert len(everyone) == 6
    bea_only = await nudges_as_of(db, user_id=bea.id)
    assert keys(bea_only) == [n.key for n in everyone if n.user_id == bea.id]
    assert len(bea_only) == 5


async def test_keys_are_stable_and_listing_records_nothing(db: Database) -> None:
    await _mixed_book(db)
    first = await nudges_as_of(db)
    second = await nudges_as_of(db, AS_OF + timedelta(minutes=5))
    assert keys(first) == keys(second)
    async with db.read_only() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert await session.scalar(select(func.count()).select_from(NudgeItem)) == 0


async def test_a_snoozed_nudge_comes_back_when_the_snooze_ends_and_a_done_one_never(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        owner = await add_user(s, "ana@example.com")
        soon = await add_contract(
            s, await add_account(s, owner, "Acme"), TODAY + timedelta(days=10)
        )
        later = await add_contract(
            s, await add_account(s, owner, "Bolt"), TODAY + timedelta(days=12)
        )
        await add_sent(
            s, owner, f"renewal:contract:{soon.id}:14", snoozed_until=AS_OF + timedelta(days=1)
        )
        await add_sent(s, owner, f"renewal:contract:{later.id}:14", done=True)
    assert await nudges_as_of(db) == []
    next_day = await nudges_as_of(db, AS_OF + timedelta(days=1, hours=1))
    assert keys(next_day) == [f"renewal:contract:{soon.id}:14"]


async def test_to_dict_is_json_safe_with_window_null_outside_renewals(db: Database) -> None:
    await _mixed_book(db)
    rows = [n.to_dict() for n in await nudges_as_of(db)]
    renewal = next(r for r in rows if r["kind"] == "renewal")
    recap = next(r for r in rows if r["kind"] == "missed_recap")
    assert renewal["window_days"] == 60
    assert renewal["account"] == "Alpha"
    assert recap["window_days"] is None
    assert recap["user_email"] == "ana@example.com"
    assert all(isinstance(v, str | int | type(None)) for r in rows for v in r.values())
