"""A person's time zone, one rule for Python and SQL: their own, else their team's, else UTC.

Every "today" accountbot works out for a person (status, lists, nudges, checklists) starts
from this zone; `bot.services.when` turns it into dates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, func

DEFAULT_ZONE = "UTC"
# SQLite has no time zones: `storage.db` registers this on its connections, for
# `storage.expressions.local_date`.
LOCAL_DATE_FUNCTION = "accountbot_local_date"


@cache
def zone_or_utc(name: str | None) -> ZoneInfo:
    """The named timezone; UTC when there is no name or it is not a zone this system knows."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local_date_text(moment: str | None, zone_name: str | None) -> str | None:
    """`LOCAL_DATE_FUNCTION`: the ``YYYY-MM-DD`` date in ``zone_name`` of a moment stored by
    `storage.types.UTCDateTime` on SQLite (UTC text)."""
    if moment is None:
        return None
    utc = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return utc.astimezone(zone_or_utc(zone_name)).date().isoformat()


def effective_zone(own: str | None, team: str | None) -> str:
    """The zone a person's days are counted in."""
    return own or team or DEFAULT_ZONE


def effective_zone_sql(own: Any, team: Any) -> ColumnElement[str]:
    """The same rule in SQL, over a user's and their team's timezone columns."""
    return func.coalesce(own, team, DEFAULT_ZONE)
