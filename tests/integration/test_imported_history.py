"""An imported book starts with a true history, on SQLite and PostgreSQL: an account imported
mid-stage shows its real days in stage, and steps that fell due before accountbot knew it are
"before accountbot" (neither done nor overdue, never nudged, not a risk), while a step falling
due after the import nudges as usual.

Ann (AM, Enterprise East, New York) owns Acme Corp, in growth since 2026-01-05 and imported on
2026-03-10. The bundled growth playbook's required steps fall due 7, 7, 14, 45, 45 and 90 days
after the stage entry (optional ones at 30 and 60): all but the 90-day quarterly review
(2026-04-05) fell due before the import.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import select

from bot.errors import UserError
from bot.playbooks import load_playbooks
from bot.rendering import Renderer
from bot.services.imports import ImportRejected, ImportResult
from bot.services.nudges import NudgeRules, pending_nudges
from bot.services.playbook_progress import PlaybookProgress
from bot.services.portfolio import list_accounts
from bot.services.stage_change import change_stage
from bot.services.status import AccountStatus, account_status
from bot.services.step_ticks import tick_step
from storage.db import Database
from storage.models import Account, StepCompletion, User
from tests.integration.test_import import fixture, import_text

PLAYBOOKS = load_playbooks()
QUARTERLY = "Hold a quarterly review of results against the client's goals"
IMPORTED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
HEADER = "name,owner_email,stage,started_on,stage_entered_on\n"
ACME = "Acme Corp,ann.lee@example.com,growth,2025-01-06,2026-01-05\n"
BEFORE = [
    "goals-questions",
    "check-contract-dates",
    "portfolio-analysis",
    "widen-contacts",
    "pitch-service",
    "log-opportunities",
    "pipeline-review",
]


async def import_acme(db: Database, row: str = ACME) -> None:
    for kind in ("teams", "users"):
        await import_text(db, kind, fixture(kind), now=IMPORTED)
    await import_text(db, "accounts", HEADER + row, now=IMPORTED)


async def acme_and(db: Database, email: str) -> tuple[Account, User]:
    async with db.read_only() as session:
        account = (await session.scalars(select(Account))).unique().one()
        user = (await session.scalars(select(User).where(User.email == email))).unique().one()
    return account, user


async def status_at(db: Database, now: datetime) -> AccountStatus:
    async with db.read_only() as session:
        account = (await session.scalars(select(Account))).unique().one()
        return await account_status(session, account=account, playbooks=PLAYBOOKS, now=now)


async def overdue_step_nudges(db: Database, as_of: datetime) -> list[str]:
    async with db.read_only() as session:
        nudges = await pending_nudges(session, as_of=as_of, rules=NudgeRules(), playbooks=PLAYBOOKS)
    return [str(n.detail["step_id"]) for n in nudges if n.kind == "overdue_step"]


async def at_risk(db: Database, now: datetime) -> dict[str, list[str]]:
    async with db.read_only() as session:
        lead = (await session.scalars(select(User).where(User.role == "lead"))).unique().one()
        found = await list_accounts(
            session, actor=lead, scope="at-risk", now=now, playbooks=PLAYBOOKS
        )
    return {row.name: row.flags for row in found.items}


def states(progress: PlaybookProgress) -> dict[str, tuple[bool, bool, bool]]:
    """step id -> (done, overdue, before accountbot)."""
    return {s.id: (s.done, s.overdue, s.before_accountbot) for s in progress.steps}


async def test_an_account_imported_mid_stage_shows_its_real_days_in_stage(db: Database) -> None:
    await import_acme(db)
    status = await status_at(db, datetime(2026, 3, 11, 15, 0, tzinfo=UTC))
    assert status.stage_entered_at == datetime(2026, 1, 5, 5, 0, tzinfo=UTC)
    assert status.days_in_stage == 65
    checklist = states(status.playbook)
    assert {step: checklist[step] for step in BEFORE} == dict.fromkeys(BEFORE, (False, False, True))
    assert checklist["quarterly-review"] == (False, False, False)
    account, _ = await acme_and(db, "ann.lee@example.com")
    assert account.known_since == date(2026, 3, 10)


async def test_steps_due_before_the_import_never_nudge_but_a_later_one_does(db: Database) -> None:
    await import_acme(db)
    # Up to the day the quarterly review is due (2026-04-05), nothing is overdue.
    for day in (date(2026, 3, 11), date(2026, 3, 20), date(2026, 4, 5)):
        as_of = datetime.combine(day, time(14), tzinfo=UTC)
        assert await overdue_step_nudges(db, as_of) == [], as_of
        assert await at_risk(db, as_of) == {}, as_of
    after = datetime(2026, 4, 6, 14, 0, tzinfo=UTC)
    assert await overdue_step_nudges(db, after) == ["quarterly-review"]
    assert await at_risk(db, after) == {"Acme Corp": [f"overdue step: {QUARTERLY}"]}
    status = await status_at(db, after)
    assert states(status.playbook)["quarterly-review"] == (False, True, False)


async def test_without_the_import_day_every_past_step_would_nudge_at_once(db: Database) -> None:
    """The same account, had accountbot known it from the start: the flood the rule prevents."""
    await import_acme(db)
    async with db.unit_of_work() as session:
        account = (await session.scalars(select(Account))).unique().one()
        account.known_since = None
    required_before = [s for s in BEFORE if s not in ("widen-contacts", "pipeline-review")]
    as_of = datetime(2026, 3, 11, 14, 0, tzinfo=UTC)
    assert sorted(await overdue_step_nudges(db, as_of)) == sorted(required_before)


async def test_a_before_accountbot_step_can_be_ticked_and_still_holds_back_an_advance(
    db: Database,
) -> None:
    await import_acme(db)
    now = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)
    account, ann = await acme_and(db, "ann.lee@example.com")
    async with db.unit_of_work() as session:
        ticked = await tick_step(
            session,
            account=account,
            step_id="goals-questions",
            actor=ann,
            now=now,
            playbooks=PLAYBOOKS,
        )
    assert states(ticked)["goals-questions"] == (True, False, False)
    with pytest.raises(UserError) as refused:
        async with db.unit_of_work() as session:
            account, ann = await acme_and(db, "ann.lee@example.com")
            await change_stage(
                session, account=account, target="renewal", actor=ann, now=now, playbooks=PLAYBOOKS
            )
    earlier = " (before accountbot), "
    assert refused.value.message == (
        "Acme Corp can't move to renewal: 5 required steps are not done: "
        "Check the contract end date so renewal starts 90 days ahead"
        + earlier
        + "Do a portfolio analysis of what else could help this client"
        + earlier
        + "Pitch an added service this quarter (25% of your book per quarter)"
        + earlier
        + "Log every opportunity in the CRM, with value and next step"
        + earlier
        + QUARTERLY
        + ". Steps before accountbot fell due before accountbot knew the account: "
        "tick the ones already done."
    )


async def test_the_text_checklist_marks_steps_before_accountbot(db: Database) -> None:
    await import_acme(db)
    status = await status_at(db, datetime(2026, 3, 11, 15, 0, tzinfo=UTC))
    data: dict[str, Any] = {
        "account_id": 1,
        "account": "Acme Corp",
        "progress": status.playbook,
        "note": None,
        "editable": True,
    }
    lines = Renderer("text").render_text("playbook", data).splitlines()
    goals = lines.index(next(line for line in lines if "goals-questions" in line))
    assert lines[goals - 1].lstrip().startswith("[-] ")
    assert ", before accountbot · step id: goals-questions" in lines[goals]
    review = next(line for line in lines if "step id: quarterly-review" in line)
    assert "before accountbot" not in review and "overdue" not in review


STEPS_HEADER = "account,step,done_on,done_by_email\n"


async def import_steps(db: Database, rows: str, now: datetime = IMPORTED) -> ImportResult:
    return await import_text(db, "steps", STEPS_HEADER + rows, now=now)


async def test_imported_steps_tick_the_current_checklist(db: Database) -> None:
    await import_acme(db)
    result = await import_steps(
        db,
        "ACME CORP,Goals-Questions,2026-01-05,lea@example.com\n"  # the stage entry day counts
        "Acme Corp,check-contract-dates,2026-01-20,\n"
        "Acme Corp,pitch-service,2026-03-10,ann.lee@example.com\n",
    )
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    status = await status_at(db, datetime(2026, 3, 11, 15, 0, tzinfo=UTC))
    steps = {s.id: s for s in status.playbook.steps}
    assert [(s.done, s.done_by, s.done_at) for s in map(steps.get, BEFORE[:2])] == [
        (True, "Lea Park", datetime(2026, 1, 5, 5, 0, tzinfo=UTC)),
        (True, None, datetime(2026, 1, 20, 5, 0, tzinfo=UTC)),
    ]
    assert (steps["pitch-service"].done, steps["pitch-service"].before_accountbot) == (True, False)
    assert states(status.playbook)["portfolio-analysis"] == (False, False, True)
    again = await import_steps(
        db,
        "Acme Corp,goals-questions,2026-01-05,lea@example.com\n"
        "Acme Corp,check-contract-dates,2026-01-20,lea@example.com\n",
        now=datetime(2026, 3, 12, 9, 0, tzinfo=UTC),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)


async def test_a_tick_from_chat_on_the_same_day_is_the_same_tick(db: Database) -> None:
    await import_acme(db)
    now = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)
    account, ann = await acme_and(db, "ann.lee@example.com")
    async with db.unit_of_work() as session:
        await tick_step(
            session,
            account=account,
            step_id="pitch-service",
            actor=ann,
            now=now,
            playbooks=PLAYBOOKS,
        )
    # 15:00 UTC is 11:00 in New York: the same day as the file's.
    same = await import_steps(
        db, "Acme Corp,pitch-service,2026-03-11,ann.lee@example.com\n", now=now
    )
    assert (same.created, same.updated, same.unchanged) == (0, 0, 1)
    status = await status_at(db, now)
    assert next(s.done_at for s in status.playbook.steps if s.id == "pitch-service") == now


async def test_steps_that_cannot_count_are_refused_with_the_reason(db: Database) -> None:
    await import_acme(db)
    with pytest.raises(ImportRejected) as caught:
        await import_steps(
            db,
            "Acme Corp,kickoff-call,2026-01-10,\n"
            "Acme Corp,goals-questions,2026-01-04,\n"
            "Acme Corp,pitch-service,2026-03-11,\n"
            "Umbrella,goals-questions,2026-01-10,\n"
            "Acme Corp,portfolio-analysis,2026-02-01,nobody@example.com\n"
            "Acme Corp,Goals-Questions,2026-01-06,\n"
            "Acme Corp,,yesterday,\n",
        )
    growth = ", ".join(s.id for s in PLAYBOOKS.for_stage("growth").steps)
    assert [str(p) for p in caught.value.problems] == [
        f"line 2: step: 'kickoff-call' is not a step of the growth playbook, the stage Acme Corp "
        f"is in (its steps: {growth})",
        "line 3: done_on: 2026-01-04 is before Acme Corp entered growth on 2026-01-05 "
        "(America/New_York); only steps done since count",
        "line 4: done_on: 2026-03-11 is after today (2026-03-10 in America/New_York, the "
        "owner's zone)",
        'line 5: account: no account named "Umbrella" (import accounts first)',
        'line 6: done_by_email: no user with email "nobody@example.com" (import users first)',
        "line 7: duplicate of line 3 (same account, step)",
        "line 8: step: required, but empty",
        "line 8: done_on: not a date (expected YYYY-MM-DD): 'yesterday'",
    ]
    async with db.read_only() as session:
        assert (await session.scalars(select(StepCompletion))).all() == []


async def test_onboarding_late_before_the_import_does_not_nudge_but_late_after_it_does(
    db: Database,
) -> None:
    await import_acme(
        db,
        ACME  # in growth, but the file has no onboarding_completed_on
        + "Globex,bob@example.com,onboarding,2026-02-01,2026-02-01\n"  # late since 2026-02-08
        + "Initech,ann.lee@example.com,onboarding,2026-03-07,2026-03-07\n",  # due 2026-03-14
    )
    async with db.read_only() as session:
        later = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)
        nudges = await pending_nudges(session, as_of=later, rules=NudgeRules(), playbooks=PLAYBOOKS)
    assert [n.account for n in nudges if n.kind == "onboarding_overdue"] == ["Initech"]
