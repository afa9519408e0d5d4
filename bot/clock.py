"""Times of day as people type them: 14:30, 9:05, 9am, 3:30 pm, 12am (midnight)."""

from __future__ import annotations

import re
from datetime import time

CLOCK = r"([0-9]{1,2})(?::([0-9]{2}))? ?(am|pm)?"  # hour, minute, half: for larger patterns
_WHOLE = re.compile(CLOCK, re.IGNORECASE)


def clock_of(
    hour: str, minute: str | None, half: str | None, second: str | None = None
) -> time | None:
    """The time of day of a `CLOCK` match's groups (24-hour, or 12-hour with am/pm); None if
    it is no time ("25:00", "13pm", "15" without minutes or am/pm)."""
    h, m, s = int(hour), int(minute or 0), int(second or 0)
    if half is not None:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half.casefold() == "pm" else 0)
    elif minute is None:
        return None
    if h > 23 or m > 59 or s > 59:
        return None
    return time(h, m, s)


def read_clock(text: str) -> time | None:
    """``text`` as a time of day, or None."""
    match = _WHOLE.fullmatch(" ".join(text.split()))
    return clock_of(*match.groups()) if match else None
