"""`renewals`: contracts of live, readable accounts ending in the next days, soonest first,
filtered, sorted and paged in SQL (each owner's today worked out per time zone in use)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.services.access import readable_accounts
from bot.services.owners import Owner, owner_today, with_owner, zones_in_use
from bot.services.paging import page_and_total
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
    page, total = await page_and_total(session, stmt, order_by=order, limit=limit, offset=offset)
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
