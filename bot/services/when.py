"""Reading "when" a meeting happened from chat text, and local days for timezones.

``parse_when`` understands, case-insensitively::

    ""  now  today            -> now
    yesterday                 -> the same local clock time one calendar day earlier
    friday                    -> the same on the latest Friday up to today ("last friday":
                                 before today); any weekday, also as fri, tues, thurs
    today 14:30               -> that local time today (also yesterday 9:00, friday at 3pm,
                                 last monday 9:30 am)
    14:30  at 9am  3:30 pm    -> that local time today
    2h ago  90m ago  3 days ago  2 weeks ago
    2026-11-20                -> 12:00 local time that day
    2026-11-20 14:00          -> local time (also 2026-11-20T14:00, seconds allowed)
    2026-11-20T14:00+02:00    -> the offset as given (also Z)

Local times are wall-clock times in ``tz``: a time that does not exist on a DST spring-forward
day is read with the offset in force before the change, and a time that happens twice on a
fall-back day is the first of the two (zoneinfo's ``fold=0``). Results are returned in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import CLOCK, clock_of
from bot.command_syntax import cmd
from bot.errors import InvalidInput
from storage.zones import zone_or_utc as zone_or_utc  # the rule SQLite's local dates use too

MAX_WHEN_LENGTH = 60
LOCAL_NOON = time(12, 0)
PAST_LIMIT = timedelta(days=365)  # chat logs meetings up to a year back…
FUTURE_TOLERANCE = timedelta(hours=1)  # …and up to an hour ahead (a call just starting)
_FAR_DAYS = 2 * 366  # beyond this a date is refused before any time zone arithmetic

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Monday is 0: each day written out or shortened as people do ("fri", "tues", "thurs").
_WEEKDAY = {name: n for n, day in enumerate(WEEKDAYS) for name in (day, day[:3])}
_WEEKDAY |= {"tues": 1, "thur": 3, "thurs": 3}
_DAY_NAMES = "|".join(sorted(_WEEKDAY, key=len, reverse=True))  # the longest first
_DAY_TIME = re.compile(
    rf"^(?:(today|yesterday|tomorrow|(?:last )?(?:{_DAY_NAMES}))(?: |$))?"
    rf"(?:(?:at )?{CLOCK})?$"
)
_AGO = re.compile(
    r"^([0-9]{1,6}) ?(m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|wk|wks|week|weeks)"
    r" ago$"
)
_ISO = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[t ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

EXAMPLES = "`now`, `yesterday 14:30`, `friday 9am`, `2h ago` or `2026-11-20 14:00`"


def local_today(now: datetime, tz: str | None) -> date:
    """The calendar date at ``now`` in timezone ``tz`` (UTC when unknown)."""
    return now.astimezone(zone_or_utc(tz)).date()


def typed_when(moment: datetime | str, tz: str | None) -> str:
    """A moment (or its ISO text) as a person types it (and `parse_when` reads it back):
    `2026-11-20 14:00`, in ``tz``."""
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return f"{at.astimezone(zone_or_utc(tz)):%Y-%m-%d %H:%M}"


def local_date_of(moment: datetime, tz: str | None) -> date:
    """The calendar date a moment falls on in ``tz``."""
    return moment.astimezone(zone_or_utc(tz)).date()


def _wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def from_wall_clock(moment: datetime, tz: str | None) -> datetime:
    """A naive wall-clock time in ``tz`` (UTC when unknown) as an aware UTC datetime."""
    return _wall_clock(moment.date(), moment.time(), zone_or_utc(tz))


def start_of_local_day(day: date, tz: str | None) -> datetime:
    """The first moment of ``day`` in ``tz`` (UTC when unknown), in UTC."""
    return _wall_clock(day, time.min, zone_or_utc(tz))


def _invalid(text: str) -> InvalidInput:
    return InvalidInput(f"I can't read “{text}” as a time. Try {EXAMPLES}.")


def too_long_ago(shown: str) -> InvalidInput:
    return InvalidInput(
        f"{shown} is more than a year ago; chat logs recent meetings only.",
        hint="Older meetings can be imported: `accountbot import meetings FILE.csv`.",
    )


def in_the_future(shown: str) -> InvalidInput:
    return InvalidInput(
        f"{shown} is in the future; log a meeting once it has started.",
        hint=f"Try {cmd('meeting NAME now')} or {cmd('meeting NAME 2h ago')}.",
    )


def _clock(
    text: str, hour: str, minute: str | None, second: str | None = None, half: str | None = None
) -> time:
    at = clock_of(hour, minute, half, second)
    if at is None:
        raise _invalid(text)
    return at


def _day(word: str | None, today: date) -> date:
    """The day ``word`` names, up to today: a weekday is its latest, "last" one before today."""
    if word in (None, "today"):
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    last, _, weekday = str(word).rpartition(" ")
    back = (today.weekday() - _WEEKDAY[weekday]) % 7
    return today - timedelta(days=back or (7 if last else 0))


def _day_and_time(text: str, match: re.Match[str], now: datetime, zone: ZoneInfo) -> datetime:
    word, hour, minute, half = match.groups()
    if word == "tomorrow":
        raise in_the_future(text)
    local_now = now.astimezone(zone)
    day = _day(word, local_now.date())
    if hour is None:
        if day == local_now.date():
            return now.astimezone(UTC)
        return _wall_clock(day, local_now.time().replace(tzinfo=None), zone)
    return _wall_clock(day, _clock(text, hour, minute, half=half), zone)


def _ago(text: str, match: re.Match[str], now: datetime) -> datetime:
    amount, unit = int(match.group(1)), _UNITS[match.group(2)[0]]
    try:
        return (now - timedelta(**{unit: amount})).astimezone(UTC)
    except OverflowError:
        raise too_long_ago(text) from None


def _iso(text: str, match: re.Match[str], now: datetime, zone: ZoneInfo) -> datetime:
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        on = date(int(year), int(month), int(day))
    except ValueError:
        raise _invalid(text) from None
    away = (on - now.astimezone(zone).date()).days
    if abs(away) > _FAR_DAYS:  # 0001-01-01 or 9999-12-31: no zone arithmetic near the ends
        raise (in_the_future if away > 0 else too_long_ago)(text)
    if hour is None:
        return _wall_clock(on, LOCAL_NOON, zone)
    at = _clock(text, hour, minute, second)
    if offset is None:
        return _wall_clock(on, at, zone)
    stamp = f"{on.isoformat()}T{at.isoformat()}{'+00:00' if offset == 'z' else offset}"
    try:
        return datetime.fromisoformat(stamp).astimezone(UTC)
    except ValueError:
        raise _invalid(text) from None


def parse_when(text: str, *, now: datetime, tz: str) -> datetime:
    """When something happened, from what a person typed; ``InvalidInput`` with examples if unclear.

    ``now`` must be timezone-aware; ``tz`` is the person's timezone (UTC when unknown).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cleaned = " ".join(text.split()).casefold()
    if len(cleaned) > MAX_WHEN_LENGTH:
        raise InvalidInput(f"That time is too long to be a time. Try {EXAMPLES}.")
    if cleaned in ("", "now"):
        return now.astimezone(UTC)
    zone = zone_or_utc(tz)
    if match := _DAY_TIME.match(cleaned):
        return _day_and_time(text.strip(), match, now, zone)
    if match := _AGO.match(cleaned):
        return _ago(text.strip(), match, now)
    if match := _ISO.match(cleaned):
        return _iso(text.strip(), match, now, zone)
    raise _invalid(text.strip())
