"""ISO weeks: the periods KPIs and digests are reported for (Monday to Sunday)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.errors import InvalidInput
from bot.services.when import local_today

_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)
_WEEK_HINT = "Write an ISO week like 2026-W07: the year, W, and the week number (01 to 53)."


def weeks_in_iso_year(year: int) -> int:
    """52 or 53: December 28th always falls in the last ISO week of its year."""
    return date(year, 12, 28).isocalendar().week


@dataclass(frozen=True, slots=True, order=True)
class IsoWeek:
    """An ISO 8601 week: Monday to Sunday, week 1 being the week with the year's first Thursday."""

    year: int
    week: int

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9998 or not 1 <= self.week <= weeks_in_iso_year(self.year):
            raise ValueError(f"no ISO week {self.week} in {self.year}")

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``"2026-W07"`` (also ``2026-w7``, ``2026W07``); anything else is InvalidInput."""
        match = _ISO_WEEK.fullmatch(text.strip())
        if match is None:
            raise InvalidInput(f"“{text}” is not an ISO week.", hint=_WEEK_HINT)
        year, week = int(match[1]), int(match[2])
        if not 1 <= year <= 9998:
            raise InvalidInput(f"“{text}” is not an ISO week.", hint=_WEEK_HINT)
        if not 1 <= week <= weeks_in_iso_year(year):
            raise InvalidInput(
                f"{year} has no week {week}: it has {weeks_in_iso_year(year)} ISO weeks.",
                hint=_WEEK_HINT,
            )
        return cls(year, week)

    @classmethod
    def containing(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_completed(cls, today: date) -> IsoWeek:
        """The latest week whose Sunday is before ``today`` (today's week is still running)."""
        return cls.containing(today - timedelta(days=7))

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def last_day(self) -> date:
        return date.fromisocalendar(self.year, self.week, 7)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def digest_week(timezone: str, now: datetime) -> IsoWeek:
    """The digest's default: the last completed ISO week in ``timezone`` as of ``now``."""
    return IsoWeek.last_completed(local_today(now, timezone))
