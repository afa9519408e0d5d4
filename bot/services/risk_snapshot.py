"""The risk snapshot: every account's risk flags, worked out ahead of time for large lists.

An at-risk list must sort every account in scope by its reasons, which is cheap for a team and
too slow, per request, for a head or ops over tens of thousands of accounts. So the scheduler
refreshes `account_risks` every few minutes (`refresh_all`, a chunk of accounts per short
transaction, yielding to the event loop between chunks), and a change made through accountbot
refreshes that account's row in its own transaction (`refresh_accounts`). What changes only with
time (a recap becoming overdue, a step falling due at midnight) shows at the next refresh.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.account_scope import BY_IDS, ids_params
from bot.services.assessment import assess
from storage.catalog import ROW_ID
from storage.db import Database
from storage.models import Account, AccountRisk, CatalogState

log = logging.getLogger(__name__)

CHUNK = 250  # accounts per transaction: a few dozen milliseconds of work


async def refresh_accounts(
    session: AsyncSession,
    *,
    account_ids: Sequence[int],
    now: datetime,
    playbooks: PlaybookLibrary,
    recap_grace_hours: int,
    recap_lookback_days: int,
) -> int:
    """Work out these accounts' flags again and store the flagged ones; how many are."""
    if not account_ids:
        return 0
    found = await assess(
        session,
        BY_IDS,
        scope_params=ids_params(account_ids),
        now=now,
        playbooks=playbooks,
        recap_grace_hours=recap_grace_hours,
        recap_lookback_days=recap_lookback_days,
    )
    await session.execute(delete(AccountRisk).where(AccountRisk.account_id.in_(account_ids)))
    rows = [
        {
            "account_id": account_id,
            "flag_count": len(reasons),
            "flags": reasons,
            "renewal_on": found.renewals.get(account_id),
            "refreshed_at": now,
        }
        for account_id, reasons in found.flags.items()
    ]
    if rows:
        await session.execute(insert(AccountRisk), rows)
    return len(rows)


async def forget_churned(session: AsyncSession, *, now: datetime) -> None:
    """Drop the rows of accounts churned before UTC's today, in every time zone churned: an
    import may churn a listed account on any earlier day, and the at-risk total subtracts only
    those churned since the day before the snapshot (`risk_lists`)."""
    churned = select(Account.id).where(Account.churned_on < now.astimezone(UTC).date())
    await session.execute(delete(AccountRisk).where(AccountRisk.account_id.in_(churned)))


async def snapshot_taken(session: AsyncSession) -> datetime | None:
    """When every account was last refreshed (None: never)."""
    stmt = select(CatalogState.risks_refreshed_at).where(CatalogState.id == ROW_ID)
    return await session.scalar(stmt)


async def refresh_all(
    db: Database,
    *,
    now: datetime,
    playbooks: PlaybookLibrary,
    recap_grace_hours: int,
    recap_lookback_days: int,
) -> int:
    """Refresh every account, a chunk per transaction; how many are at risk."""
    async with db.read_only() as session:
        ids = list(await session.scalars(select(Account.id).order_by(Account.id)))
    flagged = 0
    for start in range(0, len(ids), CHUNK):
        async with db.unit_of_work() as session:
            flagged += await refresh_accounts(
                session,
                account_ids=ids[start : start + CHUNK],
                now=now,
                playbooks=playbooks,
                recap_grace_hours=recap_grace_hours,
                recap_lookback_days=recap_lookback_days,
            )
        await asyncio.sleep(0)  # let requests waiting on the event loop through
    async with db.unit_of_work() as session:
        # NOT EXISTS, not NOT IN: PostgreSQL hashes a NOT IN list only while it fits in
        # work_mem, and otherwise scans every account for every row (an hour at 500,000).
        gone = ~exists().where(Account.id == AccountRisk.account_id)
        await session.execute(delete(AccountRisk).where(gone))
        await session.execute(
            update(CatalogState).where(CatalogState.id == ROW_ID).values(risks_refreshed_at=now)
        )
    log.info("risk snapshot refreshed: %s of %s accounts at risk", flagged, len(ids))
    return flagged
