"""Ticking playbook steps and changing stages from chat, on SQLite and PostgreSQL.

Team A works in New York. Ann (AM) owns Acme, in onboarding since 2026-03-06 14:00 UTC
(09:00 local). Bob is another AM of team A, Lea its lead; Cy leads team B; Hal is head and
Ola ops. The test library's onboarding playbook: kickoff (required, day 0), intro (optional,
day 1), goals (required, day 2); next stage adaptation. It is 2026-03-10 15:00 UTC.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.command_syntax import cmd
from bot.errors import Forbidden, InvalidInput, NotFound, UserError
from bot.services.playbook_progress import PlaybookProgress, playbook_progress
from bot.services.stage_change import StageChange, change_stage
from bot.services.step_ticks import tick_step, untick_step
from storage.db import Database
from storage.models import Role, Stage, StepCompletion
from tests.integration.account_builders import LIBRARY, audit_rows, fetch_account, fetch_user
from tests.integration.builders import make_account, make_step_completion, make_team, make_user

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
ENTERED = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Setup:
    acme: int
    people: dict[str, int]


async def seed(db: Database, **account: Any) -> Setup:
    async with db.unit_of_work() as session:
        team_a = await make_team(session, timezone="America/New_York")
        team_b = await make_team(session)
        people = {
            "ann": await make_user(session, team=team_a, name="Ann"),
            "bob": await make_user(session, team=team_a, name="Bob"),
            "lea": await make_user(session, team=team_a, name="Lea", role=Role.LEAD),
            "cy": await make_user(session, team=team_b, name="Cy", role=Role.LEAD),
            "hal": await make_user(session, name="Hal", role=Role.HEAD),
            "ola": await make_user(session, name="Ola", role=Role.OPS),
        }
        values = {"stage": Stage.ONBOARDING, "stage_entered_at": ENTERED, **account}
        acme = await make_account(session, owner=people["ann"], name="Acme", **values)
    return Setup(acme.id, {k: u.id for k, u in people.items()})


Action = Callable[..., Awaitable[Any]]


async def act(db: Database, setup: Setup, who: str, action: Action, **kwargs: Any) -> Any:
    async with db.unit_of_work() as session:
        account = await fetch_account(session, setup.acme)
        actor = await fetch_user(session, setup.people[who])
        kwargs.setdefault("now", NOW)
        return await action(session, account=account, actor=actor, playbooks=LIBRARY, **kwargs)


async def tick(db: Database, setup: Setup, *steps: str, who: str = "ann") -> PlaybookProgress:
    progress = None
    for step_id in steps:
        progress = await act(db, setup, who, tick_step, step_id=step_id)
    assert progress is not None
    return progress


async def progress_now(db: Database, setup: Setup) -> PlaybookProgress:
    async with db.read_only() as session:
        account = await fetch_account(session, setup.acme)
        return await playbook_progress(session, account=account, playbooks=LIBRARY, now=NOW)


async def completions(db: Database) -> int:
    async with db.read_only() as session:
        return int(await session.scalar(select(func.count()).select_from(StepCompletion)) or 0)


async def stage_of(db: Database, setup: Setup) -> tuple[str, datetime, date | None]:
    async with db.read_only() as session:
        account = await fetch_account(session, setup.acme)
        return Stage(account.stage).value, account.stage_entered_at, account.onboarding_completed_on


# --- progress and ticking ------------------------------------------------------------------


async def test_progress_lists_steps_with_local_due_dates_and_overdue(db: Database) -> None:
    setup = await seed(db)
    progress = await progress_now(db, setup)
    assert (progress.stage, progress.name, progress.next_stage) == (
        "onboarding",
        "Onboarding",
        "adaptation",
    )
    assert progress.objectives == ["Finish onboarding."]
    assert [(s.id, s.due_on, s.overdue, s.required) for s in progress.steps] == [
        ("kickoff", date(2026, 3, 6), True, True),
        ("intro", date(2026, 3, 7), True, False),
        ("goals", date(2026, 3, 8), True, True),
    ]
    assert progress.steps[0].talk_track == "kickoff-talk"
    assert progress.steps[0].why == "Because kickoff matters."
    assert (progress.done, progress.total, progress.required_done, progress.required_total) == (
        0,
        3,
        0,
        2,
    )


async def test_tick_marks_the_step_done_and_audits_it(db: Database) -> None:
    setup = await seed(db)
    progress = await tick(db, setup, "kickoff")
    kickoff = progress.steps[0]
    assert (kickoff.done, kickoff.done_by, kickoff.done_at, kickoff.overdue) == (
        True,
        "Ann",
        NOW,
        False,
    )
    async with db.read_only() as session:
        [entry] = await audit_rows(session)
    assert (entry.action, entry.subject_type, entry.subject_id) == (
        "step.tick",
        "account",
        setup.acme,
    )
    assert entry.actor_id == setup.people["ann"]
    assert entry.details == {"stage": "onboarding", "step_id": "kickoff"}
    assert entry.at == NOW


async def test_ticking_a_done_step_again_changes_nothing(db: Database) -> None:
    setup = await seed(db)
    await tick(db, setup, "kickoff", "kickoff", " KICKOFF ")
    assert await completions(db) == 1
    async with db.read_only() as session:
        assert len(await audit_rows(session, "step.tick")) == 1


async def test_untick_removes_the_completion_and_audits_once(db: Database) -> None:
    setup = await seed(db)
    await tick(db, setup, "goals")
    progress = await act(db, setup, "ann", untick_step, step_id="goals")
    await act(db, setup, "ann", untick_step, step_id="goals")
    assert progress.steps[2].done is False and progress.done == 0
    assert await completions(db) == 0
    async with db.read_only() as session:
        [entry] = await audit_rows(session, "step.untick")
    assert entry.details == {"stage": "onboarding", "step_id": "goals"}


async def test_unticking_a_step_never_ticked_writes_nothing(db: Database) -> None:
    setup = await seed(db)
    await act(db, setup, "ann", untick_step, step_id="intro")
    async with db.read_only() as session:
        assert await audit_rows(session) == []


async def test_unknown_step_is_invalid_input_listing_the_valid_ids(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    with pytest.raises(InvalidInput) as caught:
        await act(sqlite_db, setup, "ann", tick_step, step_id="kick-off")
    assert caught.value.message == (
        "“kick-off” is not a step of the onboarding playbook. Steps: kickoff, intro, goals."
    )
    assert await completions(sqlite_db) == 0


async def test_a_step_is_named_by_part_of_its_id_when_only_one_holds_it(db: Database) -> None:
    setup = await seed(db)
    progress = await tick(db, setup, "KICK")  # kickoff
    assert [s.id for s in progress.steps if s.done] == ["kickoff"]
    with pytest.raises(InvalidInput) as caught:
        await act(db, setup, "ann", tick_step, step_id="o")  # in kickoff, intro and goals
    assert caught.value.message == "“o” fits several steps: kickoff, intro, goals."
    assert await completions(db) == 1


async def test_completion_before_the_stage_was_entered_does_not_count(db: Database) -> None:
    setup = await seed(db)
    async with db.unit_of_work() as session:
        acme = await fetch_account(session, setup.acme)
        await make_step_completion(
            session,
            account=acme,
            step_id="goals",
            completed_at=datetime(2026, 3, 6, 13, 59, tzinfo=UTC),
        )
    assert (await progress_now(db, setup)).steps[2].done is False
    progress = await tick(db, setup, "goals")
    assert progress.steps[2].done is True
    assert await completions(db) == 2


async def test_untick_keeps_completions_from_an_earlier_stage_entry(db: Database) -> None:
    setup = await seed(db)
    async with db.unit_of_work() as session:
        acme = await fetch_account(session, setup.acme)
        await make_step_completion(
            session, account=acme, step_id="goals", completed_at=datetime(2026, 2, 1, tzinfo=UTC)
        )
    await tick(db, setup, "goals")
    await act(db, setup, "ann", untick_step, step_id="goals")
    assert await completions(db) == 1


async def test_tick_with_a_clock_behind_the_stage_entry_still_counts(db: Database) -> None:
    setup = await seed(db)
    early = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)
    progress = await act(db, setup, "ann", tick_step, step_id="kickoff", now=early)
    assert progress.steps[0].done is True and progress.steps[0].done_at == ENTERED


async def test_teammate_am_cannot_tick_and_nothing_is_written(db: Database) -> None:
    setup = await seed(db)
    with pytest.raises(Forbidden, match="only your own accounts"):
        await tick(db, setup, "kickoff", who="bob")
    assert await completions(db) == 0


async def test_team_lead_ticks_a_team_account_as_themselves(db: Database) -> None:
    setup = await seed(db)
    progress = await tick(db, setup, "kickoff", who="lea")
    assert progress.steps[0].done_by == "Lea"


async def test_lead_of_another_team_gets_not_found(db: Database) -> None:
    setup = await seed(db)
    with pytest.raises(NotFound):
        await tick(db, setup, "kickoff", who="cy")


# --- stage changes -------------------------------------------------------------------------


async def move(db: Database, setup: Setup, who: str, target: str, **kwargs: Any) -> StageChange:
    result: StageChange = await act(db, setup, who, change_stage, target=target, **kwargs)
    return result


async def test_owner_advances_to_the_next_stage_once_required_steps_are_done(db: Database) -> None:
    setup = await seed(db)
    await tick(db, setup, "kickoff", "goals")  # the optional intro stays open
    change = await move(db, setup, "ann", "adaptation")
    assert change == StageChange("Acme", "onboarding", "adaptation", False, [])
    assert await stage_of(db, setup) == ("adaptation", NOW, date(2026, 3, 10))
    async with db.read_only() as session:
        [entry] = await audit_rows(session, "stage.change")
    assert entry.details == {
        "from": "onboarding",
        "to": "adaptation",
        "forced": False,
        "skipped_steps": [],
    }
    assert entry.actor_id == setup.people["ann"]


async def test_advance_is_refused_for_an_am_with_required_steps_missing(db: Database) -> None:
    setup = await seed(db)
    await tick(db, setup, "kickoff")
    with pytest.raises(UserError) as caught:
        await move(db, setup, "ann", "adaptation")
    assert not isinstance(caught.value, Forbidden)
    assert caught.value.message == (
        "Acme can't move to adaptation: 1 required step is not done: Do goals."
    )
    assert (
        caught.value.hint == f"A team lead can force it with {cmd('stage Acme adaptation force')}."
    )
    assert await stage_of(db, setup) == ("onboarding", ENTERED, None)
    async with db.read_only() as session:
        assert await audit_rows(session, "stage.change") == []


async def test_am_cannot_force_a_stage_change(db: Database) -> None:
    setup = await seed(db)
    with pytest.raises(Forbidden) as caught:
        await move(db, setup, "ann", "adaptation", force=True)
    assert caught.value.message.startswith(
        "Only a team lead, head or ops can force a stage change."
    )
    assert "2 required steps are not done: Do kickoff, Do goals" in caught.value.message
    assert (await stage_of(db, setup))[0] == "onboarding"


async def test_lead_without_force_is_told_they_can_force(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    with pytest.raises(UserError) as caught:
        await move(sqlite_db, setup, "lea", "adaptation")
    assert caught.value.hint == f"You can force it with {cmd('stage Acme adaptation force')}."


async def test_lead_forces_past_missing_steps_and_it_is_audited(db: Database) -> None:
    setup = await seed(db)
    await tick(db, setup, "kickoff")
    change = await move(db, setup, "lea", "adaptation", force=True)
    assert change == StageChange("Acme", "onboarding", "adaptation", True, ["Do goals"])
    async with db.read_only() as session:
        [entry] = await audit_rows(session, "stage.change")
    assert entry.actor_id == setup.people["lea"]
    assert entry.details == {
        "from": "onboarding",
        "to": "adaptation",
        "forced": True,
        "skipped_steps": ["Do goals"],
    }


async def test_moving_to_a_stage_other_than_the_next_needs_force(db: Database) -> None:
    setup = await seed(db)
    await tick(db, setup, "kickoff", "goals")
    with pytest.raises(UserError) as caught:
        await move(db, setup, "ann", "growth")
    assert caught.value.message == (
        "Acme can't move to growth: it is in onboarding and the next stage is adaptation."
    )
    change = await move(db, setup, "lea", "growth", force=True)
    assert (change.to_stage, change.forced, change.skipped_steps) == ("growth", True, [])


async def test_head_and_ops_may_force_any_teams_account(db: Database) -> None:
    setup = await seed(db)
    by_head = await move(db, setup, "hal", "renewal", force=True)
    assert (by_head.forced, by_head.skipped_steps) == (True, ["Do kickoff", "Do goals"])
    by_ops = await move(db, setup, "ola", "adaptation", force=True)
    assert (by_ops.from_stage, by_ops.forced, by_ops.skipped_steps) == (
        "renewal",
        True,
        ["Do proposal"],
    )
    assert (await stage_of(db, setup))[0] == "adaptation"


async def test_lead_of_another_team_cannot_force(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    with pytest.raises(NotFound):
        await move(sqlite_db, setup, "cy", "adaptation", force=True)


async def test_force_on_a_move_that_needs_none_is_not_recorded_as_forced(
    sqlite_db: Database,
) -> None:
    setup = await seed(sqlite_db)
    await tick(sqlite_db, setup, "kickoff", "goals")
    change = await move(sqlite_db, setup, "lea", "adaptation", force=True)
    assert change.forced is False


async def test_onboarding_completed_on_is_todays_local_date_when_leaving_onboarding(
    db: Database,
) -> None:
    setup = await seed(db)
    late = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # still 2026-03-10 in New York
    await move(db, setup, "hal", "growth", force=True, now=late)
    assert await stage_of(db, setup) == ("growth", late, date(2026, 3, 10))


async def test_onboarding_completed_on_is_kept_when_already_set(db: Database) -> None:
    setup = await seed(db, onboarding_completed_on=date(2026, 3, 8))
    await move(db, setup, "hal", "adaptation", force=True)
    assert (await stage_of(db, setup))[2] == date(2026, 3, 8)


async def test_leaving_another_stage_does_not_touch_onboarding_completed_on(db: Database) -> None:
    setup = await seed(db, stage=Stage.GROWTH)
    await move(db, setup, "hal", "renewal", force=True)
    assert (await stage_of(db, setup))[2] is None


async def test_renewal_leads_back_to_growth(db: Database) -> None:
    setup = await seed(db, stage=Stage.RENEWAL)
    await tick(db, setup, "proposal")
    change = await move(db, setup, "ann", "Growth ")
    assert (change.from_stage, change.to_stage, change.forced) == ("renewal", "growth", False)


async def test_unknown_target_stage_lists_the_stages(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    with pytest.raises(InvalidInput) as caught:
        await move(sqlite_db, setup, "lea", "churned", force=True)
    assert caught.value.message == (
        "“churned” is not a stage. Stages: onboarding, adaptation, growth, renewal."
    )


async def test_moving_to_the_current_stage_is_invalid(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    with pytest.raises(InvalidInput, match="Acme is already in onboarding"):
        await move(sqlite_db, setup, "lea", "onboarding", force=True)


async def test_checklist_starts_fresh_after_re_entering_a_stage(db: Database) -> None:
    setup = await seed(db, stage=Stage.ADAPTATION)
    await tick(db, setup, "first-review")
    await move(db, setup, "hal", "onboarding", force=True)
    later = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    await move(db, setup, "hal", "adaptation", force=True, now=later)
    async with db.read_only() as session:
        account = await fetch_account(session, setup.acme)
        progress = await playbook_progress(session, account=account, playbooks=LIBRARY, now=later)
    assert (progress.stage, progress.done) == ("adaptation", 0)
