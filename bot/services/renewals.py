"""`renewals`: contracts of live, readable accounts ending in the next days, soonest first,
filtered, sorted and paged in SQL (each owner's today worked out per time zone in use). The
statements are built once per shape (the zones in use, whether the reader reads everything, how
many days ahead); the days and the reader are parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Select,
    bindparam,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.services.access import READABLE, reader_params, sees_everything
from bot.services.account_scope import live_on
from bot.services.nudge_scan import Scan, ScanShape
from bot.services.owners import (
    Owner,
    owner_zone,
    with_owner,
    zone_unless_readers,
    zones_in_use,
)
from bot.services.portfolio import as_date
from bot.services.when import local_today
from storage.models import Account, Contract, User


@dataclass(frozen=True, slots=True)
class RenewalRow:
    name: str
    id: int
    end_on: date
    days_left: int
    value: Decimal
    auto_renew: bool
    owner_name: str
    contract_id: int
    # The owner's time zone when their today is not the reader's: days_left counts from theirs.
    owner_zone: str | None = None

    @property
    def account(self) -> str:
        return self.name

    @property
    def account_id(self) -> int:
        return self.id

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.id,
            "end_on": self.end_on.isoformat(),
            "days_left": self.days_left,
            "value": float(self.value),
            "auto_renew": self.auto_renew,
            "owner_name": self.owner_name,
        }


def _counted() -> Select[int]:
    """count(*) of contracts joined to their accounts."""
    return (
        select(func.count()).select_from(Contract).join(Account, Account.id == Contract.account_id)
    )


def _day(name: str) -> BindParameter[date]:
    return bindparam(name, type_=Date)


class _Built(NamedTuple):
    page: Select[*tuple[Any, ...]]
    listed: Select[int]
    churned: Select[Any]
    edges: Select[int]


@lru_cache(maxsize=64)
def _statements(zones: tuple[str, ...], everyone: bool, days: int, paged: bool) -> _Built:
    """The renewals page and its total for this shape, built once; the moment's days (UTC's
    and each zone's today, `_params`) and the reader are parameters."""
    shape = ScanShape(zones, everyone=True)
    today, last_day = shape.today(0), shape.today(days)
    readable: ColumnElement[bool] = true() if everyone else READABLE
    page = with_owner(
        select(
            Contract.id,
            Contract.account_id,
            Contract.end_on,
            Contract.value,
            Contract.auto_renew,
            Account.name,
            Owner.name.label("owner_name"),
            today.label("owner_today"),
            owner_zone(),
        ).join(Account, Account.id == Contract.account_id)
    ).where(
        readable,
        live_on(today),
        Contract.end_on.between(_day("first_today"), _day("window_last")),
        Contract.end_on >= today,
        Contract.end_on <= last_day,
    )
    page = page.order_by(Contract.end_on, Account.name_key, Contract.id)
    if paged:
        page = page.offset(bindparam("offset")).limit(bindparam("limit"))
    # The total, without reading every renewal's account and owner (a head's 90 days hold tens
    # of thousands). Owners' todays run from the earliest zone's today to the latest's (with
    # UTC's), so a contract ending from the latest today to ``days`` after the earliest is in
    # every owner's window: those are counted from ix_contracts_end_on, less the ones whose
    # account has churned (ranges of ix_accounts_churned_on); the days at each end where the
    # zones disagree (none when every zone has the same day) are checked in full.
    inner = Contract.end_on.between(_day("inner_first"), _day("inner_last"))
    if everyone:
        listed = select(func.count()).select_from(Contract).where(inner)
    else:
        listed = _counted().where(inner, readable)
    # Churned by the owner's today: surely so by the earliest today (a range of the index
    # alone), and for the days after it up to the latest, by the owner's own today.
    surely_gone = select(Account.id).where(Account.churned_on <= _day("first_today"), readable)
    lately_gone = with_owner(select(Account.id)).where(
        Account.churned_on.between(_day("first_today_next"), _day("last_today")),
        Account.churned_on <= today,
        readable,
    )
    churned = select(
        *(
            select(func.count())
            .select_from(Contract)
            .where(inner, Contract.account_id.in_(gone))
            .scalar_subquery()
            for gone in (surely_gone, lately_gone)
        )
    )
    edges = with_owner(_counted()).where(
        or_(
            Contract.end_on.between(_day("first_today"), _day("last_today_before")),
            Contract.end_on.between(_day("inner_last_next"), _day("window_last")),
        ),
        readable,
        live_on(today),
        Contract.end_on >= today,
        Contract.end_on <= last_day,
    )
    return _Built(page, listed, churned, edges)


def _params(
    actor: User, zones: list[str], days: int, now: datetime, limit: int | None, offset: int
) -> dict[str, Any]:
    todays = {now.astimezone(UTC).date(), *(local_today(now, zone) for zone in zones)}
    first, last, day = min(todays), max(todays), timedelta(days=1)
    more: dict[str, Any] = {  # the days every owner's window is made of (`_statements`)
        "first_today": first,
        "first_today_next": first + day,
        "last_today_before": last - day,
        "last_today": last,
        "inner_first": last,
        "inner_last": first + days * day,
        "inner_last_next": first + (days + 1) * day,
        "window_last": last + days * day,
        "offset": offset,
        "limit": limit,
    }
    if not sees_everything(actor):
        more |= reader_params(actor)
    return Scan(now, zones, None).params((0, days), **more)


async def upcoming_renewals(
    session: AsyncSession, *, actor: User, days: int, now: datetime
) -> list[RenewalRow]:
    """Contracts of live, readable accounts ending 0..``days`` days from today, soonest first."""
    rows, _ = await renewals_page(session, actor=actor, days=days, now=now)
    return rows


async def renewals_page(
    session: AsyncSession,
    *,
    actor: User,
    days: int,
    now: datetime,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[RenewalRow], int]:
    """One page of `upcoming_renewals` (all of them without ``limit``) and how many there are,
    filtered, sorted and paged in SQL."""
    if not 1 <= days <= 365:
        raise InvalidInput(f"Renewals look 1 to 365 days ahead, e.g. {cmd('renewals 30')}.")
    zones = await zones_in_use(session)
    built = _statements(tuple(zones), sees_everything(actor), days, limit is not None)
    params = _params(actor, zones, days, now, limit, offset)
    page = (await session.execute(built.page, params)).all()
    listed = int(await session.scalar(built.listed, params) or 0)
    surely, lately = (await session.execute(built.churned, params)).one()
    edges = int(await session.scalar(built.edges, params) or 0)
    total = listed - int(surely or 0) - int(lately or 0) + edges
    readers_today = local_today(now, actor.effective_timezone)
    rows = []
    for row in page:
        owner_today = as_date(row.owner_today)
        rows.append(
            RenewalRow(
                name=row.name,
                id=row.account_id,
                end_on=row.end_on,
                days_left=(row.end_on - owner_today).days,
                value=Decimal(row.value),
                auto_renew=row.auto_renew,
                owner_name=row.owner_name,
                contract_id=row.id,
                owner_zone=zone_unless_readers(row.zone_name, owner_today, readers_today),
            )
        )
    return rows, total
