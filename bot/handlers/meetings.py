"""`meeting` and `recap`: a recap after every call."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput, NotFound, UserError
from bot.formatting import typed_clean
from bot.handlers.base import (
    CommandContext,
    Handler,
    Reply,
    account_ref,
    changing,
    refresh_risk,
    resolve_account,
)
from bot.services.access import load_owner, require_change
from bot.services.meetings import SUMMARY_MAX as MEETING_SUMMARY_MAX
from bot.services.meetings import (
    latest_meeting_without_recap,
    log_meeting,
    log_recap,
    meeting_at,
    meetings_without_recap,
)
from bot.services.when import parse_when, typed_when
from storage.models import Account, Meeting

RECAP_FORM = "recap"
RECAP_HINT = f"Add its recap with {cmd('recap NAME')}."
MAX_WHEN_WORDS = 5  # "yesterday at 14:30", "3 days ago", "last friday at 3:30 pm"
SUMMARY_MAX = MEETING_SUMMARY_MAX
MEETINGS_SUGGESTED = 3


@dataclass(frozen=True)
class RecapFields:
    summary: str
    next_steps: str | None = None
    upsell_spotted: str | None = None
    meeting_when: str | None = None

    @classmethod
    def from_form(cls, values: Mapping[str, str | None]) -> RecapFields:
        def clean(key: str) -> str | None:
            value = typed_clean(values.get(key) or "").strip()
            return value or None

        return cls(
            summary=clean("summary") or "",
            next_steps=clean("next_steps"),
            upsell_spotted=clean("upsell_spotted"),
            meeting_when=clean("meeting_when"),
        )

    def problems(self) -> dict[str, str]:
        """What is wrong with the form before anything is looked up, by field."""
        if not self.summary:
            return {"summary": "Write a short summary of the meeting."}
        if len(self.summary) > SUMMARY_MAX:
            return {
                "summary": f"Keep the summary to {SUMMARY_MAX} characters or fewer "
                f"(it has {len(self.summary)})."
            }
        return {}


async def _account_and_when(
    ctx: CommandContext, session: object, args: str, *, blame_the_time: bool = True
) -> tuple[Account, str]:
    """Split `NAME [when]`: quoted names are taken as typed; otherwise the longest name wins.

    When only a name followed by words that are not a time resolves, the time is what is
    wrong, and the answer says so (not "no account matches" the whole text). Without
    ``blame_the_time`` (the time is optional), words that are not a time are part of the name,
    so a misspelt name gets the account suggestions.
    """
    if args.startswith(('"', "'")):
        try:
            words = shlex.split(args)
        except ValueError as exc:
            raise InvalidInput("A quote is not closed.") from exc
        return await resolve_account(ctx, session, words[0]), " ".join(words[1:])
    words = args.split()
    if len(words) > 1 and account_ref(words[0]) is not None and _parses(ctx, " ".join(words[1:])):
        return await resolve_account(ctx, session, words[0]), " ".join(words[1:])  # `#id WHEN`
    first_error: UserError | None = None
    unreadable_when: str | None = None
    shortest_name = max(1, len(words) - MAX_WHEN_WORDS)
    for cut in range(len(words), shortest_name - 1, -1):
        name, when = " ".join(words[:cut]), " ".join(words[cut:])
        when_ok = not when or _parses(ctx, when)
        if not when_ok and (unreadable_when is not None or not blame_the_time):
            continue  # a name already fits with a time that is wrong: that is the answer
        try:
            account = await resolve_account(ctx, session, name)
        except NotFound as error:
            first_error = first_error or error
            continue
        if when_ok:
            return account, when
        unreadable_when = when
    if unreadable_when is not None:
        parse_when(unreadable_when, now=ctx.now, tz=ctx.actor.effective_timezone)  # raises
    raise first_error or InvalidInput(f"Which account? Try {cmd('meeting Acme yesterday')}.")


def _parses(ctx: CommandContext, when: str) -> bool:
    try:
        parse_when(when, now=ctx.now, tz=ctx.actor.effective_timezone)
    except InvalidInput:
        return False
    return True


async def meeting(ctx: CommandContext, args: str) -> Reply:
    if not args:
        raise InvalidInput(f"Which account? Try {cmd('meeting Acme yesterday 14:00')}.")
    tz = ctx.actor.effective_timezone
    try:
        async with changing(ctx) as session:
            account, when = await _account_and_when(ctx, session, args)
            occurred_at = parse_when(when, now=ctx.now, tz=tz)
            logged = await log_meeting(
                session, account=account, actor=ctx.actor, occurred_at=occurred_at, now=ctx.now
            )
            await refresh_risk(ctx, session, account.id)
            latest = await latest_meeting_without_recap(session, account=account)
    except IntegrityError:  # the same meeting logged at the same moment by another request
        raise InvalidInput("That meeting has just been logged.", hint=RECAP_HINT) from None
    return Reply(
        "meeting_logged",
        {
            "account": account.name,
            "account_id": account.id,
            "occurred_at": logged.occurred_at,
            "tz": tz,
            # `recap NAME` asks about the latest meeting without a recap; an older one is named
            "recap_when": None
            if latest is not None and latest.id == logged.id
            else typed_when(logged.occurred_at, tz),
        },
    )


async def _meeting_named(
    ctx: CommandContext, session: AsyncSession, account: Account, when: str
) -> Meeting:
    """The account's meeting at ``when`` (to the minute), waiting for its recap."""
    tz = ctx.actor.effective_timezone
    moment = parse_when(when, now=ctx.now, tz=tz)
    at = typed_when(moment, tz)
    found = await meeting_at(session, account, moment)
    if found is not None and found.recap_logged_at is None:
        return found
    waiting = await meetings_without_recap(session, account=account, limit=MEETINGS_SUGGESTED)
    suggested = [cmd(f"recap {account.name} {typed_when(m.occurred_at, tz)}") for m in waiting]
    hint = (
        f"Waiting for a recap: {', '.join(suggested)}."
        if suggested
        else f"Log it first with {cmd(f'meeting {account.name} {at}')}."
    )
    if found is None:
        raise InvalidInput(f"No meeting with {account.name} is logged at {at}.", hint=hint)
    raise InvalidInput(f"The meeting with {account.name} at {at} has its recap already.", hint=hint)


