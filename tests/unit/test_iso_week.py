"""ISO weeks: parsing, Monday-to-Sunday bounds, 53-week years and the digest's default week."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import InvalidInput
from bot.services.kpis import IsoWeek, digest_week


def test_parse_reads_year_and_week_and_prints_back_the_same_text() -> None:
    week = IsoWeek.parse("2026-W07")
    assert week == IsoWeek(2026, 7)
    assert str(week) == "2026-W07"


@pytest.mark.parametrize("text", ["2026-w07", "2026-W7", "2026W07", "  2026-W07  "])
def test_parse_accepts_lowercase_w_missing_padding_or_dash_and_surrounding_spaces(
    text: str,
) -> None:
    assert IsoWeek.parse(text) == IsoWeek(2026, 7)


def test_week_runs_monday_to_sunday() -> None:
    week = IsoWeek(2026, 7)
    assert week.first_day == date(2026, 2, 9)
    assert week.first_day.isoweekday() == 1
    assert week.last_day == date(2026, 2, 15)
    assert week.last_day.isoweekday() == 7


def test_week_one_can_start_in_the_previous_calendar_year() -> None:
    # 2026-01-01 is a Thursday, so week 1 is the week of Monday 2025-12-29.
    week = IsoWeek(2026, 1)
    assert week.first_day == date(2025, 12, 29)
    assert week.last_day == date(2026, 1, 4)


def test_year_with_53_weeks_has_a_week_53_reaching_into_the_next_year() -> None:
    week = IsoWeek.parse("2026-W53")
    assert week.first_day == date(2026, 12, 28)
    assert week.last_day == date(2027, 1, 3)


def test_week_53_of_a_52_week_year_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidInput) as caught:
        IsoWeek.parse("2025-W53")
    assert "52" in caught.value.message
    assert caught.value.hint is not None and "2026-W07" in caught.value.hint


@pytest.mark.parametrize(
    "text",
    ["", "2026", "2026-07", "W07", "2026-W00", "2026-W54", "26-W07", "2026-W07-1", "next week"],
)
def test_malformed_week_is_refused_with_a_hint_showing_the_format(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        IsoWeek.parse(text)
    assert caught.value.hint is not None and "2026-W07" in caught.value.hint


def test_constructing_an_impossible_week_directly_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        IsoWeek(2025, 53)
    with pytest.raises(ValueError):
        IsoWeek(2026, 0)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 9), IsoWeek(2026, 7)),  # Monday
        (date(2026, 2, 15), IsoWeek(2026, 7)),  # Sunday
        (date(2026, 2, 16), IsoWeek(2026, 8)),  # next Monday
        (date(2027, 1, 1), IsoWeek(2026, 53)),  # a Friday in January, still 2026's week 53
        (date(2024, 12, 30), IsoWeek(2025, 1)),  # a Monday in December, already 2025's week 1
        (date(2021, 1, 3), IsoWeek(2020, 53)),
    ],
)
def test_containing_finds_the_iso_week_of_a_day(day: date, expected: IsoWeek) -> None:
    assert IsoWeek.containing(day) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 2, 16), IsoWeek(2026, 7)),  # Monday: last week just ended
        (date(2026, 2, 15), IsoWeek(2026, 6)),  # Sunday: this week is not over yet
        (date(2026, 2, 11), IsoWeek(2026, 6)),
        (date(2027, 1, 4), IsoWeek(2026, 53)),  # Monday after a week 53
        (date(2026, 1, 1), IsoWeek(2025, 52)),  # New Year's Day inside 2026-W01
    ],
)
def test_last_completed_is_the_latest_week_whose_sunday_has_passed(
    today: date, expected: IsoWeek
) -> None:
    assert IsoWeek.last_completed(today) == expected


def test_weeks_order_by_year_then_week() -> None:
    assert IsoWeek(2025, 52) < IsoWeek(2026, 1) < IsoWeek(2026, 2)


def test_digest_week_uses_the_team_timezone_to_decide_which_week_is_over() -> None:
    # 05:00 UTC on Monday 2026-02-16 is still Sunday 21:00 in Los Angeles.
    now = datetime(2026, 2, 16, 5, 0, tzinfo=UTC)
    assert digest_week("UTC", now) == IsoWeek(2026, 7)
    assert digest_week("America/Los_Angeles", now) == IsoWeek(2026, 6)
    # 12:00 UTC on Sunday 2026-02-15 is already Monday 01:00 in Auckland.
    sunday_noon = datetime(2026, 2, 15, 12, 0, tzinfo=UTC)
    assert digest_week("UTC", sunday_noon) == IsoWeek(2026, 6)
    assert digest_week("Pacific/Auckland", sunday_noon) == IsoWeek(2026, 7)
