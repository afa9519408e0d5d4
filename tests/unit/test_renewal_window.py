"""renewal_window: which reminder window a contract with N days left falls in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.nudges import renewal_window

DEFAULT_WINDOWS = (90, 60, 30, 14, 7)


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (0, 7),
        (1, 7),
        (7, 7),
        (8, 14),
        (14, 14),
        (15, 30),
        (30, 30),
        (31, 60),
        (60, 60),
        (61, 90),
        (90, 90),
    ],
)
def test_days_left_falls_in_the_smallest_window_that_covers_it(
    days_left: int, expected: int
) -> None:
    assert renewal_window(days_left, DEFAULT_WINDOWS) == expected


@pytest.mark.parametrize("days_left", [-1, -30, 91, 365])
def test_days_left_outside_zero_to_largest_window_has_no_window(days_left: int) -> None:
    assert renewal_window(days_left, DEFAULT_WINDOWS) is None


def test_window_order_in_the_setting_does_not_matter() -> None:
    assert renewal_window(20, (7, 30, 14, 90, 60)) == 30


def test_custom_windows_use_their_own_edges() -> None:
    windows = (45, 10)
    assert renewal_window(0, windows) == 10
    assert renewal_window(10, windows) == 10
    assert renewal_window(11, windows) == 45
    assert renewal_window(45, windows) == 45
    assert renewal_window(46, windows) is None


def test_single_window_covers_everything_up_to_it() -> None:
    assert renewal_window(0, (30,)) == 30
    assert renewal_window(30, (30,)) == 30
    assert renewal_window(31, (30,)) is None


def test_no_windows_means_no_renewal_nudges() -> None:
    assert renewal_window(5, ()) is None


@given(
    windows=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=8).map(tuple),
    days_left=st.integers(min_value=-50, max_value=500),
)
def test_result_is_the_smallest_window_at_or_above_days_left(
    windows: tuple[int, ...], days_left: int
) -> None:
    result = renewal_window(days_left, windows)
    if 0 <= days_left <= max(windows):
        assert result is not None
        assert result in windows
        assert result >= days_left
        assert not [w for w in windows if days_left <= w < result]
    else:
        assert result is None
