"""Value formatting shared by every surface's templates: money, percentages, days, times."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def typed_clean(value: str) -> str:
    """What a person typed, without the control characters no text column may hold (NUL is
    refused by PostgreSQL) and no one means to type; line breaks and tabs are kept."""
    return _UNSTORABLE.sub("", value)


def money(value: object) -> str:
    if value is None:
        return "—"
    amount = Decimal(str(value))
    return f"${amount:,.0f}" if amount == amount.to_integral() else f"${amount:,.2f}"


def pct(value: object, digits: int = 0) -> str:
    return "—" if value is None else f"{float(str(value)) * 100:.{digits}f}%"


def number(value: object, digits: int = 1) -> str:
    if value is None:
        return "—"
    as_float = float(str(value))
    return f"{as_float:.0f}" if as_float.is_integer() else f"{as_float:.{digits}f}"


FAR_DAYS = 183  # a date further than about six months from today shows its year


def _far(value: date, today: date | None) -> bool:
    return today is not None and abs((value - today).days) > FAR_DAYS


def day(value: date | datetime | None, fmt: str = "%a %d %b %Y") -> str:
    return "—" if value is None else value.strftime(fmt)


def short_day(
    value: date | datetime | None, today: date | None = None, *, weekday: bool = True
) -> str:
    """`Mon 13 Apr` (`13 Apr` without the weekday), with the year when it is more than about
    six months from today."""
    if value is None:
        return "—"
    on = value.date() if isinstance(value, datetime) else value
    fmt = ("%a " if weekday else "") + ("%d %b %Y" if _far(on, today) else "%d %b")
    return value.strftime(fmt)


def local_time(
    value: datetime | None, tz: str = "UTC", fmt: str | None = None, today: date | None = None
) -> str:
    """The moment in ``tz``: `Mon 02 Mar 15:00`, with the year when it is far from today."""
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(tz))
    chosen = fmt or ("%a %d %b %Y %H:%M" if _far(local.date(), today) else "%a %d %b %H:%M")
    return local.strftime(chosen)


def utc_minute(value: datetime | str | None) -> str:
    """A moment (or its ISO text) as a command's time, in UTC to the minute:
    `2026-03-02T14:00Z`, which names the same minute whatever the reader's time zone."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def truncate_text(value: object, length: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= length else text[: max(length - 1, 0)] + "…"


def chunks(value: object, size: int) -> list[str]:
    """Split text into pieces of at most ``size`` characters, at line breaks where possible."""
    pieces: list[str] = []
    current = ""
    for line in ("" if value is None else str(value)).splitlines(keepends=True):
        while len(line) > size:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:size])
            line = line[size:]
        if len(current) + len(line) > size:
            pieces.append(current)
            current = ""
        current += line
    if current:
        pieces.append(current)
    return [piece.rstrip("\n") for piece in pieces]


def count_of(value: object, noun: str, plural: str | None = None) -> str:
    """`3|count_of("meeting")` -> "3 meetings"; 1 -> "1 meeting"."""
    n = 0 if value is None else int(str(value))
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def in_days(days: object) -> str:
    """Days from today in words: 0 -> "today", 1 -> "in 1 day", 40 -> "in 40 days", -3 -> "3
    days ago"."""
    n = 0 if days is None else int(str(days))
    if n == 0:
        return "today"
    return f"in {count_of(n, 'day')}" if n > 0 else f"{count_of(-n, 'day')} ago"


def zone_city(name: object) -> str:
    """A time zone as people say it: "Pacific/Auckland" -> "Auckland", "America/Argentina/
    Buenos_Aires" -> "Buenos Aires", "UTC" -> "UTC"."""
    return str(name or "UTC").rsplit("/", 1)[-1].replace("_", " ")


def hours_ago(hours: object) -> str:
    """How long ago, in words: hours under two days ("5 hours"), else days ("13 days")."""
    n = 0 if hours is None else int(str(hours))
    if n >= 48:
        return f"{n // 24} days"
    return f"{n} hour" if n == 1 else f"{n} hours"


def duration(value: object) -> str:
    """A timedelta in words, to the two largest units: "2 days 3 hours", "45 minutes"."""
    seconds = int(value.total_seconds()) if hasattr(value, "total_seconds") else 0
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    shown = [count_of(n, unit) for n, unit in parts if n][:2]
    return " ".join(shown) if shown else "less than a minute"
