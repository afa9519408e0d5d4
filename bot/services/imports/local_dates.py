"""Dates as a spreadsheet writes them in its locale: 23/02/2026 or 23.02.2026 (day first, as in
most of the world) and 2/23/2026 (month first, as in the US), with a time or not.

Import files hold ISO dates; these are read only in the order the user names (`--dates dmy` or
`--dates mdy`), since 03/02/2026 is either. A file refused for such dates gets a hint naming
the order its dates show, or both when none of them tells. Pure: no database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum


class DateOrder(StrEnum):
    DMY = "dmy"
    MDY = "mdy"

    @property
    def shown(self) -> str:
        return "day/month/year" if self is DateOrder.DMY else "month/day/year"


# 23/02/2026, 23.02.2026 or 2/23/2026; then maybe a time (15:00, 9:05:30) after a space or T.
_LOCAL = re.compile(
    r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(:\d{2}(?:\.\d+)?)?)?"
)


def looks_local(text: str) -> bool:
    return _LOCAL.fullmatch(text) is not None


def as_iso(text: str, order: DateOrder) -> str:
    """``text`` in ISO form (2026-02-23, 2026-02-23 15:00) when it is a local date, or a local
    date and time, in ``order``; any other text unchanged."""
    match = _LOCAL.fullmatch(text)
    if match is None:
        return text
    first, _, second, year, hour, minute, seconds = match.groups()
    day, month = (first, second) if order is DateOrder.DMY else (second, first)
    iso = f"{year}-{int(month):02d}-{int(day):02d}"
    if hour is not None:
        iso += f" {int(hour):02d}:{minute}{seconds or ''}"
    return iso


def order_shown(samples: Sequence[str]) -> tuple[DateOrder | None, str]:
    """The order local dates ``samples`` must be in (a first number over 12 is a day, a second
    one a month), or None when none tells or they disagree; and an example to show."""
    numbers = [(s, _numbers(s)) for s in samples]
    day_first = [s for s, (first, _) in numbers if first > 12]
    month_first = [s for s, (_, second) in numbers if second > 12]
    if day_first and not month_first:
        return DateOrder.DMY, day_first[0]
    if month_first and not day_first:
        return DateOrder.MDY, month_first[0]
    return None, samples[0]


def _numbers(text: str) -> tuple[int, int]:
    match = _LOCAL.fullmatch(text)
    assert match is not None, "only local dates are samples"
    return int(match.group(1)), int(match.group(3))


def local_dates_hint(samples: Sequence[str]) -> str | None:
    """What to do about a file refused for dates written as its spreadsheet's locale does."""
    if not samples:
        return None
    order, example = order_shown(samples)
    if order is None:
        return (
            f"Dates such as “{example}” are day/month/year or month/day/year: import the file "
            "again with --dates dmy or --dates mdy, as your spreadsheet writes them."
        )
    return (
        f"Dates such as “{example}” are written {order.shown}: import the file again with "
        f"--dates {order.value}."
    )
