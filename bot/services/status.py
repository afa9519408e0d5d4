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

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    bindparam,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.access import load_owner
from bot.services.owners import zone_unless_readers
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
    # the owner's zone when their today (days count from it) is not the reader's
    owner_zone: str | None = None

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


def recap_window_bounds(
    now: datetime, *, grace_hours: int, lookback_days: int
) -> tuple[datetime, datetime, datetime]:
    """(earliest meeting, latest meeting, now) of the missed-recap rule, all in UTC."""
    now = now.astimezone(UTC)  # durations subtract in real time, not on a local wall clock
    return now - timedelta(days=lookback_days), now - timedelta(hours=grace_hours), now


def recap_overdue(since: Any, until: Any, now: Any) -> ColumnElement[bool]:
    """Meetings between ``since`` and ``until`` (both included) with no recap logged by
    ``now``: values, or bound parameters of a statement built once."""
    return (
        (Meeting.occurred_at >= since)
        & (Meeting.occurred_at <= until)
        & or_(Meeting.recap_logged_at.is_(None), Meeting.recap_logged_at > now)
    )


def missed_recap_window(
    now: datetime, *, grace_hours: int, lookback_days: int
) -> ColumnElement[bool]:
    """Meetings whose recap is overdue as of ``now`` (the missed-recap nudge's rule)."""
    return recap_overdue(
        *recap_window_bounds(now, grace_hours=grace_hours, lookback_days=lookback_days)
    )


def _glance_statement() -> Select[Any]:
    """The next contract, the last meeting and two counts of one account, in one round trip.
    Built once, run with its parameters."""
    account_id: BindParameter[int] = bindparam("account_id")
    next_contract = (
        select(Contract.end_on)
        .where(Contract.account_id == account_id, Contract.end_on >= bindparam("today"))
        .order_by(Contract.end_on, Contract.id)
        .limit(1)
    )
    last_meeting = (
        select(Meeting.occurred_at)
        .where(Meeting.account_id == account_id, Meeting.occurred_at <= bindparam("now"))
        .order_by(Meeting.occurred_at.desc())
        .limit(1)
    )
    missed = recap_overdue(bindparam("recap_since"), bindparam("recap_until"), bindparam("now"))
    return select(
        next_contract.scalar_subquery().label("renewal_on"),
        next_contract.with_only_columns(Contract.auto_renew).scalar_subquery().label("auto_renew"),
        last_meeting.scalar_subquery().label("met_at"),
        last_meeting.with_only_columns(Meeting.kind).scalar_subquery().label("met_kind"),
        last_meeting.with_only_columns(Meeting.recap_logged_at)
        .scalar_subquery()
        .label("recap_logged_at"),
        select(func.count())
        .where(Meeting.account_id == account_id, missed)
        .scalar_subquery()
        .label("missed_recaps"),
        select(func.count())
        .where(Objection.account_id == account_id, Objection.status.in_(LIVE_OBJECTION_STATUSES))
        .scalar_subquery()
        .label("open_objections"),
    )


_GLANCE = _glance_statement()


def _last_meeting(row: Row[Any], now: datetime) -> LastMeeting | None:
    if row.met_at is None:
        return None
    has_recap = row.recap_logged_at is not None and row.recap_logged_at <= now
    return LastMeeting(row.met_at, str(row.met_kind), has_recap)


async def account_status(
    session: AsyncSession,
    *,
    account: Account,
    playbooks: PlaybookLibrary,
    now: datetime,
    readers_timezone: str | None = None,
    recap_grace_hours: int = 24,
    recap_lookback_days: int = 14,
) -> AccountStatus:
    """Everything `/account status` shows about ``account`` as of ``now``; days count from the
    owner's today, and name the owner's zone when that is not the reader's today."""
    owner = await load_owner(session, account)
    tz = owner.effective_timezone
    today = local_today(now, tz)
    since, until, utc_now = recap_window_bounds(
        now, grace_hours=recap_grace_hours, lookback_days=recap_lookback_days
    )
    params = {
        "account_id": account.id,
        "today": today,
        "now": utc_now,
        "recap_since": since,
        "recap_until": until,
    }
    glance = (await session.execute(_GLANCE, params)).one()
    renewal_on: date | None = glance.renewal_on
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
        renewal_on=renewal_on,
        days_to_renewal=(renewal_on - today).days if renewal_on else None,
        auto_renew=glance.auto_renew if renewal_on else None,
        last_meeting=_last_meeting(glance, now),
        missed_recaps=int(glance.missed_recaps),
        open_objections=int(glance.open_objections),
        playbook=await playbook_progress(session, account=account, playbooks=playbooks, now=now),
        churned_on=account.churned_on,
        owner_zone=zone_unless_readers(tz, today, local_today(now, readers_timezone or tz)),
    )
