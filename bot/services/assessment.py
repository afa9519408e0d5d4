"""Live accounts in a scope, with their next renewal and why each is at risk: what lists and
the risk snapshot are made of.

An account is live on its owner's today (``User.effective_timezone``) when it is not churned
by then. SQL narrows with a day of slack for time zones; the exact test is made per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.account_scope import scoped
from bot.services.owners import Owner, OwnerTeam
from bot.services.portfolio_flags import LiveAccount, moment_params, risk_flags
from bot.services.when import local_today
from storage.models import Account, Contract, Stage
from storage.zones import effective_zone


def _is_live(churned_on: date | None, today: date) -> bool:
    return churned_on is None or churned_on > today


def _live_statement(scope_filter: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    return (
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


async def live_accounts(
    session: AsyncSession,
    scope_filter: ColumnElement[bool],
    now: datetime,
    params: dict[str, Any] | None = None,
) -> dict[int, LiveAccount]:
    """The accounts in scope not churned on their owner's today (``params``: the scope's)."""
    stmt = scoped(_live_statement, scope_filter)
    live: dict[int, LiveAccount] = {}
    for row in await session.execute(stmt, params):
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


def _renewals_statement(scope_filter: ColumnElement[bool]) -> Select[int, date]:
    return (
        select(Contract.account_id, Contract.end_on)
        .join(Account, Account.id == Contract.account_id)
        .where(scope_filter, Contract.end_on >= bindparam("utc_yesterday"))
    )


async def next_renewals(
    session: AsyncSession,
    scope_filter: ColumnElement[bool],
    params: dict[str, Any],
    live: dict[int, LiveAccount],
) -> dict[int, date]:
    """account id -> end date of its earliest contract ending today or later (local today);
    ``params``: the scope's and `moment_params`."""
    stmt = scoped(_renewals_statement, scope_filter)
    renewals: dict[int, date] = {}
    for account_id, end_on in await session.execute(stmt, params):
        account = live.get(account_id)
        if account is None or end_on < account.today:
            continue
        if account_id not in renewals or end_on < renewals[account_id]:
            renewals[account_id] = end_on
    return renewals


@dataclass(frozen=True, slots=True)
class Assessed:
    """Live accounts in a scope with their next renewal and risk flags (flagged ones only)."""

    live: dict[int, LiveAccount]
    renewals: dict[int, date]
    flags: dict[int, list[str]]


async def assess(
    session: AsyncSession,
    scope_filter: ColumnElement[bool],
    *,
    now: datetime,
    playbooks: PlaybookLibrary,
    recap_grace_hours: int,
    recap_lookback_days: int,
    scope_params: dict[str, Any] | None = None,
) -> Assessed:
    """Every live account matching ``scope_filter`` (with ``scope_params``, the parameters it
    takes: see `bot.services.account_scope`), its next renewal and why it is at risk."""
    params = {
        **(scope_params or {}),
        **moment_params(
            now, recap_grace_hours=recap_grace_hours, recap_lookback_days=recap_lookback_days
        ),
    }
    live = await live_accounts(session, scope_filter, now, params)
    renewals = await next_renewals(session, scope_filter, params, live)
    flags = await risk_flags(
        session,
        scope_filter=scope_filter,
        params=params,
        live=live,
        renewals=renewals,
        playbooks=playbooks,
    )
    return Assessed(live, renewals, flags)
