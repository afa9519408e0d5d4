"""Accounts joined to their owner in SQL, and the owner's time zone, for set-based queries.

The zone is ``User.effective_timezone`` in SQL (`storage.zones`): the owner's own, else their
team's, else UTC.
"""

from __future__ import annotations

from typing import TypeVarTuple

from sqlalchemy import Label, Select
from sqlalchemy.orm import aliased

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


def owner_zone() -> Label[str]:
    """The owner's effective timezone name: their own, else their team's (NULL: UTC)."""
    return effective_zone_sql(Owner.timezone, OwnerTeam.timezone).label("zone_name")
