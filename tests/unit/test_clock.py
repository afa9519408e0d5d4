"""Times of day as people type them, in chat (`settings time`, `meeting NAME friday 3pm`) and in
the NUDGE_TIME and DIGEST_TIME settings."""

from __future__ import annotations

from datetime import time

import pytest
from pydantic import ValidationError

from bot.clock import read_clock
from bot.settings import Settings, check_clock_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9:05", time(9, 5)),
        ("09:05", time(9, 5)),
        ("23:59", time(23, 59)),
        ("0:00", time(0, 0)),
        ("9am", time(9, 0)),
        ("9 AM", time(9, 0)),
        ("3:30pm", time(15, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        (" 7 pm ", time(19, 0)),
    ],
)
def test_a_time_of_day_is_read_in_24_or_12_hours(text: str, expected: time) -> None:
    assert read_clock(text) == expected


@pytest.mark.parametrize("text", ["", "15", "24:00", "9:60", "13pm", "0am", "9.30", "nine", "9:5"])
def test_what_is_not_a_time_of_day_is_none(text: str) -> None:
    assert read_clock(text) is None


def test_a_setting_stores_the_time_as_hh_mm_and_names_itself_when_wrong() -> None:
    assert check_clock_time("8:30am", "The nudge time") == "08:30"
    with pytest.raises(ValueError, match="The nudge time must be a time of day like 09:00 or 9am"):
        check_clock_time("25:00", "The nudge time")


def test_nudge_and_digest_times_in_the_environment_read_the_same_way() -> None:
    settings = Settings(_env_file=None, nudge_time="8am", digest_time="Monday 9:30 am")  # type: ignore[call-arg]
    assert (settings.nudge_time, settings.digest_time) == ("08:00", "mon 09:30")
    with pytest.raises(ValidationError, match="NUDGE_TIME must be a time of day"):
        Settings(_env_file=None, nudge_time="13pm")  # type: ignore[call-arg]