async def recap(ctx: CommandContext, args: str) -> Reply:
    """Ask for the recap (a Slack modal, a Teams card, prompts in the console) of the meeting at
    the time given, else of the latest meeting without one."""
    if not args:
        raise InvalidInput(f"Which account? Try {cmd('recap Acme')}.")
    async with ctx.services.db.read_only() as session:
        account, when = await _account_and_when(ctx, session, args, blame_the_time=False)
        await load_owner(session, account)
        require_change(ctx.actor, account)  # say so now, not after the form is filled in
        if when:
            pending: Meeting | None = await _meeting_named(ctx, session, account, when)
        else:
            pending = await latest_meeting_without_recap(session, account=account)
    return Reply(
        "recap_form",
        {
            "account": account.name,
            "account_id": account.id,
            "meeting": pending,
            "meeting_id": pending.id if pending is not None else None,  # what the form saves to
            "tz": ctx.actor.effective_timezone,
            "summary_max": SUMMARY_MAX,
        },
        form=RECAP_FORM,
    )


async def submit_recap(
    ctx: CommandContext, account_id: int, fields: RecapFields, meeting_id: int | None = None
) -> Reply:
    """Save a submitted recap form; submitted again (the same ``ctx.once_key``), nothing.
    `meeting_id` is the meeting the form was opened for: the recap goes there even when
    another meeting of the account was logged while the form was open."""
    tz = ctx.actor.effective_timezone
    async with changing(ctx) as session:
        account = await resolve_account(ctx, session, f"#{account_id}")
        new_meeting_at = None
        if fields.meeting_when:
            new_meeting_at = parse_when(fields.meeting_when, now=ctx.now, tz=tz)
        recapped = await log_recap(
            session,
            account=account,
            actor=ctx.actor,
            now=ctx.now,
            summary=fields.summary,
            next_steps=fields.next_steps,
            upsell_spotted=fields.upsell_spotted,
            meeting_id=None if new_meeting_at else meeting_id,
            new_meeting_at=new_meeting_at,
        )
        await refresh_risk(ctx, session, account.id)
    return Reply(
        "recap_logged",
        {"account": account.name, "account_id": account.id, "meeting": recapped, "tz": tz},
    )


COMMANDS: dict[str, Handler] = {"meeting": meeting, "recap": recap}
