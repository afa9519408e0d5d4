"""What every statement of the nudge scan shares: the scan's moment, zones and people, each
owner's today and activity in SQL, nudge keys built in SQL, and "not settled" as an index
lookup in ``nudge_items``.

Statements are built once per `ScanShape` (the zones in use, and whether the scan keeps to
some people) against named parameters, and each scan runs them with its own (`Scan.params`):
App Home scans one person's nudges on every opening, and building the statements (and their
cache keys) used to cost more than running them.

A nudge is settled by its person's `NudgeItem` with the same key: done, or sent and not snoozed
past the moment, or snoozed past it. The statements in `bot.services.due_nudges` build each
nudge's key in SQL so that they can leave settled nudges out themselves, one lookup in the
``(user_id, item_key)`` unique index per due nudge, however many were ever sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Date,
    FromClause,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    literal,
    or_,
    select,
)

from bot.services.account_scope import live_on
from bot.services.owners import (
    Owner,
    OwnerTeam,
    accounts_with_owners,
    owner_zone,
    with_owner,
)
from bot.services.when import local_today, zone_or_utc
from storage.models import Account, NudgeItem
from storage.ordered_join import ordered_join
from storage.types import UTCDateTime
from storage.zones import effective_zone_sql


def settled(as_of: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
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


def _today_param(days: int, zone: int | None) -> str:
    return f"today_{days}_{'utc' if zone is None else zone}".replace("-", "minus")


@dataclass(frozen=True)
class ScanShape:
    """What a scan's statements are built from, besides the rules: the zones in use and whether
    the scan is of everyone. The moment, the people and each zone's today are parameters."""

    zones: tuple[str, ...]
    everyone: bool

    def today(self, days: int = 0) -> ColumnElement[date]:
        """The account owner's today (plus ``days``), for statements `with_owner`: a CASE over
        the zones in use, each zone's day a parameter (`Scan.params` with ``days``)."""
        utc = bindparam(_today_param(days, None), type_=Date)
        if not self.zones:
            return utc
        whens = {
            zone: bindparam(_today_param(days, i), type_=Date) for i, zone in enumerate(self.zones)
        }
        return case(whens, value=effective_zone_sql(Owner.timezone, OwnerTeam.timezone), else_=utc)

    def active(self) -> ColumnElement[bool]:
        """The Account is active on its owner's today."""
        today = self.today()
        return and_(Account.started_on <= today, live_on(today))

    def unsettled(
        self, user_id: ColumnExpressionArgument[int], key: ColumnElement[str]
    ) -> ColumnElement[bool]:
        """No `NudgeItem` of this person and key settles the nudge (one index lookup)."""
        as_of = bindparam("as_of", type_=UTCDateTime())
        return ~(
            select(NudgeItem.id)
            .where(NudgeItem.user_id == user_id, NudgeItem.item_key == key, settled(as_of))
            .exists()
        )

    def owned(self, person: Any) -> list[ColumnElement[bool]]:
        """The conditions that keep to the scan's people (none for everyone)."""
        return [] if self.everyone else [person.in_(bindparam("people", expanding=True))]


@dataclass(frozen=True)
class Scan:
    """One scan: its moment (UTC), every zone in use, and whose nudges (None: everyone's)."""

    as_of: datetime
    zones: list[str]
    people: Sequence[int] | None
    _zone_days: dict[str | None, tuple[ZoneInfo, date]] = field(default_factory=dict, compare=False)

    @property
    def shape(self) -> ScanShape:
        return ScanShape(tuple(self.zones), self.people is None)

    def params(self, days: Iterable[int] = (0,), /, **more: Any) -> dict[str, Any]:
        """The parameters of statements built on `shape`: the moment, the people, and each
        zone's today plus each of ``days`` (those the statement's `ScanShape.today` used)."""
        values: dict[str, Any] = {"as_of": self.as_of, **more}
        if self.people is not None:
            values["people"] = list(self.people)
        utc_today = self.as_of.astimezone(UTC).date()
        local = [local_today(self.as_of, zone) for zone in self.zones]
        for n in days:
            values[_today_param(n, None)] = utc_today + timedelta(days=n)
            for i, today in enumerate(local):
                values[_today_param(n, i)] = today + timedelta(days=n)
        return values

    def today_of(self, zone_name: str | None) -> tuple[ZoneInfo, date]:
        """The zone of that name and today there (the same days as `ScanShape.today`); worked
        out once per zone and scan, looked up for every row."""
        found = self._zone_days.get(zone_name)
        if found is None:
            zone = zone_or_utc(zone_name)
            found = self._zone_days[zone_name] = (zone, self.as_of.astimezone(zone).date())
        return found
