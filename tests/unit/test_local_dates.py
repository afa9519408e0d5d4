"""Dates as spreadsheets write them in their locale, read only in the order the user names."""

from __future__ import annotations

import pytest

from bot.services.imports.cells import Cells, RowProblem
from bot.services.imports.local_dates import DateOrder, as_iso, local_dates_hint, order_shown
from bot.services.imports.outcome import ImportRejected

DMY, MDY = DateOrder.DMY, DateOrder.MDY


@pytest.mark.parametrize(
    ("text", "order", "iso"),
    [
        ("23/02/2026", DMY, "2026-02-23"),
        ("23.02.2026", DMY, "2026-02-23"),
        ("3/2/2026", DMY, "2026-02-03"),
        ("3/2/2026", MDY, "2026-03-02"),
        ("2/23/2026 9:05", MDY, "2026-02-23 09:05"),
        ("23/02/2026 15:00:30", DMY, "2026-02-23 15:00:30"),
        ("23/02/2026T15:00", DMY, "2026-02-23 15:00"),
        # not a local date: left as written, for the ISO reading and its message
        ("2026-02-23", DMY, "2026-02-23"),
        ("23/02/26", DMY, "23/02/26"),
        ("23/02.2026", DMY, "23/02.2026"),
        ("Acme 1/2/2026", DMY, "Acme 1/2/2026"),
    ],
)
def test_local_dates_become_iso_in_the_order_named(text: str, order: DateOrder, iso: str) -> None:
    assert as_iso(text, order) == iso


def test_the_order_is_told_by_a_number_over_twelve_and_never_guessed() -> None:
    assert order_shown(["03/02/2026", "23/02/2026"]) == (DMY, "23/02/2026")
    assert order_shown(["3/2/2026", "2/23/2026"]) == (MDY, "2/23/2026")
    assert order_shown(["03/02/2026", "04/05/2026"]) == (None, "03/02/2026")
    assert order_shown(["23/02/2026", "02/23/2026"]) == (None, "23/02/2026")  # they disagree
    assert local_dates_hint([]) is None


def test_a_row_reads_local_dates_only_with_an_order_and_keeps_refused_ones_for_the_hint() -> None:
    cells = {"started_on": "23/02/2026", "occurred_at": "2/3/2026 14:30"}
    plain = Cells(2, cells)
    assert (plain.day("started_on"), plain.moment("occurred_at")) == (None, None)
    assert plain.local_dates == ["23/02/2026", "2/3/2026 14:30"]
    assert [str(p) for p in plain.problems] == [
        "line 2: started_on: not a date (expected YYYY-MM-DD): '23/02/2026' (see the note on "
        "dates below)",
        "line 2: occurred_at: not a date and time (expected e.g. 2026-03-02T15:00:00+01:00): "
        "'2/3/2026 14:30' (see the note on dates below)",
    ]
    day_first = Cells(2, cells, DMY)
    assert str(day_first.day("started_on")) == "2026-02-23"
    assert str(day_first.moment("occurred_at")) == "2026-03-02 14:30:00"  # naive: a wall clock
    assert day_first.problems == [] and day_first.local_dates == []
    month_first = Cells(2, cells, MDY)
    assert month_first.day("started_on") is None
    assert [str(p) for p in month_first.problems] == [
        "line 2: started_on: not a date in month/day/year: '23/02/2026'"
    ]
    assert local_dates_hint(month_first.local_dates) == (
        "Dates such as “23/02/2026” are written day/month/year: import the file again with "
        "--dates dmy."
    )


def test_a_file_refused_for_dates_and_more_says_both_what_to_pass_and_what_to_fix() -> None:
    dates = RowProblem(2, "started_on", "not a date (expected YYYY-MM-DD): '23/02/2026'")
    stage = RowProblem(3, "stage", "unknown value 'paused'")
    only_dates = ImportRejected("a.csv", [dates], local_dates=["23/02/2026"])
    assert only_dates.hint == (
        "Dates such as “23/02/2026” are written day/month/year: import the file again with "
        "--dates dmy."
    )
    both = ImportRejected("a.csv", [dates, stage], local_dates=["23/02/2026"])
    assert both.hint == only_dates.hint + " Fix the other lines listed first."
    neither = ImportRejected("a.csv", [stage])
    assert neither.hint == "Fix every line listed and import the whole file again."
