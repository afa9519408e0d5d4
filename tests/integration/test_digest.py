"""The digest as data (bot.services.kpis.digest), on SQLite and PostgreSQL: changes and their
reasons on hand-built weeks, each AM's standing, the accounts that need the lead, the chart's
eight weeks, and teams with nothing (or only churned accounts) to report.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.channels.slack_messages import message
from bot.channels.teams_cards import card_message
from bot.handlers.kpi import digest_reply
from bot.playbooks import load_playbooks
from bot.rendering import Renderer
from bot.services.kpis import IsoWeek, load_kpi_targets, team_kpi_report
from bot.services.kpis.digest import CHART_KPIS, Digest, team_digest
from bot.services.kpis.targets import KpiTargets
from bot.settings import Settings
from storage.db import Database
from storage.models import Seniority, Team
from tests.channels.adaptive_cards import check_card
from tests.channels.block_kit import check_message
from tests.integration.builders import (
    at,
    make_account,
    make_deliverable,
    make_meeting,
    make_team,
    make_user,
)
from tests.integration.digest_book import VACATION_UNTIL, seed_digest_book

W07 = IsoWeek(2026, 7)
PLAYBOOKS = load_playbooks()
TARGETS = load_kpi_targets()
NEW_YORK = "America/New_York"


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


async def digest_of(
    db: Database, team: Team, week: IsoWeek = W07, targets: KpiTargets = TARGETS
) -> Digest:
    async with db.read_only() as session:
        return await team_digest(
            session,
            team=team,
            week=week,
            targets=targets,
            playbooks=PLAYBOOKS,
            settings=settings(),
        )


def render_everywhere(digest: Digest) -> str:
    """The digest on every surface, each checked as its platform would; the text."""
    reply = digest_reply(digest, preview=False, chart_attached=True)
    check_message(message(Renderer("slack"), reply))
    check_card(card_message(Renderer("teams"), reply).card)
    return Renderer("text").render_text(reply.template, reply.data)


def texts(digest: Digest) -> dict[str, str]:
    return {reason.kpi: reason.text for reason in digest.reasons}


# --- why it changed ------------------------------------------------------------------------


async def test_a_fall_a_rise_and_a_kpi_that_does_not_move_on_the_fixed_book(
    db: Database,
) -> None:
    digest = await digest_of(db, await seed_digest_book(db))
    why = texts(digest)
    assert why["recap_compliance"] == (
        "Recaps within 24 h fell from 100% to 50%: 2 of the 3 late recaps were Sam Ortiz's"
    )
    assert why["missed_deadlines"] == "Missed deadlines rose from 1 to 3: all on Kestrel Foods"
    assert why["logo_churn_rate_qtd"] == (
        "Logo churn, quarter to date rose from 0.0% to 20.0%: Globex churned"
    )
    assert why["nps_90d"] == "NPS, last 90 days fell from 100 to 0: new detractors on Acme Robotics"
    assert why["open_objections"] == "Open objections rose from 1 to 2: new on Kestrel Foods"
    assert why["upsells_won"] == "Upsells won rose from 0 to 1: Acme Robotics $1,200"
    # Steps done late (1 and 1), escalated objections and renewals did not move: no line.
    assert {"steps_done_late", "escalated_objections", "renewals_next_30"}.isdisjoint(why)
    change = digest.changes["recap_compliance"]
    assert (change.value, change.previous, change.direction) == (0.5, 1.0, "down")
    assert change.change == pytest.approx(-0.5)
    assert digest.changes["steps_done_late"].direction == "same"
    assert digest.changes["avg_onboarding_days"].direction is None  # no data either week


async def test_a_rise_in_recaps_names_the_late_ones_of_both_weeks(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        sam = await make_user(s, team=team, name="Sam")
        account = await make_account(s, owner=sam)
        for held, hours in (
            ("2026-02-03 10:00", None),  # W06: 1 of 2 late
            ("2026-02-04 10:00", 1),
            ("2026-02-10 10:00", 1),  # W07: 0 of 3 late
            ("2026-02-11 10:00", 2),
            ("2026-02-12 10:00", 3),
        ):
            recap = at(held) + timedelta(hours=hours) if hours else None
            await make_meeting(s, account=account, occurred_at=at(held), recap_logged_at=recap)

    why = texts(await digest_of(db, team))
    assert why == {
        "recap_compliance": (
            "Recaps within 24 h rose from 50% to 100%: 0 of 3 recaps late, against 1 of 2 "
            "the week before"
        )
    }


async def test_moves_under_the_threshold_give_no_line(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        sam = await make_user(s, team=team, name="Sam")
        account = await make_account(s, owner=sam)
        # W06: 20 of 20 in time; W07: 24 of 25 (96%), 4 points under: the threshold is 5.
        for day, count, late in ((date(2026, 2, 2), 20, 0), (date(2026, 2, 9), 25, 1)):
            for n in range(count):
                held = at(f"{day + timedelta(days=n % 5):%Y-%m-%d} {8 + n // 5:02d}:00")
                recap = None if n < late else held + timedelta(hours=1)
                await make_meeting(s, account=account, occurred_at=held, recap_logged_at=recap)

    digest = await digest_of(db, team)
    assert digest.report.kpis.recap_compliance == pytest.approx(0.96)
    assert digest.changes["recap_compliance"].change == pytest.approx(-0.04)
    assert digest.reasons == []


async def test_a_first_week_with_no_week_before_has_no_changes_and_no_reasons(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        sam = await make_user(s, team=team, name="Sam")
        account = await make_account(s, owner=sam, started_on=date(2026, 2, 10))
        await make_deliverable(s, account=account, due_on=date(2026, 2, 12))
        await make_meeting(s, account=account, occurred_at=at("2026-02-11 10:00"))

    digest = await digest_of(db, team)
    assert digest.previous is None
    assert (digest.changes, digest.reasons) == ({}, [])
    assert digest.report.kpis.missed_deadlines == 1
    assert digest.to_dict()["previous_week"] is None


# --- per AM, needs attention -------------------------------------------------------------------


async def test_each_am_on_track_or_not_with_the_number_furthest_off(db: Database) -> None:
    digest = await digest_of(db, await seed_digest_book(db))
    people = {person.name: person for person in digest.people}
    assert [p.name for p in digest.people] == ["Ann Lee", "Sam Ortiz", "Cat Moss"]
    sam = people["Sam Ortiz"]
    assert not sam.on_track
    assert sam.furthest_off is not None and sam.furthest_off.kpi == "missed_deadlines"
    assert (sam.late_recaps, sam.second_late_recap) == (2, True)
    ann = people["Ann Lee"]
    assert ann.furthest_off is not None and ann.furthest_off.kpi == "logo_churn_rate_mtd"
    assert (ann.late_recaps, ann.second_late_recap) == (1, False)
    cat = people["Cat Moss"]
    assert cat.on_track and cat.furthest_off is None
    assert cat.vacation_until == VACATION_UNTIL


async def test_needs_attention_ranks_the_renewal_at_risk_first_and_says_why(
    db: Database,
) -> None:
    digest = await digest_of(db, await seed_digest_book(db))
    assert [(a.name, a.why) for a in digest.attention] == [
        (
            "Kestrel Foods",
            ["renews 01 Mar with 1 open objection and 1 late recap", "3 missed deadlines"],
        ),
        ("Umbrella", ["1 escalated objection"]),
        ("Acme Robotics", ["low NPS: 1 detractor of 1 response in 90 days"]),
        ("Initech", ["onboarding on day 20 (target: under 8 days)"]),
    ]
    assert digest.attention[0].renewal_on == date(2026, 3, 1)


async def test_needs_attention_lists_five_at_most(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        sam = await make_user(s, team=team)
        for n in range(8):
            account = await make_account(s, owner=sam, name=f"Late {n}")
            await make_deliverable(s, account=account, due_on=date(2026, 2, 10))

    digest = await digest_of(db, team)
    assert [a.name for a in digest.attention] == [f"Late {n}" for n in range(5)]


# --- the chart's weeks -------------------------------------------------------------------------


async def test_the_eight_weeks_are_the_kpis_of_each_weeks_own_report(db: Database) -> None:
    team = await seed_digest_book(db)
    digest = await digest_of(db, team)
    assert [str(p.week) for p in digest.series] == [
        "2025-W52",
        *(f"2026-W{n:02d}" for n in range(1, 8)),
    ]
    for point in digest.series:
        async with db.read_only() as s:
            report = await team_kpi_report(
                s, team=team, week=point.week, targets=TARGETS, playbooks=PLAYBOOKS
            )
        assert point.kpis == report.kpis, point.week
    chart = digest.to_dict()["chart"]
    assert chart["recap_compliance"] == [1.0, 1.0, 1.0, 0.75, 1.0, 0.75, 1.0, 0.5]
    assert chart["missed_deadlines"] == [0, 0, 0, 0, 0, 0, 1, 3]
    assert set(CHART_KPIS) <= set(chart)


async def test_a_sunday_2330_meeting_in_new_york_counts_in_that_week(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s, timezone=NEW_YORK)
        account = await make_account(s, owner=await make_user(s, team=team))
        for local in (
            "2026-02-08 23:30",  # Sunday of W06 in New York (Monday 04:30 UTC): W06
            "2026-02-15 23:30",  # Sunday of W07 in New York (Monday 04:30 UTC): W07
            "2026-02-16 00:30",  # Monday of W08 in New York: not in the digest
        ):
            await make_meeting(s, account=account, occurred_at=at(local, NEW_YORK))

    digest = await digest_of(db, team)
    assert digest.report.kpis.meetings == 1
    assert [p.kpis.meetings for p in digest.series][-2:] == [1, 1]
    assert digest.report.timezone == NEW_YORK


# --- teams with little or nothing ------------------------------------------------------------


async def test_a_team_with_no_accounts_gets_an_empty_digest(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        await make_user(s, team=team, name="Solo")

    digest = await digest_of(db, team)
    shown = render_everywhere(digest)
    assert "No week before to compare with yet." in shown
    assert "No account stands out this week." in shown
    assert digest.previous is None and digest.reasons == [] and digest.attention == []
    assert [p.name for p in digest.people] == ["Solo"] and digest.people[0].on_track
    assert all(p.kpis.recap_compliance is None for p in digest.series)
    assert digest.to_dict()["chart"]["recap_compliance"] == [None] * 8


async def test_a_team_with_accounts_but_no_meetings(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        await make_account(s, owner=await make_user(s, team=team, seniority=Seniority.SENIOR))

    digest = await digest_of(db, team)
    assert "Nothing moved much since the week before." in render_everywhere(digest)
    assert digest.report.kpis.meetings == 0 and digest.report.kpis.recap_compliance is None
    assert digest.previous is not None and digest.reasons == []
    assert digest.changes["recap_compliance"].direction is None


async def test_a_team_of_only_churned_accounts(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        for churned in (date(2025, 11, 3), date(2026, 2, 11)):
            await make_account(s, owner=am, churned_on=churned)

    digest = await digest_of(db, team)
    render_everywhere(digest)
    kpis = digest.report.kpis
    assert (kpis.accounts_active, kpis.churned_accounts) == (0, 1)
    assert kpis.upsell_pitch_coverage_qtd is None
    assert kpis.logo_churn_rate_qtd == 1.0
    assert digest.attention == []
    assert "logo_churn_rate_qtd" in texts(digest)
