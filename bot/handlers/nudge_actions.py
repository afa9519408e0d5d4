"""The buttons under each nudge: `snooze KEY 1d|1w`, `done KEY`, `why KEY`.

A key names one nudge sent to the person who presses the button (`missed_recap:meeting:12`);
someone else's key is answered as if it did not exist.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.handlers.base import CommandContext, Handler, Reply, changing, whole_number
from storage.models import Account, Contract, Meeting, NudgeItem, Objection

_DURATION = re.compile(r"([0-9]{1,2})\s*(d|day|days|w|week|weeks)")
NOT_YOURS = "That reminder was not sent to you, or it no longer exists."


async def _item(session: AsyncSession, ctx: CommandContext, key: str) -> NudgeItem:
    stmt = select(NudgeItem).where(NudgeItem.user_id == ctx.actor.id, NudgeItem.item_key == key)
    item = (await session.scalars(stmt)).first()
    if item is None:
        raise InvalidInput(NOT_YOURS, hint=f"{cmd('home')} shows what is waiting for you.")
    return item


def _split(args: str) -> tuple[str, str]:
    key, _, rest = args.strip().partition(" ")
    if not key:
        raise InvalidInput("Which reminder? Use the buttons under it.")
    return key, rest.strip()


async def snooze(ctx: CommandContext, args: str) -> Reply:
    key, rest = _split(args)
    match = _DURATION.fullmatch(rest.casefold() or "1d")
    if match is None:
        raise InvalidInput("Snooze for a number of days or weeks, e.g. `1d` or `1w`.")
    amount = int(match[1]) * (7 if match[2].startswith("w") else 1)
    if not 1 <= amount <= 60:
        raise InvalidInput("Snooze for 1 to 60 days.")
    async with changing(ctx) as session:
        item = await _item(session, ctx, key)
        item.snoozed_until = ctx.now + timedelta(days=amount)
        account = await session.get(Account, item.account_id) if item.account_id else None
    return Reply(
        "nudge_snoozed",
        {
            "account": account.name if account else None,
            "until": item.snoozed_until,
            "tz": ctx.actor.effective_timezone,
        },
    )


async def done(ctx: CommandContext, args: str) -> Reply:
    key, _ = _split(args)
    async with changing(ctx) as session:
        item = await _item(session, ctx, key)
        item.done_at = ctx.now
        account = await session.get(Account, item.account_id) if item.account_id else None
    return Reply("nudge_done", {"account": account.name if account else None, "kind": item.kind})


async def why(ctx: CommandContext, args: str) -> Reply:
    key, _ = _split(args)
    async with ctx.services.db.read_only() as session:
        item = await _item(session, ctx, key)
        account = await session.get(Account, item.account_id) if item.account_id else None
        facts = await _facts(session, key)
    if item.kind == "objection":
        facts["stale_days"] = ctx.services.settings.objection_stale_days
    rules = ctx.services.nudge_rules
    return Reply(
        "nudge_why",
        {
            "kind": item.kind,
            "account": account.name if account else None,
            "facts": facts,
            "grace_hours": rules.recap_grace_hours,
            "windows": list(rules.renewal_windows),
            "onboarding_days": rules.onboarding_target_days,
            "tz": ctx.actor.effective_timezone,
            "sent_at": item.first_sent_at,
        },
    )


async def _facts(session: AsyncSession, key: str) -> dict[str, Any]:
    """The data behind a nudge, read from its key (meeting, contract, step or objection)."""
    parts = key.split(":")
    row_id = whole_number(parts[2]) if len(parts) > 2 else None
    if parts[0] == "missed_recap" and len(parts) == 3 and row_id is not None:
        meeting = await session.get(Meeting, row_id)
        return {"occurred_at": meeting.occurred_at, "meeting_kind": meeting.kind} if meeting else {}
    if parts[0] == "renewal" and len(parts) == 4 and row_id is not None:
        contract = await session.get(Contract, row_id)
        facts: dict[str, Any] = {"window": parts[3]}
        if contract:
            facts.update(end_on=contract.end_on, value=contract.value)
        return facts
    if parts[0] == "objection" and len(parts) == 3 and row_id is not None:
        objection = await session.get(Objection, row_id)
        if objection is None:
            return {}
        return {
            "objection_id": objection.id,
            "summary": objection.summary,
            "opened_at": objection.opened_at,
        }
    if parts[0] == "overdue_step" and len(parts) >= 5:
        return {"stage": parts[3], "step_id": parts[4]}
    return {}


COMMANDS: dict[str, Handler] = {"snooze": snooze, "done": done, "why": why}
