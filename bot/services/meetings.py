"""Meetings and their recaps, logged from chat: a recap after every call.

Meeting times are kept to the minute (seconds are dropped), so logging the same call twice
within a minute is caught as a duplicate. A meeting may be logged up to an hour ahead (people
log a call as it starts), and up to a year back (older history comes from `accountbot import`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.services.access import add_audit_entry, load_owner, require_change
from bot.services.when import (
    FUTURE_TOLERANCE,
    PAST_LIMIT,
    in_the_future,
    too_long_ago,
    typed_when,
)
from storage.models import MEETING_KIND_MAX, Account, Meeting, MeetingKind, Role, User

SUMMARY_MAX = 3000
NOTE_MAX = 3000
NO_PENDING_MEETING = (
    f"No meeting without a recap; log the meeting first with {cmd('meeting NAME')}."
)


def _to_minute(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("meeting times must be timezone-aware")
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


async def meeting_at(session: AsyncSession, account: Account, moment: datetime) -> Meeting | None:
    """The account's meeting logged at that minute, if any."""
    at = _to_minute(moment)
    stmt = select(Meeting).where(Meeting.account_id == account.id, Meeting.occurred_at == at)
    return (await session.scalars(stmt)).first()


async def log_meeting(
    session: AsyncSession,
    *,
    account: Account,
    actor: User,
    occurred_at: datetime,
    kind: str = MeetingKind.SYNC,
    now: datetime,
) -> Meeting:
    """Record that a meeting with the account happened; its AM is the actor if an AM, else the
    account's owner."""
    await load_owner(session, account)
    require_change(actor, account)
    at = _to_minute(occurred_at)
    shown = typed_when(at, actor.effective_timezone)
    label = MeetingKind.canonical(kind) or MeetingKind.SYNC
    if len(label) > MEETING_KIND_MAX:
        raise InvalidInput(f"A meeting kind is at most {MEETING_KIND_MAX} characters long.")
    if at > now + FUTURE_TOLERANCE:
        raise in_the_future(shown)
    if at < now - PAST_LIMIT:
        raise too_long_ago(shown)
    if (logged := await meeting_at(session, account, at)) is not None:
        recap = cmd(f"recap {account.name} {shown}")
        raise InvalidInput(
            f"A meeting with {account.name} at {shown} is already logged.",
            hint=None if logged.recap_logged_at else f"Add its recap with {recap}.",
        )
    meeting = Meeting(
        account_id=account.id,
        am_id=actor.id if actor.role is Role.AM else account.owner_id,
        occurred_at=at,
        kind=label,
    )
    session.add(meeting)
    await session.flush()
    details = {"meeting_id": meeting.id, "occurred_at": at.isoformat(), "kind": meeting.kind}
    add_audit_entry(
        session, actor=actor, action="meeting.log", account=account, details=details, at=now
    )
    await session.flush()
    await session.refresh(meeting, attribute_names=["am"])
    return meeting


async def meetings_without_recap(
    session: AsyncSession, *, account: Account, limit: int
) -> list[Meeting]:
    """The account's latest meetings that have no recap yet, newest first."""
    stmt = (
        select(Meeting)
        .where(Meeting.account_id == account.id, Meeting.recap_logged_at.is_(None))
        .order_by(Meeting.occurred_at.desc(), Meeting.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def latest_meeting_without_recap(
    session: AsyncSession, *, account: Account
) -> Meeting | None:
    """The most recent meeting of the account that has no recap yet."""
    found = await meetings_without_recap(session, account=account, limit=1)
    return found[0] if found else None


def _text(
    value: str | None, what: str, *, required: bool = False, limit: int = NOTE_MAX
) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise InvalidInput("The recap needs a summary: what was discussed and agreed?")
        return None
    if len(cleaned) > limit:
        raise InvalidInput(f"The {what} is {len(cleaned)} characters long; the most is {limit}.")
    return cleaned


async def _meeting_to_recap(
    session: AsyncSession,
    account: Account,
    actor: User,
    now: datetime,
    meeting_id: int | None,
    new_meeting_at: datetime | None,
) -> Meeting:
    if meeting_id is not None:
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None or meeting.account_id != account.id:
            raise InvalidInput(f"That meeting is not one of {account.name}'s.")
        return meeting
    if new_meeting_at is not None:
        existing = await meeting_at(session, account, new_meeting_at)
        if existing is not None and existing.recap_logged_at is None:
            return existing
        return await log_meeting(
            session, account=account, actor=actor, occurred_at=new_meeting_at, now=now
        )
    pending = await latest_meeting_without_recap(session, account=account)
    if pending is None:
        raise InvalidInput(NO_PENDING_MEETING)
    return pending


async def log_recap(
    session: AsyncSession,
    *,
    account: Account,
    actor: User,
    now: datetime,
    summary: str,
    next_steps: str | None,
    upsell_spotted: str | None,
    meeting_id: int | None = None,
    new_meeting_at: datetime | None = None,
) -> Meeting:
    """Write the recap of a meeting: the given one, a newly logged one at ``new_meeting_at``
    (or the unrecapped meeting already logged at that minute), else the latest without one."""
    await load_owner(session, account)
    require_change(actor, account)
    cleaned_summary = _text(summary, "summary", required=True, limit=SUMMARY_MAX)
    cleaned_next = _text(next_steps, "next steps")
    cleaned_upsell = _text(upsell_spotted, "upsell note")
    meeting = await _meeting_to_recap(session, account, actor, now, meeting_id, new_meeting_at)
    replaced = meeting.recap_logged_at is not None
    meeting.recap = cleaned_summary
    meeting.next_steps = cleaned_next
    meeting.upsell_spotted = cleaned_upsell
    meeting.recap_logged_at = now
    details = {
        "meeting_id": meeting.id,
        "occurred_at": meeting.occurred_at.isoformat(),
        "replaced": replaced,
        "upsell_spotted": cleaned_upsell is not None,
    }
    add_audit_entry(
        session, actor=actor, action="meeting.recap", account=account, details=details, at=now
    )
    await session.flush()
    if "am" in inspect(meeting).unloaded:
        await session.refresh(meeting, attribute_names=["am"])
    return meeting
