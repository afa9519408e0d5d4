"""KPI edges beyond test_kpis.py, worked out by hand: a week across a quarter change, the
autumn daylight-saving change, the new year, and churn on the week's first day."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.kpis import IsoWeek
from storage.db import Database
from tests.integration.builders import at, make_account, make_meeting, make_team, make_user
from tests.integration.test_kpis import LA, report_for

START = date(2025, 1, 6)


async def test_week_across_a_quarter_change_uses_the_quarter_of_its_sunday(db: Database) -> None:
    # W14 is Mon 2026-03-30 to Sun 2026-04-05: the month is April, the quarter starts 04-01.
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        for churned_on, mrr in (
            (date(2026, 3, 31), 400),  # in the week, but in Q1: not in the QTD/MTD numbers
            (date(2026, 4, 1), 200),  # the quarter's and month's first day
            (date(2026, 4, 5), 300),  # the week's last day
            (None, 400),
        ):
            await make_account(s, owner=am, started_on=START, churned_on=churned_on, mrr=mrr)

    kpis = (await report_for(db, team, week=IsoWeek(2026, 14))).kpis
    assert kpis.churned_accounts == 3
    assert kpis.accounts_active == 1
    assert kpis.logo_churn_rate_qtd == pytest.approx(2 / 3)  # 04-01, 04-05 over those + open
    assert kpis.logo_churn_rate_mtd == pytest.approx(2 / 3)
    assert kpis.revenue_churn_rate_qtd == pytest.approx(500 / 900)


async def test_week_one_of_a_year_starting_in_december_uses_januarys_quarter(
    db: Database,
) -> None:
    # 2026-W01 is Mon 2025-12-29 to Sun 2026-01-04: the quarter and month start 2026-01-01.
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        await make_account(s, owner=am, started_on=START, churned_on=date(2025, 12, 30))
        await make_account(s, owner=am, started_on=START, churned_on=date(2026, 1, 2))
        await make_account(s, owner=am, started_on=START)

    kpis = (await report_for(db, team, week=IsoWeek(2026, 1))).kpis
    assert kpis.churned_accounts == 2
    assert kpis.logo_churn_rate_qtd == pytest.approx(1 / 2)


async def test_account_churned_on_the_weeks_monday_is_churned_in_that_week(db: Database) -> None:
    async with db.unit_of_work() as s:
        team = await make_team(s)
        am = await make_user(s, team=team)
        await make_account(s, owner=am, started_on=START, churned_on=date(2026, 2, 9))
        await make_account(s, owner=am, started_on=START, churned_on=date(2026, 2, 8))

    kpis = (await report_for(db, team)).kpis  # W07: Mon 02-09 to Sun 02-15
    assert kpis.churned_accounts == 1
    assert kpis.accounts_active == 0


async def test_week_bounds_follow_the_autumn_clock_change_in_los_angeles(db: Database) -> None:
    # W44 is Mon 2026-10-26 (PDT, UTC-7) to Sun 2026-11-01 (PST from 02:00, UTC-8).
    async with db.unit_of_work() as s:
        team = await make_team(s, timezone=LA)
        account = await make_account(s, owner=await make_user(s, team=team))
        for local in (
            "2026-10-25 23:59",  # out: the Sunday before
            "2026-10-26 00:00",  # in: 07:00 UTC
            "2026-11-01 23:30",  # in: Monday 07:30 UTC (a fixed UTC-7 would drop it)
            "2026-11-02 00:00",  # out: 08:00 UTC
        ):
            await make_meeting(s, account=account, occurred_at=at(local, LA))

    assert (await report_for(db, team, week=IsoWeek(2026, 44))).kpis.meetings == 2
