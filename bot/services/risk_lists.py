"""At-risk lists: live accounts with a reason to worry, most reasons first, then the soonest
renewal, then by name.

A scope of up to ``LIVE_LIMIT`` accounts (an AM's, a team's) is worked out on the spot. A larger
one (a head or ops over a big book) is sorted and paged in SQL from the risk snapshot
(`risk_snapshot`) when it is fresh; otherwise it is worked out on the spot too, slower but right.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.access import readable_accounts, sees_everything
from bot.services.account_scope import live_on, readable_live
from bot.services.assessment import assess
from bot.services.owners import (
    Owner,
    owner_today,
    owner_zone,
    with_owner,
    zone_unless_readers,
    zones_in_use,
)
from bot.services.portfolio import AccountList, AccountRow, as_date
from bot.services.risk_snapshot import snapshot_taken
from bot.services.when import local_today
from storage.models import Account, AccountRisk, Stage, User

LIVE_LIMIT = 2000
SNAPSHOT_MAX_AGE = timedelta(minutes=15)  # three refreshes missed: work it out instead


async def at_risk_page(
    session: AsyncSession,
    *,
    actor: User,
    now: datetime,
    playbooks: PlaybookLibrary,
    limit: int,
    offset: int,
    recap_grace_hours: int,
    recap_lookback_days: int,
    live_limit: int = LIVE_LIMIT,
) -> AccountList:
    if await _more_than(session, actor, live_limit):
        taken = await snapshot_taken(session)
        if taken is not None and now - taken <= SNAPSHOT_MAX_AGE:
            return await _from_snapshot(session, actor, now, taken, limit, offset)
    scope, scope_params = readable_live(actor, now)
    found = await assess(
        session,
        scope,
        scope_params=scope_params,
        now=now,
        playbooks=playbooks,
        recap_grace_hours=recap_grace_hours,
        recap_lookback_days=recap_lookback_days,
    )
    readers_today = local_today(now, actor.effective_timezone)
    rows = []
    for account_id, reasons in found.flags.items():
        account = found.live[account_id]
        renewal_on = found.renewals.get(account_id)
        days_left = (renewal_on - account.today).days if renewal_on else None
        rows.append(
            AccountRow(
                account.name,
                account.id,
                account.stage,
                account.owner_name,
                account.mrr,
                renewal_on,
                days_left,
                reasons,
                zone_unless_readers(account.tz, account.today, readers_today),
            )
        )
    rows.sort(key=lambda r: (-len(r.flags), r.renewal_on or date.max, r.name.casefold(), r.id))
    return AccountList("at-risk", len(rows), rows[offset : offset + limit], offset, limit)


async def _more_than(session: AsyncSession, actor: User, limit: int) -> bool:
    """Whether ``actor`` may read more than ``limit`` accounts: counted up to one more, never
    over the whole book."""
    readable = select(Account.id).where(readable_accounts(actor)).limit(limit + 1).subquery()
    found = await session.scalar(select(func.count()).select_from(readable))
    return int(found or 0) > limit


def _snapshot_count(actor: User) -> Select[int]:
    """The snapshot rows ``actor`` may read (every row, for those who read everything)."""
    if sees_everything(actor):
        return select(func.count()).select_from(AccountRisk)
    return (
        select(func.count())
        .select_from(AccountRisk)
        .join(Account, Account.id == AccountRisk.account_id)
        .where(readable_accounts(actor))
    )


async def _snapshot_total(
    session: AsyncSession,
    actor: User,
    now: datetime,
    taken: datetime,
    today: ColumnElement[date],
) -> int:
    """How many accounts the at-risk list holds: the snapshot's rows ``actor`` may read, less
    those churned since it was taken: a few days of ix_accounts_churned_on, never a check of
    every listed account nor of every account ever churned. A refresh stores live accounts
    only (churned after the day before it, in any time zone), and an import that churns an
    account on an earlier day drops its row (`risk_snapshot.forget_churned`)."""
    churned_since = with_owner(
        select(func.count())
        .select_from(Account)
        .join(AccountRisk, AccountRisk.account_id == Account.id)
    ).where(
        Account.churned_on >= taken.astimezone(UTC).date() - timedelta(days=1),
        Account.churned_on <= now.astimezone(UTC).date() + timedelta(days=1),
        Account.churned_on <= today,
        readable_accounts(actor),
    )
    listed = await session.scalar(_snapshot_count(actor)) or 0
    return int(listed) - int(await session.scalar(churned_since) or 0)


async def _from_snapshot(
    session: AsyncSession, actor: User, now: datetime, taken: datetime, limit: int, offset: int
) -> AccountList:
    zones = await zones_in_use(session)
    today = owner_today(now, zones)
    stmt = with_owner(
        select(
            Account.id,
            Account.name,
            Account.stage,
            Account.mrr,
            Owner.name.label("owner_name"),
            AccountRisk.flags,
            AccountRisk.renewal_on,
            today.label("owner_today"),
            owner_zone(),
        ).join(AccountRisk, AccountRisk.account_id == Account.id)
    ).where(
        readable_accounts(actor),
        live_on(today),
    )
    order = (  # as ix_account_risks_order reads (PostgreSQL puts NULLs last when ascending)
        AccountRisk.flag_count.desc(),
        AccountRisk.renewal_on.asc().nulls_last(),
        Account.name_key,
        Account.id,
    )
    page = (await session.execute(stmt.order_by(*order).offset(offset).limit(limit))).all()
    total = await _snapshot_total(session, actor, now, taken, today)
    readers_today = local_today(now, actor.effective_timezone)
    rows = [
        AccountRow(
            row.name,
            row.id,
            Stage(row.stage).value,
            row.owner_name,
            row.mrr,
            row.renewal_on,
            (row.renewal_on - as_date(row.owner_today)).days if row.renewal_on else None,
            list(row.flags),
            zone_unless_readers(row.zone_name, as_date(row.owner_today), readers_today),
        )
        for row in page
    ]
    return AccountList("at-risk", total, rows, offset, limit)
