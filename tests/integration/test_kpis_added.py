"""The KPIs added for the digest, worked out by hand: logo churn year to date, open and
escalated objections, playbook steps done late; and one query answering many periods (or per
account) giving exactly the numbers of one period at a time.

ISO week 2026-W07: Monday 2026-02-09 to Sunday 2026-02-15; its year starts 2026-01-01.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime

from bot.services.kpis.day_counts import PER_PERSON_ONLY
from bot.services.kpis.queries import tally_by_period, tally_by_person
from bot.services.kpis.tally import Period, Scope, Tally, total
from storage.db import Database
from storage.models import ObjectionStatus, Stage
from tests.integration.account_builders import LIBRARY
from tests.integration.builders import (
    at,
    make_account,
    make_objection,
    make_step_completion,
    make_team,
    make_user,
)
from tests.integration.test_kpis import LA, _seed_breakdown, report_for

START = date(2025, 1, 6)


async def test_logo_churn_year_to_date_counts_from_the_first_of_january(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        for started_on, churned_on in (
            (START, date(2025, 12, 31)),  # before the year: in neither
            (START, date(2026, 1, 1)),  # the year's first day: in both
            (START, date(2026, 2, 15)),  # the week's last day: in both
            (START, date(2026, 2, 16)),  # after the last day: active at the start only
            (START, None),
            (date(2026, 1, 10), None),  # started during the year: in neither
        ):
            await make_account(s, owner=am, started_on=started_on, churned_on=churned_on)

    kpis = (await report_for(db, team)).kpis
    assert kpis.logo_churn_rate_ytd == 2 / 4


async def test_objections_open_and_escalated_at_the_end_of_the_weeks_last_day(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s, timezone=LA)
        account = await make_account(s, owner=await make_user(s, team=team))

        async def objection(
            opened: str, status: ObjectionStatus, resolved: str | None = None
        ) -> None:
            row = await make_objection(s, account=account, opened_at=at(opened, LA), status=status)
            row.resolved_at = at(resolved, LA) if resolved else None

        await objection("2026-02-10 09:00", ObjectionStatus.OPEN)  # open
        await objection("2026-02-15 23:30", ObjectionStatus.ESCALATED)  # open, escalated
        await objection("2026-02-16 00:30", ObjectionStatus.OPEN)  # opened after the week
        resolved = ObjectionStatus.RESOLVED
        await objection("2026-02-01 09:00", resolved, "2026-02-15 12:00")  # resolved in time
        await objection("2026-02-01 09:00", resolved, "2026-02-16 01:00")  # still open then
        await objection("2026-01-01 09:00", resolved)  # resolved, no time recorded

    kpis = (await report_for(db, team)).kpis
    assert (kpis.open_objections, kpis.escalated_objections) == (3, 1)


async def test_steps_done_late_are_required_steps_first_ticked_after_their_due_day(
    db: Database,
) -> None:
    # LIBRARY's growth playbook: qbr (required, due 10 days after entry), survey (optional, 3).
    entered = datetime.fromisoformat("2026-02-01T00:00:00+00:00")  # qbr due Wed 2026-02-11
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        tokyo_am = await make_user(s, team=team, timezone="Asia/Tokyo")

        async def ticked(step_id: str, when: datetime, playbook: str | None = None) -> None:
            account = await make_account(s, owner=am, stage=Stage.GROWTH, stage_entered_at=entered)
            await make_step_completion(
                s, account=account, step_id=step_id, completed_at=when, playbook=playbook
            )

        await ticked("qbr", at("2026-02-12 10:00"))  # late: counted
        await ticked("qbr", at("2026-02-11 23:00"))  # on its due day: not late
        await ticked("survey", at("2026-02-13 10:00"))  # optional step: not counted
        await ticked("qbr", at("2026-02-12 10:00"), playbook="onboarding")  # another stage
        await ticked("qbr", at("2026-02-16 10:00"))  # late, but the week after
        await ticked("qbr", at("2026-01-31 10:00"))  # before the stage was entered
        # Entered at Tokyo midnight (01 Feb, due 11 Feb there); ticked 12 Feb 05:00 in Tokyo.
        tokyo = await make_account(
            s,
            owner=tokyo_am,
            stage=Stage.GROWTH,
            stage_entered_at=at("2026-02-01 00:00", "Asia/Tokyo"),
        )
        await make_step_completion(
            s, account=tokyo, step_id="qbr", completed_at=at("2026-02-11 20:00")
        )
        # Fell due before accountbot knew the account: not late as far as accountbot goes.
        imported = await make_account(s, owner=am, stage=Stage.GROWTH, stage_entered_at=entered)
        imported.known_since = date(2026, 2, 12)
        await make_step_completion(
            s, account=imported, step_id="qbr", completed_at=at("2026-02-13 10:00")
        )
        # Ticked twice: only the first tick (late, in the week) counts, once.
        twice = await make_account(s, owner=am, stage=Stage.GROWTH, stage_entered_at=entered)
        for when in ("2026-02-12 09:00", "2026-02-14 09:00"):
            await make_step_completion(s, account=twice, step_id="qbr", completed_at=at(when))

    async with db.read_only() as s:
        period = Period(date(2026, 2, 9), date(2026, 2, 15), "UTC")
        tallies = await tally_by_person(
            s, period=period, scope=Scope(team_id=team.id), playbooks=LIBRARY
        )
    assert tallies[am.id].steps_done_late == 2
    assert tallies[tokyo_am.id].steps_done_late == 1


async def test_many_periods_at_once_and_per_account_give_the_same_numbers(db: Database) -> None:
    atlas = await _seed_breakdown(db)
    weeks = [
        Period(date(2026, 2, 2), date(2026, 2, 8), "UTC"),
        Period(date(2026, 2, 9), date(2026, 2, 15), "UTC"),
        Period(date(2026, 2, 9), date(2026, 2, 11), "UTC"),  # a week to date
    ]
    scope = Scope(team_id=atlas.id)
    async with db.read_only() as s:
        together = await tally_by_period(s, periods=weeks, scope=scope, playbooks=LIBRARY)
        apart = [
            await tally_by_person(s, period=week, scope=scope, playbooks=LIBRARY) for week in weeks
        ]
        per_account = await tally_by_period(
            s, periods=weeks, scope=scope, by="account", playbooks=LIBRARY
        )

    assert together == apart
    for by_person, by_account in zip(together, per_account, strict=True):
        people, accounts = total(by_person.values()), total(by_account.values())
        for name in (field.name for field in fields(Tally)):
            # the team figures are not counted per account; everything else adds up the same
            expected = 0 if name in PER_PERSON_ONLY else getattr(people, name)
            assert getattr(accounts, name) == expected, name
    assert any(getattr(total(week.values()), name) for week in together for name in PER_PERSON_ONLY)
