"""Lists of accounts: mine, my team's, upcoming renewals, and the ones at risk.

Only live accounts are listed: not churned as of today, where "today" is ``now`` in the
owner's timezone (``User.effective_timezone``). Every list is built from a fixed number of
set-based queries whatever the size of the book; sorting and paging happen afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.playbooks import PlaybookLibrary
from bot.services.access import readable_accounts
from bot.services.portfolio_flags import LiveAccount, risk_flags
from bot.services.when import local_today
from storage.models import Account, Contract, Stage, Team, User
from storage.zones import effective_zone

Scope = Literal["mine", "team", "renewals", "at-risk"]
SCOPES: tuple[str, ...] = get_args(Scope)
RENEWALS_HORIZON_DAYS = 90
MAX_PAGE_SIZE = 100

Owner = aliased(User, name="owner")
OwnerTeam = aliased(Team, name="owner_team")


@dataclass(frozen=True, slots=True)
class AccountRow:
    name: str
    id: int
    stage: str
    owner_name: str
    mrr: Decimal
    renewal_on: date | None
    days_to_renewal: int | None
    flags: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.id,
            "stage": self.stage,
            "owner_name": self.owner_name,
            "mrr": float(self.mrr),
            "renewal_on": self.renewal_on.isoformat() if self.renewal_on else None,
            "days_to_renewal": self.days_to_renewal,
            "flags": list(self.flags),
        }


@dataclass(frozen=True, slots=True)
class AccountList:
    scope: str
    total: int
    items: list[AccountRow]
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "items": [item.to_dict() for item in self.items],
        }


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


def _maybe_live(now: datetime) -> ColumnElement[bool]:
    """A coarse SQL filter (a day of slack for timezones); the exact test is ``_is_live``."""
    utc_yesterday = now.astimezone(UTC).date() - timedelta(days=1)
    return or_(Account.churned_on.is_(None), Account.churned_on > utc_yesterday)


def _is_live(churned_on: date | None, today: date) -> bool:
    return churned_on is None or churned_on > today


def _scope_filter(actor: User, scope: str, now: datetime) -> ColumnElement[bool]:
    condition = and_(readable_accounts(actor), _maybe_live(now))
    if scope == "mine":
        condition = and_(condition, Account.owner_id == actor.id)
    return condition


async def _live_accounts(
    session: AsyncSession, scope_filter: ColumnElement[bool], now: datetime
) -> dict[int, LiveAccount]:
    stmt = (
        select(
            Account.id,
            Account.name,
            Account.stage,
            Account.stage_entered_at,
            Account.mrr,
            Account.churned_on,
            Account.known_since,
            Owner.name.label("owner_name"),
            Owner.timezone.label("owner_tz"),
            OwnerTeam.timezone.label("team_tz"),
        )
        .join(Owner, Owner.id == Account.owner_id)
        .outerjoin(OwnerTeam, OwnerTeam.id == Owner.team_id)
        .where(scope_filter)
    )
    live: dict[int, LiveAccount] = {}
    for row in await session.execute(stmt):
        tz = effective_zone(row.owner_tz, row.team_tz)
        today = local_today(now, tz)
        if _is_live(row.churned_on, today):
            live[row.id] = LiveAccount(
                id=row.id,
                name=row.name,
                stage=Stage(row.stage).value,
                stage_entered_at=row.stage_entered_at,
                mrr=Decimal(row.mrr),
                owner_name=row.owner_name,
                tz=tz,
                today=today,
                known_since=row.known_since,
            )
    return live


async def _next_renewals(
    session: AsyncSession,
    scope_filter: ColumnElement[bool],
    now: datetime,
    live: dict[int, LiveAccount],
) -> dict[int, date]:
    """account id -> end date of its earliest contract ending today or later (local today)."""
    utc_yesterday = now.astimezone(UTC).date() - timedelta(days=1)
    stmt = (
        select(Contract.account_id, Contract.end_on)
        .join(Account, Account.id == Contract.account_id)
        .where(scope_filter, Contract.end_on >= utc_yesterday)
    )
    renewals: dict[int, date] = {}
    for account_id, end_on in await session.execute(stmt):
        account = live.get(account_id)
        if account is None or end_on < account.today:
            continue
        if account_id not in renewals or end_on < renewals[account_id]:
            renewals[account_id] = end_on
    return renewals


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"A page holds 1 to {MAX_PAGE_SIZE} accounts.")
    if offset < 0:
        raise InvalidInput("Pages start at the first account.")


def _sort_key(scope: str, row: AccountRow) -> tuple[Any, ...]:
    name = (row.name.casefold(), row.id)
    if scope == "renewals":
        return (row.renewal_on, *name)
    if scope == "at-risk":
        return (-len(row.flags), row.renewal_on or date.max, *name)
    return name


async def list_accounts(
    session: AsyncSession,
    *,
    actor: User,
    scope: Scope,
    now: datetime,
    playbooks: PlaybookLibrary,
    limit: int = 20,
    offset: int = 0,
    recap_grace_hours: int = 24,
    recap_lookback_days: int = 14,
) -> AccountList:
    """One page of live accounts in ``scope``, each with its risk flags (human reasons)."""
    if scope not in SCOPES:
        raise InvalidInput(f"I can list {', '.join(SCOPES)}.")
    _check_page(limit, offset)
    scope_filter = _scope_filter(actor, scope, now)
    live = await _live_accounts(session, scope_filter, now)
    renewals = await _next_renewals(session, scope_filter, now, live)
    flags = await risk_flags(
        session,
        scope_filter=scope_filter,
        live=live,
        renewals=renewals,
        now=now,
        playbooks=playbooks,
        recap_grace_hours=recap_grace_hours,
        recap_lookback_days=recap_lookback_days,
    )
    rows = []
    for account in live.values():
        renewal_on = renewals.get(account.id)
        days_left = (renewal_on - account.today).days if renewal_on else None
        if scope == "renewals" and (days_left is None or days_left > RENEWALS_HORIZON_DAYS):
            continue
        if scope == "at-risk" and not flags.get(account.id):
            continue
        rows.append(
            AccountRow(
                name=account.name,
                id=account.id,
                stage=account.stage,
                owner_name=account.owner_name,
                mrr=account.mrr,
                renewal_on=renewal_on,
                days_to_renewal=days_left,
                flags=flags.get(account.id, []),
            )
        )
    rows.sort(key=lambda row: _sort_key(scope, row))
    return AccountList(scope, len(rows), rows[offset : offset + limit], offset, limit)


async def upcoming_renewals(
    session: AsyncSession, *, actor: User, days: int, now: datetime
) -> list[RenewalRow]:
    """Contracts of live, readable accounts ending 0..``days`` days from today, soonest first."""
    if not 1 <= days <= 365:
        raise InvalidInput(f"Renewals look 1 to 365 days ahead, e.g. {cmd('renewals 30')}.")
    utc_today = now.astimezone(UTC).date()
    stmt = (
        select(
            Contract.id,
            Contract.account_id,
            Contract.end_on,
            Contract.value,
            Contract.auto_renew,
            Account.name,
            Account.churned_on,
            Owner.name.label("owner_name"),
            Owner.timezone.label("owner_tz"),
            OwnerTeam.timezone.label("team_tz"),
        )
        .join(Account, Account.id == Contract.account_id)
        .join(Owner, Owner.id == Account.owner_id)
        .outerjoin(OwnerTeam, OwnerTeam.id == Owner.team_id)
        .where(
            _scope_filter(actor, "team", now),
            Contract.end_on >= utc_today - timedelta(days=1),
            Contract.end_on <= utc_today + timedelta(days=days + 1),
        )
    )
    rows = []
    for row in await session.execute(stmt):
        today = local_today(now, effective_zone(row.owner_tz, row.team_tz))
        days_left = (row.end_on - today).days
        if _is_live(row.churned_on, today) and 0 <= days_left <= days:
            rows.append(
                RenewalRow(
                    name=row.name,
                    id=row.account_id,
                    end_on=row.end_on,
                    days_left=days_left,
                    value=Decimal(row.value),
                    auto_renew=row.auto_renew,
                    owner_name=row.owner_name,
                    contract_id=row.id,
                )
            )
    rows.sort(key=lambda r: (r.end_on, r.name.casefold(), r.contract_id))
    return rows
