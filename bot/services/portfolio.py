"""Lists of accounts: mine, my team's, upcoming renewals, and the ones at risk.

Only live accounts are listed: not churned as of today, where "today" is ``now`` in the
owner's timezone (``User.effective_timezone``). Every list is built from a fixed number of
set-based queries whatever the size of the book. Mine, team and renewals are filtered, sorted
and paged in SQL (each owner's today is a CASE over the zones in use), and only the page's risk
flags are worked out; at-risk lists are in `risk_lists`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, Literal, get_args

from sqlalchemy import Date, Integer, Subquery, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.errors import InvalidInput
from bot.playbooks import PlaybookLibrary
from bot.services.access import readable_accounts
from bot.services.account_scope import BY_IDS, ids_params, live_on
from bot.services.assessment import assess
from bot.services.owners import owner_today, with_owner, zone_unless_readers, zones_in_use
from bot.services.paging import Paged, page_and_total, paged
from bot.services.when import local_today
from storage.models import Account, Contract, Team, User

Scope = Literal["mine", "team", "renewals", "at-risk"]
SCOPES: tuple[str, ...] = get_args(Scope)
RENEWALS_HORIZON_DAYS = 90
MAX_PAGE_SIZE = 100


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
    # the owner's zone when their today (days count from it) is not the reader's
    owner_zone: str | None = None

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


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"A page holds 1 to {MAX_PAGE_SIZE} accounts.")
    if offset < 0:
        raise InvalidInput("Pages start at the first account.")


def _next_renewal(now: datetime, zones: list[str], horizon_days: int | None) -> Subquery:
    """account id -> the end of its earliest contract ending today or later (owner's today),
    within ``horizon_days`` when given."""
    account, owner, team = aliased(Account), aliased(User), aliased(Team)
    today = owner_today(now, zones, owner=owner, team=team)
    utc_today = now.astimezone(UTC).date()
    stmt = (
        select(Contract.account_id, func.min(Contract.end_on).label("renewal_on"))
        .join(account, account.id == Contract.account_id)
        .join(owner, owner.id == account.owner_id)
        .outerjoin(team, team.id == owner.team_id)
        .where(Contract.end_on >= utc_today - timedelta(days=1), Contract.end_on >= today)
        .group_by(Contract.account_id)
    )
    if horizon_days is not None:
        stmt = stmt.where(Contract.end_on <= utc_today + timedelta(days=horizon_days + 1))
    return stmt.subquery("next_renewal")


async def _page_ids(
    session: AsyncSession,
    *,
    actor: User,
    scope: str,
    now: datetime,
    limit: int,
    offset: int,
) -> tuple[list[int], int]:
    """One page of account ids in ``scope``, sorted, and how many there are: all in SQL."""
    if scope == "mine":  # the actor's own (readable by anyone's rules), on their today
        today = local_today(now, actor.effective_timezone)
        params = {"owner": actor.id, "today": today}
        rows, total = await page_and_total(
            session, _mine(), limit=limit, offset=offset, params=params
        )
        return [row.id for row in rows], total
    zones = await zones_in_use(session)
    stmt = with_owner(select(Account.id)).where(
        readable_accounts(actor), live_on(owner_today(now, zones))
    )
    order: list[Any] = [Account.name_key, Account.id]
    if scope == "renewals":
        renewal = _next_renewal(now, zones, RENEWALS_HORIZON_DAYS)
        stmt = stmt.join(renewal, renewal.c.account_id == Account.id).where(
            renewal.c.renewal_on <= owner_today(now, zones, RENEWALS_HORIZON_DAYS)
        )
        order = [renewal.c.renewal_on, *order]
    page = paged(stmt, order_by=order)
    rows, total = await page_and_total(session, page, limit=limit, offset=offset)
    return [row.id for row in rows], total


@cache
def _mine() -> Paged:
    """An owner's live accounts by name: built once, for every owner (App Home lists them)."""
    stmt = select(Account.id).where(
        Account.owner_id == bindparam("owner", type_=Integer),
        live_on(bindparam("today", type_=Date)),
    )
    return paged(stmt, order_by=(Account.name_key, Account.id))


async def account_rows(
    session: AsyncSession,
    *,
    ids: list[int],
    now: datetime,
    readers_today: date,
    playbooks: PlaybookLibrary,
    recap_grace_hours: int,
    recap_lookback_days: int,
) -> list[AccountRow]:
    """The listed rows of these accounts, in this order, with their risk flags."""
    if not ids:
        return []
    found = await assess(
        session,
        BY_IDS,
        scope_params=ids_params(ids),
        now=now,
        playbooks=playbooks,
        recap_grace_hours=recap_grace_hours,
        recap_lookback_days=recap_lookback_days,
    )
    live, renewals, flags = found.live, found.renewals, found.flags
    rows = []
    for account_id in ids:
        account = live.get(account_id)
        if account is None:  # churned between the two queries
            continue
        renewal_on = renewals.get(account_id)
        rows.append(
            AccountRow(
                name=account.name,
                id=account.id,
                stage=account.stage,
                owner_name=account.owner_name,
                mrr=account.mrr,
                renewal_on=renewal_on,
                days_to_renewal=(renewal_on - account.today).days if renewal_on else None,
                flags=flags.get(account_id, []),
                owner_zone=zone_unless_readers(account.tz, account.today, readers_today),
            )
        )
    return rows


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
    """One page of live accounts in ``scope``, each with its risk flags (human reasons).

    Mine, team and renewals are filtered, sorted and paged in SQL, and only the page's flags
    are worked out; at-risk needs every account's flags to sort them (see `risk_lists`)."""
    if scope not in SCOPES:
        raise InvalidInput(f"I can list {', '.join(SCOPES)}.")
    _check_page(limit, offset)
    rules = {"recap_grace_hours": recap_grace_hours, "recap_lookback_days": recap_lookback_days}
    if scope == "at-risk":
        from bot.services.risk_lists import at_risk_page

        return await at_risk_page(
            session, actor=actor, now=now, playbooks=playbooks, limit=limit, offset=offset, **rules
        )
    ids, total = await _page_ids(
        session, actor=actor, scope=scope, now=now, limit=limit, offset=offset
    )
    readers_today = local_today(now, actor.effective_timezone)
    rows = await account_rows(
        session, ids=ids, now=now, readers_today=readers_today, playbooks=playbooks, **rules
    )
    return AccountList(scope, total, rows, offset, limit)


def as_date(value: object) -> date:
    """A date computed in SQL: SQLite hands back its text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
