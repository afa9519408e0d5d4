"""The KPI engine on SQLite and PostgreSQL, every expected number worked out by hand.

Most tests use ISO week 2026-W07: Monday 2026-02-09 to Sunday 2026-02-15. Its quarter starts
2026-01-01, its 90-day window is 2025-11-18..2026-02-15 (2025-11-17 is exactly 90 days back),
and the renewal windows end 2026-03-17 (+30) and 2026-05-16 (+90).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.errors import InvalidInput, NotFound
from bot.services.kpis import IsoWeek, TeamKpiReport, team_kpi_report, user_kpis
from bot.services.kpis.targets import KpiTargets
from storage.db import Database
from storage.models import Account, Role, Seniority, SignalKind, Team, UpsellStatus, User
from tests.integration.builders import (
    at,
    make_account,
    make_contract,
    make_deliverable,
    make_meeting,
    make_signal,
    make_team,
    make_upsell,
    make_user,
)

W07 = IsoWeek(2026, 7)
NO_TARGETS = KpiTargets()
LA = "America/Los_Angeles"
AUCKLAND = "Pacific/Auckland"


async def report_for(
    db: Database,
    team: Team | str,
    *,
    week: IsoWeek = W07,
    through: date | None = None,
    targets: KpiTargets = NO_TARGETS,
) -> TeamKpiReport:
    async with db.read_only() as session:
        return await team_kpi_report(
            session, team=team, week=week, through=through, targets=targets
        )


# --- meetings: the team's timezone decides the week ---------------------------------------


async def test_meeting_at_sunday_2330_in_los_angeles_counts_in_that_week(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s, timezone=LA)
        account = await make_account(s, owner=await make_user(s, team=team))
        for local in (
            "2026-02-08 23:30",  # Sunday of W06 locally, already Monday 07:30 in UTC: out
            "2026-02-09 00:30",  # Monday 00:30 local: in
            "2026-02-15 23:30",  # Sunday 23:30 local = Monday 07:30 UTC: in
            "2026-02-16 00:00",  # next Monday midnight local: out
        ):
            await make_meeting(s, account=account, occurred_at=at(local, LA))

    assert (await report_for(db, team)).kpis.meetings == 2


async def test_week_bounds_follow_the_daylight_saving_change_in_los_angeles(db: Database) -> None:
    # W10 is Mon 2026-03-02 (PST, UTC-8) to Sun 2026-03-08 (PDT from 02:00, UTC-7).
    async with db.unit_of_work() as s:
        team = await make_team(s, timezone=LA)
        account = await make_account(s, owner=await make_user(s, team=team))
        for local in (
            "2026-03-01 23:59",  # out: Sunday before
            "2026-03-02 00:00",  # in: 08:00 UTC
            "2026-03-08 23:30",  # in: 06:30 UTC on Monday
            "2026-03-09 00:00",  # out: 07:00 UTC (a fixed UTC-8 would wrongly keep it)
        ):
            await make_meeting(s, account=account, occurred_at=at(local, LA))

    assert (await report_for(db, team, week=IsoWeek(2026, 10))).kpis.meetings == 2


async def test_meeting_monday_0030_in_auckland_counts_though_it_is_sunday_in_utc(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s, timezone=AUCKLAND)  # NZDT, UTC+13 in February
        account = await make_account(s, owner=await make_user(s, team=team))
        for local in (
            "2026-02-08 23:30",  # out: Sunday of W06 locally
            "2026-02-09 00:30",  # in: Sunday 11:30 UTC
            "2026-02-15 23:59",  # in
            "2026-02-16 00:30",  # out: Sunday 11:30 UTC, still inside W07 in UTC
        ):
            await make_meeting(s, account=account, occurred_at=at(local, AUCKLAND))

    assert (await report_for(db, team)).kpis.meetings == 2


async def test_recap_exactly_24h_later_counts_and_24h_plus_one_second_does_not(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        account = await make_account(s, owner=await make_user(s, team=team))
        meetings = [
            ("2026-02-10 10:00", "2026-02-11 10:00:00"),  # exactly 24h: compliant
            ("2026-02-11 10:00", "2026-02-12 10:00:01"),  # 24h and 1s: late
            ("2026-02-12 10:00", None),  # never recapped
            ("2026-02-13 09:00", "2026-02-13 09:45"),  # compliant
            ("2026-02-15 23:00", "2026-02-16 22:59"),  # recapped next week, within 24h
        ]
        for held, recapped in meetings:
            await make_meeting(
                s,
                account=account,
                occurred_at=at(held),
                recap_logged_at=at(recapped) if recapped else None,
            )

    kpis = (await report_for(db, team)).kpis
    assert kpis.meetings == 5
    assert kpis.recap_compliance == pytest.approx(3 / 5)


# --- accounts, churn, month and quarter ------------------------------------------------------


async def test_churn_rates_use_the_month_and_quarter_of_the_weeks_last_day(db: Database) -> None:
    # W18 is Mon 2026-04-27 to Sun 2026-05-03: the month is May, the quarter starts 04-01.
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        accounts = {
            "a": (date(2025, 1, 6), date(2026, 4, 1), 1000),  # churned on quarter's 1st day
            "b": (date(2025, 1, 6), date(2026, 4, 28), 2000),  # in week, before May
            "c": (date(2025, 1, 6), date(2026, 5, 1), 500),  # on the month's first day
            "d": (date(2025, 1, 6), date(2026, 5, 3), 1500),  # on the week's last day
            "e": (date(2025, 1, 6), date(2026, 3, 31), 700),  # the quarter before
            "f": (date(2025, 1, 6), None, 3000),
            "g": (date(2026, 4, 15), None, 800),  # started mid-quarter
            "h": (date(2025, 1, 6), date(2026, 5, 4), 2000),  # churns the day after the week
            "i": (date(2026, 5, 2), None, 900),  # started after the month began
        }
        for name, (started_on, churned_on, mrr) in accounts.items():
            await make_account(
                s, owner=am, name=name, started_on=started_on, churned_on=churned_on, mrr=mrr
            )

    kpis = (await report_for(db, team, week=IsoWeek(2026, 18))).kpis
    assert kpis.accounts_active == 4  # f, g, h, i (d churned on the last day)
    assert kpis.churned_accounts == 3  # b, c, d
    assert kpis.logo_churn_rate_mtd == pytest.approx(2 / 5)  # c, d over c, d, f, g, h
    assert kpis.logo_churn_rate_qtd == pytest.approx(4 / 6)  # a-d over a, b, c, d, f, h
    # (1000 + 2000 + 500 + 1500) / (1000 + 2000 + 500 + 1500 + 3000 + 2000)
    assert kpis.revenue_churn_rate_qtd == pytest.approx(5000 / 10000)
    # May: c and d churned, of c, d, f, g, h active on May 1st
    assert kpis.revenue_churn_rate_mtd == pytest.approx(
        (500 + 1500) / (500 + 1500 + 3000 + 800 + 2000)
    )


async def test_account_churned_on_the_quarters_first_day_is_in_numerator_and_denominator(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        await make_account(s, owner=am, churned_on=date(2026, 1, 1), mrr=300)
        await make_account(s, owner=am, mrr=900)

    kpis = (await report_for(db, team)).kpis
    assert kpis.logo_churn_rate_qtd == pytest.approx(1 / 2)
    assert kpis.revenue_churn_rate_qtd == pytest.approx(300 / 1200)
    assert kpis.logo_churn_rate_mtd == 0.0  # February: nobody churned, 1 active on 02-01
    assert kpis.churned_accounts == 0


async def test_account_churned_on_the_weeks_last_day_is_churned_and_not_active(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        await make_account(s, owner=am, churned_on=date(2026, 2, 15))
        await make_account(s, owner=am)

    kpis = (await report_for(db, team)).kpis
    assert kpis.accounts_active == 1
    assert kpis.churned_accounts == 1


async def test_team_without_data_has_zero_counts_and_null_rates(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        await make_user(s, team=team, name="Only Member")

    report = await report_for(db, team)
    expected = {
        "accounts_active": 0,
        "churned_accounts": 0,
        "logo_churn_rate_mtd": None,
        "logo_churn_rate_qtd": None,
        "revenue_churn_rate_qtd": None,
        "upsells_won": 0,
        "upsell_value_won": 0.0,
        "upsell_pitch_coverage_qtd": None,
        "nps_90d": None,
        "avg_onboarding_days": None,
        "missed_deadlines": 0,
        "meetings": 0,
        "recap_compliance": None,
        "renewals_next_30": 0,
        "renewals_next_90": 0,
        "logo_churn_rate_ytd": None,
        "open_objections": 0,
        "escalated_objections": 0,
        "steps_done_late": 0,
        "revenue_churn_rate_mtd": None,
    }
    assert report.kpis.to_dict() == expected
    assert report.kpis.upsell_value_won == Decimal("0")
    assert [am.name for am in report.by_am] == ["Only Member"]
    assert report.by_am[0].kpis == report.kpis


# --- upsells -------------------------------------------------------------------------------


async def test_upsells_won_in_the_week_and_pitch_coverage_of_active_accounts(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        p, q, r, t, v = [await make_account(s, owner=am) for _ in range(5)]
        gone = await make_account(s, owner=am, churned_on=date(2026, 2, 10))
        won = UpsellStatus.WON
        # p: won on Monday, pitched this quarter; a second open pitch does not count twice
        await make_upsell(
            s, account=p, pitched_on=date(2026, 1, 5), status=won, closed_on=date(2026, 2, 9),
            value="1200",
        )  # fmt: skip
        await make_upsell(s, account=p, pitched_on=date(2026, 2, 1))
        # q: won the day after the week, pitched last quarter
        await make_upsell(
            s, account=q, pitched_on=date(2025, 12, 20), status=won,
            closed_on=date(2026, 2, 16), value="999",
        )  # fmt: skip
        # r: lost, but pitched this quarter: covered
        await make_upsell(
            s, account=r, pitched_on=date(2026, 2, 2), status=UpsellStatus.LOST,
            closed_on=date(2026, 2, 12),
        )  # fmt: skip
        # gone: won on Sunday but churned mid-week, so it is not an active account
        await make_upsell(
            s, account=gone, pitched_on=date(2026, 1, 10), status=won,
            closed_on=date(2026, 2, 15), value="800.50",
        )  # fmt: skip
        # t: pitched on the quarter's first day: covered
        await make_upsell(s, account=t, pitched_on=date(2026, 1, 1))
        # v: pitched the day before the quarter; won the Sunday before the week
        await make_upsell(s, account=v, pitched_on=date(2025, 12, 31))
        await make_upsell(
            s, account=v, pitched_on=date(2025, 12, 1), status=won,
            closed_on=date(2026, 2, 8), value="300",
        )  # fmt: skip

    kpis = (await report_for(db, team)).kpis
    assert kpis.upsells_won == 2  # p and gone
    assert kpis.upsell_value_won == Decimal("2000.50")
    assert kpis.accounts_active == 5  # p, q, r, t, v
    assert kpis.upsell_pitch_coverage_qtd == pytest.approx(3 / 5)  # p, r, t


# --- trailing 90 days -------------------------------------------------------------------------


async def test_nps_over_the_90_days_ending_on_the_last_day(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        account = await make_account(s, owner=await make_user(s, team=team))
        counted = {
            date(2026, 2, 15): 10,  # the last day: promoter
            date(2025, 11, 18): 9,  # 89 days back: promoter
            date(2026, 1, 5): 9,  # promoter
            date(2026, 1, 6): 8,  # passive
            date(2026, 1, 7): 6,  # detractor
        }
        ignored = {
            date(2025, 11, 17): 10,  # exactly 90 days back
            date(2026, 2, 16): 0,  # after the last day
            date(2026, 2, 3): None,  # no score
        }
        for recorded_on, score in (counted | ignored).items():
            await make_signal(s, account=account, recorded_on=recorded_on, score=score)
        await make_signal(
            s, account=account, recorded_on=date(2026, 2, 1), kind=SignalKind.CSAT, score=1
        )

    # 100 * (3 promoters - 1 detractor) / 5 responses
    assert (await report_for(db, team)).kpis.nps_90d == pytest.approx(40.0)


async def test_avg_onboarding_days_over_onboardings_completed_in_the_90_days(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        onboardings = [
            (date(2025, 11, 1), date(2025, 11, 18)),  # 89 days back: in, 17 days
            (date(2025, 11, 10), date(2025, 11, 17)),  # exactly 90 days back: out
            (date(2026, 2, 10), date(2026, 2, 15)),  # on the last day: in, 5 days
            (date(2026, 1, 1), date(2026, 1, 12)),  # in, 11 days
            (date(2026, 2, 1), date(2026, 2, 16)),  # after the last day: out
            (date(2026, 2, 1), None),  # still onboarding: out
        ]
        for started_on, completed_on in onboardings:
            await make_account(
                s, owner=am, started_on=started_on, onboarding_completed_on=completed_on
            )

    assert (await report_for(db, team)).kpis.avg_onboarding_days == pytest.approx((17 + 5 + 11) / 3)


# --- deliverables and renewals ---------------------------------------------------------------


async def test_missed_deadlines_are_late_or_undelivered_items_due_in_the_week(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        account = await make_account(s, owner=await make_user(s, team=team))
        deliverables = [
            (date(2026, 2, 10), date(2026, 2, 12)),  # late: missed
            (date(2026, 2, 11), None),  # not delivered: missed
            (date(2026, 2, 12), date(2026, 2, 12)),  # on the day: fine
            (date(2026, 2, 13), date(2026, 2, 11)),  # early: fine
            (date(2026, 2, 15), date(2026, 2, 16)),  # due Sunday, delivered Monday: missed
            (date(2026, 2, 8), None),  # due the week before: not this week's
            (date(2026, 2, 16), None),  # due the week after
        ]
        for due_on, delivered_on in deliverables:
            await make_deliverable(s, account=account, due_on=due_on, delivered_on=delivered_on)

    assert (await report_for(db, team)).kpis.missed_deadlines == 3


async def test_renewals_count_contracts_ending_in_the_30_and_90_days_after_the_last_day(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        active = await make_account(s, owner=am)
        for end_on in (
            date(2026, 2, 15),  # the last day itself: out
            date(2026, 2, 16),  # 30 and 90
            date(2026, 3, 17),  # last day + 30: 30 and 90
            date(2026, 3, 18),  # + 31: 90 only
            date(2026, 5, 16),  # + 90: 90
            date(2026, 5, 17),  # + 91: out
        ):
            await make_contract(s, account=active, end_on=end_on)
        churned = await make_account(s, owner=am, churned_on=date(2026, 2, 14))
        await make_contract(s, account=churned, end_on=date(2026, 2, 20))
        leaving_later = await make_account(s, owner=am, churned_on=date(2026, 2, 20))
        await make_contract(s, account=leaving_later, end_on=date(2026, 3, 1))  # 30 and 90
        not_started = await make_account(s, owner=am, started_on=date(2026, 2, 16))
        await make_contract(s, account=not_started, end_on=date(2026, 3, 2))

    kpis = (await report_for(db, team)).kpis
    assert kpis.renewals_next_30 == 3
    assert kpis.renewals_next_90 == 5


# --- per AM, targets, user_kpis ----------------------------------------------------------------

BREAKDOWN_TARGETS = KpiTargets.model_validate(
    {
        "team": {"recap_compliance": {"min": 0.9}, "missed_deadlines": {"max": 0}},
        "seniority": {
            "junior": {"recap_compliance": {"min": 0.5}, "missed_deadlines": {"max": 1}},
            "senior": {"recap_compliance": {"min": 1.0}},
        },
    }
)


async def _seed_breakdown(db: Database) -> Team:
    """Atlas: Ann (junior), Bob (middle), Cat (senior), Dan (no data), Lee (lead, no data)."""
    async with db.unit_of_work() as s:
        atlas = await make_team(s, name="Atlas")
        ann = await make_user(s, team=atlas, name="Ann", seniority=Seniority.JUNIOR)
        bob = await make_user(s, team=atlas, name="Bob", seniority=Seniority.MIDDLE)
        cat = await make_user(s, team=atlas, name="Cat", seniority=Seniority.SENIOR)
        await make_user(s, team=atlas, name="Dan", seniority=None)
        await make_user(s, team=atlas, name="Lee", role=Role.LEAD)
        ann_acc = await make_account(s, owner=ann)
        bob_acc = await make_account(s, owner=bob)
        cat_acc = await make_account(s, owner=cat)
        await make_account(s, owner=cat, churned_on=date(2026, 2, 12))

        async def meeting(account: Account, am: User, held: str, recap_hours: int | None) -> None:
            occurred = at(held)
            recap = occurred + timedelta(hours=recap_hours) if recap_hours else None
            await make_meeting(
                s, account=account, am=am, occurred_at=occurred, recap_logged_at=recap
            )

        await meeting(ann_acc, ann, "2026-02-10 10:00", 1)
        await meeting(cat_acc, ann, "2026-02-11 10:00", None)  # Ann's meeting on Cat's account
        await meeting(bob_acc, bob, "2026-02-10 10:00", 2)
        await meeting(cat_acc, cat, "2026-02-12 10:00", 30)
        await meeting(cat_acc, cat, "2026-02-13 10:00", 3)
        await make_deliverable(s, account=ann_acc, due_on=date(2026, 2, 11))
        await make_deliverable(
            s, account=bob_acc, due_on=date(2026, 2, 12), delivered_on=date(2026, 2, 13)
        )
        await make_deliverable(
            s, account=cat_acc, due_on=date(2026, 2, 12), delivered_on=date(2026, 2, 12)
        )

        other = await make_team(s, name="Borealis")
        xav = await make_user(s, team=other, name="Xav")
        xav_acc = await make_account(s, owner=xav)
        await meeting(xav_acc, xav, "2026-02-10 11:00", None)
        await make_deliverable(s, account=xav_acc, due_on=date(2026, 2, 10))
    return atlas


async def test_per_am_rows_use_owner_for_accounts_and_am_for_meetings(db: Database) -> None:
    atlas = await _seed_breakdown(db)
    report = await report_for(db, atlas, targets=BREAKDOWN_TARGETS)

    rows = {am.name: am.kpis for am in report.by_am}
    assert list(rows) == ["Ann", "Bob", "Cat", "Dan"]  # the lead owns nothing: not listed
    assert (rows["Ann"].meetings, rows["Ann"].recap_compliance) == (2, 0.5)
    assert (rows["Bob"].meetings, rows["Bob"].recap_compliance) == (1, 1.0)
    assert (rows["Cat"].meetings, rows["Cat"].recap_compliance) == (2, 0.5)
    assert (rows["Dan"].meetings, rows["Dan"].recap_compliance) == (0, None)
    assert [r.missed_deadlines for r in rows.values()] == [1, 1, 0, 0]
    assert [r.accounts_active for r in rows.values()] == [1, 1, 1, 0]
    assert rows["Cat"].churned_accounts == 1
    # The team: Atlas only (Xav of Borealis is left out).
    assert report.kpis.meetings == 5
    assert report.kpis.recap_compliance == pytest.approx(3 / 5)
    assert report.kpis.missed_deadlines == 2
    assert report.kpis.accounts_active == 3
    assert report.kpis.churned_accounts == 1


async def test_target_misses_follow_each_persons_seniority(db: Database) -> None:
    atlas = await _seed_breakdown(db)
    report = await report_for(db, atlas, targets=BREAKDOWN_TARGETS)

    by_name = {am.name: am for am in report.by_am}
    # Ann, junior: recap 0.5 >= 0.5 and 1 missed <= 1.
    assert by_name["Ann"].misses == []
    assert by_name["Ann"].targets == {
        "missed_deadlines": {"max": 1.0},
        "recap_compliance": {"min": 0.5},
    }
    # Bob, middle (no section: team targets): 1 missed > 0.
    assert by_name["Bob"].misses == ["missed_deadlines"]
    # Cat, senior: recap 0.5 < 1.0; missed deadlines fall back to the team's max 0 and she has 0.
    assert by_name["Cat"].misses == ["recap_compliance"]
    assert by_name["Cat"].targets == {
        "missed_deadlines": {"max": 0.0},
        "recap_compliance": {"min": 1.0},
    }
    # Dan has no seniority (team targets) and no meetings: a missing rate misses nothing.
    assert (by_name["Dan"].seniority, by_name["Dan"].misses) == (None, [])
    # The team against team targets: 2 missed > 0 and 0.6 < 0.9.
    assert report.misses == ["missed_deadlines", "recap_compliance"]


async def test_user_kpis_equal_that_persons_row_of_the_team_report(db: Database) -> None:
    atlas = await _seed_breakdown(db)
    report = await report_for(db, atlas, targets=BREAKDOWN_TARGETS)
    async with db.read_only() as s:
        ann = (await s.scalars(select(User).where(User.name == "Ann"))).one()
        ann_email = ann.email
        mine = await user_kpis(s, user=ann, week=W07, targets=BREAKDOWN_TARGETS)

    assert mine == report.by_am[0]
    assert (mine.user_email, mine.seniority, mine.kpis.meetings) == (ann_email, "junior", 2)


async def test_user_kpis_place_meetings_in_the_users_team_timezone(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s, timezone=LA)
        am = await make_user(s, team=team)
        account = await make_account(s, owner=am)
        await make_meeting(s, account=account, occurred_at=at("2026-02-15 23:30", LA))
        await make_meeting(s, account=account, occurred_at=at("2026-02-16 00:30", LA))
    async with db.read_only() as s:
        mine = await user_kpis(s, user=am, week=W07, targets=NO_TARGETS)

    assert mine.kpis.meetings == 1
    assert mine.kpis.accounts_active == 1


# --- week to date ------------------------------------------------------------------------------


async def test_week_to_date_treats_through_as_the_last_day(db: Database) -> None:
    wednesday = date(2026, 2, 11)
    async with db.unit_of_work() as s:
        team = await make_team(s, timezone=LA)
        am = await make_user(s, team=team)
        steady = await make_account(s, owner=am)
        await make_account(s, owner=am, churned_on=date(2026, 2, 11))  # churned, not active
        await make_account(s, owner=am, churned_on=date(2026, 2, 12))  # still active Wed night
        recap = at("2026-02-12 00:10", LA)
        await make_meeting(
            s, account=steady, occurred_at=at("2026-02-11 23:30", LA), recap_logged_at=recap
        )
        await make_meeting(s, account=steady, occurred_at=at("2026-02-12 00:30", LA))
        await make_deliverable(s, account=steady, due_on=date(2026, 2, 11))  # missed
        await make_deliverable(s, account=steady, due_on=date(2026, 2, 12))  # not due yet
        won = UpsellStatus.WON
        await make_upsell(
            s, account=steady, pitched_on=date(2026, 2, 2), status=won,
            closed_on=date(2026, 2, 11), value="100",
        )  # fmt: skip
        await make_upsell(
            s, account=steady, pitched_on=date(2026, 2, 3), status=won,
            closed_on=date(2026, 2, 12), value="5000",
        )  # fmt: skip
        await make_signal(s, account=steady, recorded_on=date(2026, 2, 11), score=10)
        await make_signal(s, account=steady, recorded_on=date(2026, 2, 12), score=0)
        await make_contract(s, account=steady, end_on=date(2026, 3, 13))  # Wed + 30
        await make_contract(s, account=steady, end_on=date(2026, 3, 14))  # Wed + 31

    report = await report_for(db, team, through=wednesday)

    assert (report.period_start, report.period_end) == (date(2026, 2, 9), wednesday)
    assert report.week_to_date
    kpis = report.kpis
    assert (kpis.accounts_active, kpis.churned_accounts) == (2, 1)
    assert (kpis.meetings, kpis.recap_compliance) == (1, 1.0)
    assert kpis.missed_deadlines == 1
    assert (kpis.upsells_won, kpis.upsell_value_won) == (1, Decimal("100.00"))
    assert kpis.nps_90d == pytest.approx(100.0)
    assert (kpis.renewals_next_30, kpis.renewals_next_90) == (1, 2)


async def test_through_outside_the_week_is_refused(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)

    with pytest.raises(InvalidInput):
        await report_for(db, team, through=date(2026, 2, 16))
    with pytest.raises(InvalidInput):
        await report_for(db, team, through=date(2026, 2, 8))


async def test_full_week_report_is_not_week_to_date(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)

    report = await report_for(db, team)
    assert (report.period_start, report.period_end) == (date(2026, 2, 9), date(2026, 2, 15))
    assert not report.week_to_date
    assert report.week == W07


# --- naming the team, JSON -------------------------------------------------------------------


async def test_team_can_be_named_in_any_case_and_an_unknown_name_suggests_close_ones(
    db: Database,
) -> None:
    async with db.unit_of_work() as s:
        await make_team(s, name="Atlas", timezone=AUCKLAND)

    report = await report_for(db, "  ATLAS ")
    assert (report.team, report.timezone) == ("Atlas", AUCKLAND)
    with pytest.raises(NotFound) as caught:
        await report_for(db, "Atlsa")
    assert caught.value.suggestions == ["Atlas"]
    assert "team" in caught.value.message


async def test_report_json_has_spec_keys_in_order_with_money_as_float(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s, name="Atlas")
        am = await make_user(
            s, team=team, name="Ann", email="Ann@Example.com", seniority=Seniority.SENIOR
        )
        account = await make_account(s, owner=am)
        await make_upsell(
            s, account=account, pitched_on=date(2026, 2, 2), status=UpsellStatus.WON,
            closed_on=date(2026, 2, 10), value="1200.50",
        )  # fmt: skip
    targets = KpiTargets.model_validate({"seniority": {"senior": {"upsells_won": {"min": 2}}}})

    data = (await report_for(db, team, targets=targets)).to_dict()

    assert list(data) == ["team", "week", "kpis", "by_am"]
    assert (data["team"], data["week"]) == ("Atlas", "2026-W07")
    assert list(data["kpis"]) == [
        "accounts_active",
        "churned_accounts",
        "logo_churn_rate_mtd",
        "logo_churn_rate_qtd",
        "revenue_churn_rate_qtd",
        "upsells_won",
        "upsell_value_won",
        "upsell_pitch_coverage_qtd",
        "nps_90d",
        "avg_onboarding_days",
        "missed_deadlines",
        "meetings",
        "recap_compliance",
        "renewals_next_30",
        "renewals_next_90",
        "logo_churn_rate_ytd",
        "open_objections",
        "escalated_objections",
        "steps_done_late",
        "revenue_churn_rate_mtd",
    ]
    assert data["kpis"]["upsell_value_won"] == 1200.5
    assert isinstance(data["kpis"]["upsell_value_won"], float)
    assert data["kpis"]["nps_90d"] is None
    assert data["by_am"] == [
        {
            "user_email": "ann@example.com",
            "name": "Ann",
            "seniority": "senior",
            "kpis": data["kpis"],
            "targets": {"upsells_won": {"min": 2.0}},
            "misses": ["upsells_won"],
        }
    ]
    assert json.loads(json.dumps(data)) == data
