"""Objections still being worked on (open or escalated): for `objections`, an account's status,
App Home, and the daily nudge about ones left open too long."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, func, or_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks.objection_walk import ObjectionWalk
from bot.services.access import readable_accounts, sees_everything
from bot.services.objections.views import ObjectionSummary, summarize
from bot.services.paging import Paged, page_and_total, paged
from storage.expressions import likely, not_leading
from storage.models import LIVE_OBJECTION_SQL, LIVE_OBJECTION_STATUSES, Account, Objection, User

LIST_LIMIT = 30


@dataclass(frozen=True)
class ObjectionList:
    items: list[ObjectionSummary]
    total: int


# Live, in the words that define ix_objections_live_opened_at: SQLite uses a partial index only
# for a query that says its condition so (not through parameters), and, without statistics,
# only when told the condition holds for most objections; else it sorts all it finds.
_LIVE_IN_WORDS = text(f"objections.{LIVE_OBJECTION_SQL}")
# Live, among fewer accounts than the whole book (a reader's, one's own, a page's): found from
# each account's own objections (ix_objections_account_id_status), the status kept from leading.
LIVE_BY_ACCOUNT = not_leading(Objection.status).in_(LIVE_OBJECTION_STATUSES)


def _on_accounts_visible_to(actor: User) -> ColumnElement[bool]:
    """On an account ``actor`` reads or sponsors, for a reader who does not see everything:
    one IN over the union of both, so each side is served by its own index (owner, sponsor)
    and the objections are then found by account. Said as an OR, PostgreSQL read every live
    objection of the book, and every account to count them: 147 ms of a lead's App Home on
    494,672 accounts, 6 ms this way."""
    readable = select(Account.id).where(readable_accounts(actor)).correlate(None)
    sponsored = select(Account.id).where(Account.exec_sponsor_id == actor.id).correlate(None)
    return Objection.account_id.in_(union_all(readable, sponsored))


_JOINED = select(Objection, Account).join(Account, Account.id == Objection.account_id)
_OLDEST_FIRST = (Objection.opened_at, Objection.id)


def _owned_or_sponsored_by(who: Any) -> ColumnElement[bool]:
    return or_(Account.owner_id == who, Account.exec_sponsor_id == who)


@cache
def _own_or_sponsored() -> Paged:
    """Built once, for everyone: App Home lists them on every opening."""
    mine = _owned_or_sponsored_by(bindparam("actor", type_=Integer))
    return paged(_JOINED.where(LIVE_BY_ACCOUNT, mine), order_by=_OLDEST_FIRST)


def _visible(actor: User, account: Account | None, own_only: bool) -> Paged:
    if sees_everything(actor) and account is None and not own_only:
        # the first rows of ix_objections_live_opened_at; the total, no join
        count = select(func.count()).select_from(Objection).where(_LIVE_IN_WORDS)
        return paged(_JOINED.where(likely(_LIVE_IN_WORDS)), order_by=_OLDEST_FIRST, count=count)
    conditions = [LIVE_BY_ACCOUNT]
    if not sees_everything(actor):
        conditions.append(_on_accounts_visible_to(actor))
    if account is not None:
        conditions.append(Objection.account_id == account.id)
    if own_only:
        conditions.append(_owned_or_sponsored_by(actor.id))
    return paged(_JOINED.where(*conditions), order_by=_OLDEST_FIRST)


async def live_objections(
    session: AsyncSession,
    *,
    actor: User,
    walk: ObjectionWalk,
    now: datetime,
    stale_days: int,
    account: Account | None = None,
    own_only: bool = False,
    limit: int = LIST_LIMIT,
) -> ObjectionList:
    """The open and escalated objections ``actor`` may see (of one account; or only on the
    accounts they own or sponsor, ``own_only``), oldest first."""
    if own_only and account is None:  # what they own or sponsor: visible to them whoever
        page, params = _own_or_sponsored(), {"actor": actor.id}
    else:
        page, params = _visible(actor, account, own_only), {}
    rows, total = await page_and_total(session, page, limit=limit, offset=0, params=params)
    items = [
        summarize(objection, acc, walk, now=now, stale_days=stale_days)
        for objection, acc, _ in rows
    ]
    return ObjectionList(items, total)


async def account_objections(
    session: AsyncSession, *, account: Account, walk: ObjectionWalk, now: datetime, stale_days: int
) -> list[ObjectionSummary]:
    """Every live objection of one account (for its status), oldest first."""
    found = await session.scalars(_ACCOUNT_OBJECTIONS, {"account_id": account.id})
    return [
        summarize(objection, account, walk, now=now, stale_days=stale_days) for objection in found
    ]


_ACCOUNT_OBJECTIONS = (  # built once: every status reads it
    select(Objection)
    .where(
        Objection.account_id == bindparam("account_id"),
        Objection.status.in_(LIVE_OBJECTION_STATUSES),
    )
    .order_by(Objection.opened_at, Objection.id)
)


@dataclass(frozen=True)
class StaleObjection:
    """A live objection open longer than OBJECTION_STALE_DAYS, for its account's owner."""

    owner_id: int
    owner_email: str
    summary: ObjectionSummary


async def stale_objections(
    session: AsyncSession,
    *,
    as_of: datetime,
    walk: ObjectionWalk,
    stale_days: int,
    owner_ids: Collection[int] | None = None,
) -> list[StaleObjection]:
    """Live objections opened more than ``stale_days`` ago (on accounts of ``owner_ids``)."""
    stmt = (
        select(Objection, Account)
        .join(Account, Account.id == Objection.account_id)
        .where(
            Objection.status.in_(LIVE_OBJECTION_STATUSES),
            Objection.opened_at < as_of - timedelta(days=stale_days),
            Account.churned_on.is_(None),
        )
        .order_by(Objection.opened_at, Objection.id)
    )
    if owner_ids is not None:
        stmt = stmt.where(Account.owner_id.in_(owner_ids))
    found = []
    for objection, account in await session.execute(stmt):
        summary = summarize(objection, account, walk, now=as_of, stale_days=stale_days)
        found.append(StaleObjection(account.owner_id, account.owner.email, summary))
    return found
