"""“Why it changed” on hand-built weeks (no database): tallies per AM and per account as the KPI
queries would give them, the lines the digest writes from them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from bot.services.kpis.definitions import kpis_from_tally
from bot.services.kpis.reasons import Evidence, moved, reasons
from bot.services.kpis.tally import Period, Tally

W06 = Period(date(2026, 2, 2), date(2026, 2, 8), "UTC")
W07 = Period(date(2026, 2, 9), date(2026, 2, 15), "UTC")
W14 = Period(date(2026, 3, 30), date(2026, 4, 5), "UTC")  # ends in a new month and quarter
ACCOUNTS = {1: "Acme", 2: "Globex", 3: "Initech", 4: "Kestrel Foods", 5: "Umbrella"}


def evidence(
    now: dict[int, Tally],
    before: dict[int, Tally],
    *,
    period: Period = W07,
    previous_period: Period = W06,
) -> Evidence:
    """Account tallies; each account's owner is person 10 + its id."""
    return Evidence(
        current=kpis_from_tally(sum(now.values(), Tally())),
        previous=kpis_from_tally(sum(before.values(), Tally())),
        period=period,
        previous_period=previous_period,
        by_person={10 + a: t for a, t in now.items()},
        by_person_before={10 + a: t for a, t in before.items()},
        by_account=now,
        by_account_before=before,
        people={10 + a: f"AM of {name}" for a, name in ACCOUNTS.items()},
        accounts=ACCOUNTS,
        mrr={a: Decimal(1000 * a) for a in ACCOUNTS},
        onboardings={},
    )


def lines(ev: Evidence, *keys: str) -> list[str]:
    return [reason.text for reason in reasons(ev, keys)]


def test_a_fall_names_whose_rows_made_it() -> None:
    before = {1: Tally(meetings=5, meetings_recapped_in_time=5)}
    now = {
        1: Tally(meetings=4, meetings_recapped_in_time=1),
        2: Tally(meetings=6, meetings_recapped_in_time=6),
    }
    assert lines(evidence(now, before), "recap_compliance") == [
        "Recaps within 24 h fell from 100% to 70%: all 3 late recaps were AM of Acme's"
    ]
    now[3] = Tally(meetings=2, meetings_recapped_in_time=1)
    assert lines(evidence(now, before), "recap_compliance") == [
        "Recaps within 24 h fell from 100% to 67%: 3 of the 4 late recaps were AM of Acme's"
    ]


def test_a_rise_says_what_it_is_made_of() -> None:
    before = {4: Tally()}
    now = {4: Tally(missed_deadlines=3), 1: Tally()}
    assert lines(evidence(now, before), "missed_deadlines") == [
        "Missed deadlines rose from 0 to 3: all on Kestrel Foods"
    ]
    now = {4: Tally(missed_deadlines=2), 1: Tally(missed_deadlines=1), 2: Tally(missed_deadlines=1)}
    assert lines(evidence(now, before), "missed_deadlines") == [
        "Missed deadlines rose from 0 to 4: 2 on Kestrel Foods, 1 on Acme and 1 more account"
    ]
    now = {a: Tally(missed_deadlines=1) for a in (1, 2, 3, 5)}
    assert lines(evidence(now, before), "missed_deadlines") == [
        "Missed deadlines rose from 0 to 4: one each on Acme, Globex, Initech and 1 more"
    ]


def test_a_fall_says_what_is_left_and_a_fall_to_nothing_says_no_more() -> None:
    before = {4: Tally(missed_deadlines=3), 1: Tally(missed_deadlines=1)}
    now = {4: Tally(), 1: Tally(missed_deadlines=1)}
    assert lines(evidence(now, before), "missed_deadlines") == [
        "Missed deadlines fell from 4 to 1: now on Acme"
    ]
    assert lines(evidence({4: Tally()}, before), "missed_deadlines") == [
        "Missed deadlines fell from 4 to 0"
    ]


def test_a_kpi_that_does_not_move_or_moves_under_its_threshold_has_no_line() -> None:
    same = {1: Tally(missed_deadlines=2, meetings=40, meetings_recapped_in_time=38)}
    slightly = {1: Tally(missed_deadlines=2, meetings=40, meetings_recapped_in_time=37)}
    assert lines(evidence(slightly, same), "missed_deadlines", "recap_compliance") == []
    assert not moved("recap_compliance", 0.9, 0.94)
    assert moved("recap_compliance", 0.9, 0.95)  # exactly the 5-point threshold moves


def test_without_a_value_in_either_week_there_is_no_line() -> None:
    now = {1: Tally(meetings=3, meetings_recapped_in_time=1)}
    assert lines(evidence(now, {1: Tally()}), "recap_compliance", "nps_90d") == []


def test_churn_names_who_churned_and_a_new_quarter_explains_a_fall() -> None:
    start = {"active_at_quarter_start": 4, "mrr_at_quarter_start": Decimal(8000)}
    before = {1: Tally(**start)}
    now = {
        1: Tally(**start),
        2: Tally(churned_in_period=1, churned_qtd=1, churned_mrr_qtd=Decimal(2000)),
    }
    assert lines(evidence(now, before), "logo_churn_rate_qtd", "revenue_churn_rate_qtd") == [
        "Logo churn, quarter to date rose from 0.0% to 25.0%: Globex churned",
        "Revenue churn, quarter to date rose from 0.0% to 25.0%: Globex churned ($2,000 MRR)",
    ]
    fresh = {1: Tally(active_at_quarter_start=5)}
    old = {1: Tally(active_at_quarter_start=5, churned_qtd=1)}
    assert lines(evidence(fresh, old, period=W14, previous_period=W07), "logo_churn_rate_qtd") == [
        "Logo churn, quarter to date fell from 20.0% to 0.0%: a new quarter began on 01 Apr"
    ]


def test_accounts_coming_into_a_window_or_gaining_objections_are_named() -> None:
    before = {1: Tally(renewals_next_30=0, open_objections=1), 2: Tally(renewals_next_30=1)}
    now = {1: Tally(renewals_next_30=1, open_objections=0), 2: Tally(renewals_next_30=1)}
    assert lines(evidence(now, before), "renewals_next_30", "open_objections") == [
        "Renewals in the next 30 days rose from 1 to 2: Acme now renewing within 30 days",
        "Open objections fell from 1 to 0: resolved on Acme",
    ]


def test_an_onboarding_finished_in_a_day_says_one_day() -> None:
    before = {3: Tally(onboarding_days=9, onboarded_accounts=1)}
    now = {
        3: Tally(onboarding_days=9, onboarded_accounts=1),
        5: Tally(onboarding_days=1, onboarded_accounts=1),
    }
    ev = evidence(now, before)
    ev = replace(ev, onboardings={5: (date(2026, 2, 10), date(2026, 2, 11))})
    assert lines(ev, "avg_onboarding_days") == [
        "Average onboarding days fell from 9 to 5: Umbrella took 1 day"
    ]
