"""Accounts joined to their owner in SQL, and the owner's time zone, for set-based queries.

The zone is ``User.effective_timezone`` in SQL (`storage.zones`): the owner's own, else their
team's, else UTC. `owner_today` is each owner's today in SQL: a CASE over the zones in use, each
worked out in Python (SQLite knows no time zones), so lists can filter, sort and page in SQL.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Engine,
    Join,
    Label,
    Select,
    bindparam,
    case,
    join,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services.when import local_today
from storage.catalog import catalog_generation
from storage.models import Account, Team, User
from storage.zones import effective_zone_sql

_Ts = TypeVarTuple("_Ts")

Owner = aliased(User, name="owner")
OwnerTeam = aliased(Team, name="owner_team")


def with_owner(stmt: Select[*_Ts]) -> Select[*_Ts]:
    """``stmt`` (which has Account) joined to Owner and, if any, OwnerTeam."""
    return stmt.join(Owner, Owner.id == Account.owner_id).outerjoin(
        OwnerTeam, OwnerTeam.id == Owner.team_id
    )


def accounts_with_owners() -> Join:
    """Account joined to Owner and, if any, OwnerTeam: `with_owner` as a FROM clause."""
    return join(Account, Owner, Owner.id == Account.owner_id).outerjoin(
        OwnerTeam, OwnerTeam.id == Owner.team_id
    )


def owner_zone() -> Label[str]:
    """The owner's effective timezone name: their own, else their team's (NULL: UTC)."""
    return effective_zone_sql(Owner.timezone, OwnerTeam.timezone).label("zone_name")


_ZONES = "accountbot.zones_in_use"


@cache
def _zones_statement() -> Select[str]:
    team = aliased(Team, name="zone_team")
    return (
        select(effective_zone_sql(User.timezone, team.timezone))
        .outerjoin(team, team.id == User.team_id)
        .distinct()
    )


@cache
def _zones_of_statement() -> Select[str]:
    return _zones_statement().where(User.id.in_(bindparam("people", expanding=True)))


async def zones_of(session: AsyncSession, people: Sequence[int]) -> list[str]:
    """The effective zones of ``people`` (one per person at most): all that statements kept
    to their own accounts need, where `zones_in_use` holds every zone of the book."""
    found = await session.scalars(_zones_of_statement(), {"people": list(people)})
    return [str(zone) for zone in found]


# Per database: (catalog generation, the zones in use then). People's and teams' zones change
# only through imports, which bump the generation (`storage.catalog`).
_HELD: weakref.WeakKeyDictionary[Engine, tuple[int, list[str]]] = weakref.WeakKeyDictionary()


async def zones_in_use(session: AsyncSession) -> list[str]:
    """Every effective zone a person has (a book has a handful). Read from the database once
    per catalog generation (a DISTINCT over every person: 65 ms on a 500,000-account book),
    and the generation once per session (App Home's nudges and lists all need the zones)."""
    found = session.info.get(_ZONES)
    if found is None:
        generation = await catalog_generation(session)
        engine = session.get_bind()  # an Engine, unless the session is bound to a connection
        held = _HELD.get(engine) if isinstance(engine, Engine) else None
        if held is None or held[0] != generation:
            held = (generation, [str(z) for z in await session.scalars(_zones_statement())])
            if isinstance(engine, Engine):
                _HELD[engine] = held
        found = session.info[_ZONES] = held[1]
    return list(found)


def zone_unless_readers(zone: str, owner_today: date, readers_today: date) -> str | None:
    """The owner's zone when their today is not the reader's (so days counted from it are
    named: "today, Auckland time"), else None."""
    return zone if owner_today != readers_today else None


def owner_today(
    now: datetime, zones: list[str], days: int = 0, *, owner: Any = Owner, team: Any = OwnerTeam
) -> ColumnElement[date]:
    """The owner's today (plus ``days``) in SQL, for statements joined to ``owner`` and their
    ``team`` (`with_owner`'s by default)."""
    by_day: dict[date, list[str]] = defaultdict(list)
    for zone in zones:
        by_day[local_today(now, zone) + timedelta(days=days)].append(zone)
    utc_day = now.astimezone(UTC).date() + timedelta(days=days)
    whens: list[tuple[Any, Any]] = [
        (effective_zone_sql(owner.timezone, team.timezone).in_(names), literal(day, Date))
        for day, names in sorted(by_day.items())
    ]
    if not whens:
        return literal(utc_day, Date)
    return case(*whens, else_=literal(utc_day, Date))
