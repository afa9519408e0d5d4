"""`renewals`: contracts of live, readable accounts ending in the next days, soonest first,
filtered, sorted and paged in SQL (each owner's today worked out per time zone in use)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.services.access import readable_accounts, sees_everything
from bot.services.owners import Owner, owner_today, with_owner, zones_in_use
from bot.services.portfolio import as_date
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


async def _renewals_total(
    session: AsyncSession, *, actor: User, days: int, now: datetime, zones: list[str]
) -> int:
    """How many renewals `renewals_page` finds, without reading every one's account and owner
    (a head's 90 days hold tens of thousands). Every owner's today is within a day of UTC's, so
    a contract ending from UTC's tomorrow to ``days`` - 1 days after UTC's today is in every
    owner's window: those are counted from ix_contracts_end_on, less the ones whose account has
    churned (ranges of ix_accounts_churned_on); the two days at each end are checked in full."""
    utc_today = now.astimezone(UTC).date()
    today = owner_today(now, zones)
    readable = readable_accounts(actor)
    inner = Contract.end_on.between(
        utc_today + timedelta(days=1), utc_today + timedelta(days=days - 1)
    )
    if sees_everything(actor):
        listed = select(func.count()).select_from(Contract).where(inner)
    else:
        listed = _counted().where(inner, readable)
    # Churned by the owner's today: surely so by UTC's yesterday (a range of the index alone),
    # and for the two days after it, by the owner's own today.
    surely_gone = select(Account.id).where(
        Account.churned_on <= utc_today - timedelta(days=1), readable
    )
    lately_gone = with_owner(select(Account.id)).where(
        Account.churned_on.between(utc_today, utc_today + timedelta(days=1)),
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
            Contract.end_on.between(utc_today - timedelta(days=1), utc_today),
            Contract.end_on.between(
                utc_today + timedelta(days=days), utc_today + timedelta(days=days + 1)
            ),
        ),
        readable,
        or_(Account.churned_on.is_(None), Account.churned_on > today),
        Contract.end_on >= today,
        Contract.end_on <= owner_today(now, zones, days),
    )
    listed_count = int(await session.scalar(listed) or 0)
    surely, lately = (await session.execute(churned)).one()
    edge_count = int(await session.scalar(edges) or 0)
    return listed_count - int(surely or 0) - int(lately or 0) + edge_count


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
    utc_today = now.astimezone(UTC).date()
    zones = await zones_in_use(session)
    today = owner_today(now, zones)
    stmt = with_owner(
        select(
            Contract.id,
            Contract.account_id,
            Contract.end_on,
            Contract.value,
            Contract.auto_renew,
            Account.name,
            Owner.name.label("owner_name"),
            today.label("owner_today"),
        ).join(Account, Account.id == Contract.account_id)
    ).where(
        readable_accounts(actor),
        or_(Account.churned_on.is_(None), Account.churned_on > today),
        Contract.end_on >= utc_today - timedelta(days=1),
        Contract.end_on <= utc_today + timedelta(days=days + 1),
        Contract.end_on >= today,
        Contract.end_on <= owner_today(now, zones, days),
    )
    order = (Contract.end_on, Account.name_key, Contract.id)
    page = (await session.execute(stmt.order_by(*order).offset(offset).limit(limit))).all()
    total = await _renewals_total(session, actor=actor, days=days, now=now, zones=zones)
    rows = [
        RenewalRow(
            name=row.name,
            id=row.account_id,
            end_on=row.end_on,
            days_left=(row.end_on - as_date(row.owner_today)).days,
            value=Decimal(row.value),
            auto_renew=row.auto_renew,
            owner_name=row.owner_name,
            contract_id=row.id,
        )
        for row in page
    ]
    return rows, total
