"""`/account status`: one account at a glance.

"Today" is ``now`` in the owner's timezone (``User.effective_timezone``: their own, else their
team's, else UTC). A missed recap is a meeting that happened between ``now - lookback days``
and ``now - grace hours`` (both ends included) with no recap logged by ``now`` — the same rule
as the missed-recap nudge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.access import load_owner
from bot.services.playbook_progress import PlaybookProgress, playbook_progress
from bot.services.when import local_date_of, local_today
from storage.models import LIVE_OBJECTION_STATUSES, Account, Contract, Meeting, Objection, Stage


@dataclass(frozen=True, slots=True)
class LastMeeting:
    occurred_at: datetime
    kind: str
    has_recap: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "kind": self.kind,
            "has_recap": self.has_recap,
        }


@dataclass(frozen=True, slots=True)
class AccountStatus:
    name: str
    stage: str
    stage_entered_at: datetime
    days_in_stage: int
    owner_name: str
    owner_email: str
    exec_sponsor_name: str | None
    exec_sponsor_email: str | None
    mrr: Decimal
    started_on: date
    renewal_on: date | None
    days_to_renewal: int | None
    auto_renew: bool | None
    last_meeting: LastMeeting | None
    missed_recaps: int
    open_objections: int
    playbook: PlaybookProgress
    churned_on: date | None

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON: the documented keys first, then extras; dates ISO, money a float."""
        return {
            "name": self.name,
            "stage": self.stage,
            "owner_email": self.owner_email,
            "exec_sponsor_email": self.exec_sponsor_email,
            "mrr": float(self.mrr),
            "renewal_on": self.renewal_on.isoformat() if self.renewal_on else None,
            "days_to_renewal": self.days_to_renewal,
            "playbook": self.playbook.to_dict(),
            "open_objections": self.open_objections,
            "missed_recaps": self.missed_recaps,
            "days_in_stage": self.days_in_stage,
            "stage_entered_at": self.stage_entered_at.isoformat(),
            "owner_name": self.owner_name,
            "exec_sponsor_name": self.exec_sponsor_name,
            "started_on": self.started_on.isoformat(),
            "auto_renew": self.auto_renew,
            "last_meeting": self.last_meeting.to_dict() if self.last_meeting else None,
            "churned_on": self.churned_on.isoformat() if self.churned_on else None,
        }


def missed_recap_window(
    now: datetime, *, grace_hours: int, lookback_days: int
) -> ColumnElement[bool]:
    """Meetings whose recap is overdue as of ``now`` (the missed-recap nudge's rule)."""
    now = now.astimezone(UTC)  # durations subtract in real time, not on a local wall clock
    return (
        (Meeting.occurred_at >= now - timedelta(days=lookback_days))
        & (Meeting.occurred_at <= now - timedelta(hours=grace_hours))
        & or_(Meeting.recap_logged_at.is_(None), Meeting.recap_logged_at > now)
    )


async def _next_contract(
    session: AsyncSession, account: Account, today: date
) -> tuple[date, bool] | None:
    stmt = (
        select(Contract.end_on, Contract.auto_renew)
        .where(Contract.account_id == account.id, Contract.end_on >= today)
        .order_by(Contract.end_on, Contract.id)
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row.end_on, row.auto_renew) if row else None


async def _last_meeting(
    session: AsyncSession, account: Account, now: datetime
) -> LastMeeting | None:
    stmt = (
        select(Meeting.occurred_at, Meeting.kind, Meeting.recap_logged_at)
        .where(Meeting.account_id == account.id, Meeting.occurred_at <= now)
        .order_by(Meeting.occurred_at.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    has_recap = row.recap_logged_at is not None and row.recap_logged_at <= now
    return LastMeeting(row.occurred_at, str(row.kind), has_recap)


async def _count(session: AsyncSession, *conditions: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).where(*conditions)) or 0)


async def account_status(
    session: AsyncSession,
    *,
    account: Account,
    playbooks: PlaybookLibrary,
    now: datetime,
    recap_grace_hours: int = 24,
    recap_lookback_days: int = 14,
) -> AccountStatus:
    """Everything `/account status` shows about ``account`` as of ``now``."""
    owner = await load_owner(session, account)
    tz = owner.effective_timezone
    today = local_today(now, tz)
    renewal = await _next_contract(session, account, today)
    missed = await _count(
        session,
        Meeting.account_id == account.id,
        missed_recap_window(now, grace_hours=recap_grace_hours, lookback_days=recap_lookback_days),
    )
    objections = await _count(
        session,
        Objection.account_id == account.id,
        Objection.status.in_(LIVE_OBJECTION_STATUSES),
    )
    if "exec_sponsor" in inspect(account).unloaded:
        await session.refresh(account, attribute_names=["exec_sponsor"])
    sponsor = account.exec_sponsor
    return AccountStatus(
        name=account.name,
        stage=Stage(account.stage).value,
        stage_entered_at=account.stage_entered_at,
        days_in_stage=(today - local_date_of(account.stage_entered_at, tz)).days,
        owner_name=owner.name,
        owner_email=owner.email,
        exec_sponsor_name=sponsor.name if sponsor else None,
        exec_sponsor_email=sponsor.email if sponsor else None,
        mrr=Decimal(account.mrr),
        started_on=account.started_on,
        renewal_on=renewal[0] if renewal else None,
        days_to_renewal=(renewal[0] - today).days if renewal else None,
        auto_renew=renewal[1] if renewal else None,
        last_meeting=await _last_meeting(session, account, now),
        missed_recaps=missed,
        open_objections=objections,
        playbook=await playbook_progress(session, account=account, playbooks=playbooks, now=now),
        churned_on=account.churned_on,
    )
