"""A person's time zone, one rule for Python and SQL: their own, else their team's, else UTC.

Every "today" accountbot works out for a person (status, lists, nudges, checklists) starts
from this zone; `bot.services.when` turns it into dates.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func

DEFAULT_ZONE = "UTC"


def effective_zone(own: str | None, team: str | None) -> str:
    """The zone a person's days are counted in."""
    return own or team or DEFAULT_ZONE


def effective_zone_sql(own: Any, team: Any) -> ColumnElement[str]:
    """The same rule in SQL, over a user's and their team's timezone columns."""
    return func.coalesce(own, team, DEFAULT_ZONE)
