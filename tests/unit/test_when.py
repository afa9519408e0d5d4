"""parse_when: the "when" of `/account meeting NAME [when]`, read in the person's timezone.

Unless a test says otherwise it is Tuesday 2026-03-10 15:00 UTC, which is 11:00 in New York
(EDT, UTC-4: DST started on Sunday 2026-03-08 at 02:00 local).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.formatting import utc_minute
from bot.services.when import local_today, parse_when, typed_when, zone_or_utc

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
NY = "America/New_York"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "   ", "now", "NOW", " Now "])
def test_blank_or_now_is_now(text: str) -> None:
    assert parse_when(text, now=NOW, tz=NY) == NOW


def test_today_alone_is_now() -> None:
    assert parse_when("today", now=NOW, tz=NY) == NOW


def test_result_is_utc_aware() -> None:
    parsed = parse_when("2026-03-09 14:00", now=NOW, tz=NY)
    assert parsed.tzinfo is UTC
    assert parsed == utc(2026, 3, 9, 18, 0)


def test_yesterday_alone_is_the_same_local_clock_time_a_day_earlier() -> None:
    assert parse_when("yesterday", now=NOW, tz=NY) == utc(2026, 3, 9, 15, 0)


def test_yesterday_across_spring_forward_keeps_the_wall_clock_so_is_23_hours_back() -> None:
    # Sunday 2026-03-08 12:00 EDT (16:00 UTC); Saturday 12:00 was EST (UTC-5) = 17:00 UTC.
    now = utc(2026, 3, 8, 16, 0)
    assert parse_when("yesterday", now=now, tz=NY) == utc(2026, 3, 7, 17, 0)


def test_today_with_a_time_is_that_local_time_today() -> None:
    assert parse_when("today 14:30", now=NOW, tz=NY) == utc(2026, 3, 10, 18, 30)


def test_yesterday_with_a_single_digit_hour() -> None:
    assert parse_when("yesterday 9:00", now=NOW, tz=NY) == utc(2026, 3, 9, 13, 0)


def test_at_between_day_and_time_is_allowed_and_case_is_ignored() -> None:
    assert parse_when("Yesterday at 09:05", now=NOW, tz=NY) == utc(2026, 3, 9, 13, 5)


def test_today_uses_the_local_date_not_the_utc_date() -> None:
    # 2026-03-11 02:00 UTC is still 2026-03-10 (22:00) in New York.
    late = utc(2026, 3, 11, 2, 0)
    assert parse_when("today 09:00", now=late, tz=NY) == utc(2026, 3, 10, 13, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h ago", utc(2026, 3, 10, 13, 0)),
        ("90m ago", utc(2026, 3, 10, 13, 30)),
        ("3 days ago", utc(2026, 3, 7, 15, 0)),
        ("1 hour ago", utc(2026, 3, 10, 14, 0)),
        ("45 minutes ago", utc(2026, 3, 10, 14, 15)),
        ("2 hrs ago", utc(2026, 3, 10, 13, 0)),
        ("1d ago", utc(2026, 3, 9, 15, 0)),
        ("0m ago", NOW),
        ("2 weeks ago", utc(2026, 2, 24, 15, 0)),
    ],
)
def test_relative_times_subtract_exact_durations(text: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW, tz=NY) == expected


def test_days_ago_across_dst_is_an_exact_number_of_hours() -> None:
    # 3 days before 11:00 EDT on Tuesday is 10:00 EST on Saturday: 72 hours, not wall clock.
    assert NOW - parse_when("3 days ago", now=NOW, tz=NY) == timedelta(hours=72)


@given(minutes=st.integers(min_value=0, max_value=999_999))
def test_minutes_ago_is_now_minus_that_many_minutes(minutes: int) -> None:
    assert parse_when(f"{minutes}m ago", now=NOW, tz=NY) == NOW - timedelta(minutes=minutes)


@given(minutes=st.integers(min_value=0, max_value=364 * 24 * 60))
def test_a_meeting_time_as_shown_to_type_or_on_a_button_reads_back_to_the_same_minute(
    minutes: int,
) -> None:
    moment = NOW - timedelta(minutes=minutes)
    assert parse_when(utc_minute(moment), now=NOW, tz=NY) == moment  # buttons: always
    local = moment.astimezone(zone_or_utc(NY))
    twice = local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()
    if not twice:  # typed local times: but for the hour a fall-back day repeats
        assert parse_when(typed_when(moment, NY), now=NOW, tz=NY) == moment


def test_only_the_utc_form_names_the_second_of_a_repeated_hour() -> None:
    second = utc(2025, 11, 2, 6, 30)  # 01:30 EST, after 01:30 EDT (05:30 UTC)
    assert typed_when(second, NY) == "2025-11-02 01:30"
    assert parse_when(typed_when(second, NY), now=NOW, tz=NY) == utc(2025, 11, 2, 5, 30)
    assert parse_when(utc_minute(second), now=NOW, tz=NY) == second


def test_iso_date_is_noon_local_time() -> None:
    # 2026-11-20 is after DST ends, so New York is EST (UTC-5).
    assert parse_when("2026-11-20", now=NOW, tz=NY) == utc(2026, 11, 20, 17, 0)


@pytest.mark.parametrize(
    "text", ["2026-11-20 14:00", "2026-11-20T14:00", "2026-11-20t14:00", "2026-11-20 14:00:00"]
)
def test_iso_datetime_without_offset_is_local_time(text: str) -> None:
    assert parse_when(text, now=NOW, tz=NY) == utc(2026, 11, 20, 19, 0)


def test_iso_datetime_with_single_digit_hour() -> None:
    assert parse_when("2026-11-20 9:00", now=NOW, tz=NY) == utc(2026, 11, 20, 14, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T14:00+02:00", utc(2026, 11, 20, 12, 0)),
        ("2026-11-20T14:00-0330", utc(2026, 11, 20, 17, 30)),
        ("2026-11-20T14:00Z", utc(2026, 11, 20, 14, 0)),
        ("2026-11-20 14:00:30+00:00", utc(2026, 11, 20, 14, 0, 30)),
    ],
)
def test_iso_datetime_with_offset_uses_the_offset_not_the_timezone(
    text: str, expected: datetime
) -> None:
    assert parse_when(text, now=NOW, tz=NY) == expected


def test_local_time_skipped_by_spring_forward_uses_the_offset_before_the_change() -> None:
    # 02:30 does not exist in New York on 2026-03-08; it is read as 02:30 EST (UTC-5).
    assert parse_when("2026-03-08 02:30", now=NOW, tz=NY) == utc(2026, 3, 8, 7, 30)


def test_local_time_repeated_by_fall_back_is_the_first_occurrence() -> None:
    # 01:30 happens twice in New York on 2026-11-01; the first is EDT (UTC-4).
    assert parse_when("2026-11-01 01:30", now=NOW, tz=NY) == utc(2026, 11, 1, 5, 30)


def test_unknown_timezone_reads_local_times_as_utc() -> None:
    assert parse_when("today 14:30", now=NOW, tz="Mars/Olympus") == utc(2026, 3, 10, 14, 30)


def test_other_timezone_east_of_utc() -> None:
    # Berlin is UTC+1 in March before 2026-03-29.
    assert parse_when("today 09:00", now=NOW, tz="Europe/Berlin") == utc(2026, 3, 10, 8, 0)


@pytest.mark.parametrize(
    "text",
    [
        "next week",
        "next friday",
        "last",
        "15",
        "13pm",
        "0am",
        "friday 25:00",
        "frday 10:00",
        "2h",
        "ago",
        "-2h ago",
        "2 months ago",
        "13/11/2026",
        "2026-02-30",
        "2026-13-01",
        "2026-11-20 25:00",
        "2026-11-20 14:60",
        "today 24:00",
        "today 9:60",
        "today 14",
        "2026-11-20T14:00+25:00",
        "12345678m ago",
        "yesterday yesterday",
    ],
)
def test_unreadable_text_is_invalid_input_with_examples(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_when(text, now=NOW, tz=NY)
    assert "`2h ago`" in caught.value.message
    assert "`2026-11-20 14:00`" in caught.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("999999 days ago", "is more than a year ago"),
        ("999999 weeks ago", "is more than a year ago"),
        ("0001-01-01 00:00", "is more than a year ago"),
        ("0001-01-01", "is more than a year ago"),
        ("1000-06-01T10:00+14:00", "is more than a year ago"),
        ("9999-12-31 23:59", "is in the future"),
        ("9999-12-31T23:59-12:00", "is in the future"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_get_the_one_year_rules_answer(
    text: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_when(text, now=NOW, tz=NY)
    assert f"{text} {words}" in caught.value.message


def test_error_quotes_what_was_typed() -> None:
    with pytest.raises(InvalidInput, match="“next tuesday”"):
        parse_when("next tuesday", now=NOW, tz=NY)


def test_very_long_text_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_when("x" * 500, now=NOW, tz=NY)
    assert "xxxx" not in caught.value.message


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("now", now=datetime(2026, 3, 10, 15, 0), tz=NY)


def test_local_today_is_the_date_in_that_timezone() -> None:
    late = utc(2026, 3, 11, 2, 0)
    assert local_today(late, NY).isoformat() == "2026-03-10"
    assert local_today(late, "Europe/Berlin").isoformat() == "2026-03-11"
    assert local_today(late, None).isoformat() == "2026-03-11"


def test_zone_or_utc_falls_back_to_utc_for_unknown_or_missing_names() -> None:
    assert zone_or_utc("Nowhere/Special").key == "UTC"
    assert zone_or_utc("").key == "UTC"
    assert zone_or_utc(NY).key == NY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("friday 15:00", utc(2026, 3, 6, 20, 0)),  # EST before Sunday's change: UTC-5
        ("Friday at 3pm", utc(2026, 3, 6, 20, 0)),
        ("sunday at 3:30 pm", utc(2026, 3, 8, 19, 30)),  # EDT from that morning
        ("tuesday 9am", utc(2026, 3, 10, 13, 0)),  # today is Tuesday
        ("last tuesday 9am", utc(2026, 3, 3, 14, 0)),  # the one before today
        ("monday", utc(2026, 3, 9, 15, 0)),  # its day at the same clock time, as yesterday
        ("tuesday", NOW),
        ("9:30", utc(2026, 3, 10, 13, 30)),  # a time alone is today's
        ("at 9am", utc(2026, 3, 10, 13, 0)),
        ("12am", utc(2026, 3, 10, 4, 0)),
        ("12pm", utc(2026, 3, 10, 16, 0)),
        ("yesterday 11 PM", utc(2026, 3, 10, 3, 0)),
        ("fri 3pm", utc(2026, 3, 6, 20, 0)),  # as people shorten them
        ("thurs 9:30", utc(2026, 3, 5, 14, 30)),
        ("last tues", utc(2026, 3, 3, 16, 0)),
    ],
)
def test_weekdays_and_times_of_day_as_people_type_them(text: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW, tz=NY) == expected


@pytest.mark.parametrize("text", ["tomorrow", "tomorrow 10:00", "Tomorrow at 9am"])
def test_tomorrow_is_read_and_refused_as_the_future(text: str) -> None:
    with pytest.raises(InvalidInput, match="is in the future; log a meeting once it has started"):
        parse_when(text, now=NOW, tz=NY)
