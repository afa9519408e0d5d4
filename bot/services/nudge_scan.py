"""What every statement of the nudge scan shares: the scan's moment, zones and people, each
owner's today and activity in SQL, nudge keys built in SQL, and "not settled" as an index
lookup in ``nudge_items``.

A nudge is settled by its person's `NudgeItem` with the same key: done, or sent and not snoozed
past the moment, or snoozed past it. The statements in `bot.services.due_nudges` build each
nudge's key in SQL so that they can leave settled nudges out themselves, one lookup in the
``(user_id, item_key)`` unique index per due nudge, however many were ever sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    FromClause,
    Select,
    String,
    and_,
    cast,
    literal,
    or_,
    select,
)

from bot.services.owners import (
    Owner,
    accounts_with_owners,
    owner_today,
    owner_zone,
    with_owner,
)
from bot.services.when import zone_or_utc
from storage.models import Account, NudgeItem
from storage.ordered_join import ordered_join


def settled(as_of: datetime) -> ColumnElement[bool]:
    """A `NudgeItem` that keeps its nudge from being due: done, or sent and not snoozed past
    ``as_of``, or snoozed past it."""
    return or_(
        NudgeItem.done_at.is_not(None),
        and_(
            NudgeItem.last_sent_at.is_not(None),
            or_(NudgeItem.snoozed_until.is_(None), NudgeItem.snoozed_until > as_of),
        ),
        NudgeItem.snoozed_until > as_of,
    )


def key_sql(*parts: str | ColumnExpressionArgument[Any]) -> ColumnElement[str]:
    """A nudge key in SQL: the parts as text, joined by colons (``key_sql("renewal",
    "contract", Contract.id, window)`` is ``renewal:contract:<id>:<window>``)."""
    pieces: list[ColumnElement[str]] = []
    prefix = ""
    for part in parts:
        if isinstance(part, str):
            prefix += part + ":"
        else:
            pieces += [literal(prefix, String), cast(part, String)]
            prefix = ":"
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = joined.concat(piece)
    return joined


def owned_accounts(
    steps: FromClause | None = None, on: ColumnElement[bool] | None = None
) -> Select[int, str, int, str, str]:
    """Owner id and email, account id and name, and the owner's zone name: the first columns
    of the statements for the owner's nudges (see `split_owned`). With ``steps``: each account
    joined to its rows there ``on`` a condition, reading the accounts once, in order."""
    columns = select(Account.owner_id, Owner.email, Account.id, Account.name, owner_zone())
    if steps is None or on is None:
        return with_owner(columns)
    return columns.select_from(ordered_join(accounts_with_owners(), steps, on))


class Whom(NamedTuple):
    """Who a nudge is for and about: `Nudge`'s fields in its order."""

    user_id: int
    user_email: str
    account_id: int
    account: str


def split_owned(row: Sequence[Any]) -> tuple[Whom, str | None, Sequence[Any]]:
    """A row of `owned_accounts` plus a kind's own columns: whom, the owner's zone name, and
    the kind's columns. Rows are read by position: by name takes longer, thousands of times
    per scan."""
    return Whom(*row[:4]), row[4], row[5:]


@dataclass(frozen=True)
class Scan:
    """One scan: its moment (UTC), every zone in use, and whose nudges (None: everyone's)."""

    as_of: datetime
    zones: list[str]
    people: Sequence[int] | None
    _todays: dict[int, ColumnElement[date]] = field(default_factory=dict, compare=False)
    _zone_days: dict[str | None, tuple[ZoneInfo, date]] = field(default_factory=dict, compare=False)

    def today(self, days: int = 0) -> ColumnElement[date]:
        """The account owner's today (plus ``days``), for statements `with_owner` (built once
        per scan: a person's own scan is mostly building statements)."""
        if days not in self._todays:
            self._todays[days] = owner_today(self.as_of, self.zones, days)
        return self._todays[days]

    def today_of(self, zone_name: str | None) -> tuple[ZoneInfo, date]:
        """The zone of that name and today there (the same days as `today`); worked out once
        per zone and scan, looked up for every row."""
        found = self._zone_days.get(zone_name)
        if found is None:
            zone = zone_or_utc(zone_name)
            found = self._zone_days[zone_name] = (zone, self.as_of.astimezone(zone).date())
        return found

    def active(self) -> ColumnElement[bool]:
        """The Account is active on its owner's today."""
        today = self.today()
        return and_(
            Account.started_on <= today,
            or_(Account.churned_on.is_(None), Account.churned_on > today),
        )

    def unsettled(
        self, user_id: ColumnExpressionArgument[int], key: ColumnElement[str]
    ) -> ColumnElement[bool]:
        """No `NudgeItem` of this person and key settles the nudge (one index lookup)."""
        return ~(
            select(NudgeItem.id)
            .where(NudgeItem.user_id == user_id, NudgeItem.item_key == key, settled(self.as_of))
            .exists()
        )

    def owned(self, person: Any) -> list[ColumnElement[bool]]:
        """The conditions that keep to the scan's people (none for everyone)."""
        return [] if self.people is None else [person.in_(self.people)]
