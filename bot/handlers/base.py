"""What every command handler receives and returns."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.formatting import typed_clean
from bot.services.once import claim
from bot.services.risk_snapshot import refresh_accounts, snapshot_taken

if TYPE_CHECKING:
    from bot.services.container import Services
    from bot.services.conversations import Conversation
    from storage.models import User

# Who sees an answer: only the person who asked, or everyone where they asked.
Audience = Literal["private", "shared"]


@dataclass(frozen=True)
class Reply:
    """A handler's answer: which template to render, with what data, for whom.

    `form` names a form to fill in instead of a message (each surface shows it its own way: a
    Slack modal, a Teams card with inputs, prompts in the console).
    """

    template: str
    data: Mapping[str, Any] = field(default_factory=dict)
    audience: Audience = "private"
    form: str | None = None


@dataclass(frozen=True)
class CommandContext:
    """Who asks, when, with what. ``once_key`` names the request (a Slack trigger id, a form
    id…) so that, replayed, it changes nothing: see `changing`."""

    services: Services
    actor: User
    now: datetime
    once_key: str | None = None
    conversation: Conversation | None = None  # where it was typed (None: the console, CLI)


@asynccontextmanager
async def changing(ctx: CommandContext) -> AsyncIterator[AsyncSession]:
    """The unit of work of a request that changes something. The request's ``once_key`` is
    taken in the same transaction, so a replay of it raises AlreadyDone and changes nothing."""
    async with ctx.services.db.unit_of_work() as session:
        if ctx.once_key is not None:
            await claim(session, ctx.once_key, now=ctx.now, done="Already done.")
        yield session


async def refresh_risk(ctx: CommandContext, session: AsyncSession, account_id: int) -> None:
    """An account just changed: its row of the risk snapshot too, in the same transaction
    (nothing when no snapshot is kept, as on a small book without a scheduler)."""
    if await snapshot_taken(session) is None:
        return
    rules = ctx.services.nudge_rules
    await refresh_accounts(
        session,
        account_ids=[account_id],
        now=ctx.now,
        playbooks=ctx.services.playbooks,
        recap_grace_hours=rules.recap_grace_hours,
        recap_lookback_days=rules.recap_lookback_days,
    )


Handler = Callable[[CommandContext, str], Awaitable[Reply]]

_ACCOUNT_REF = re.compile(r"#([0-9]{1,12})")
_NUMBER = re.compile(r"[0-9]{1,9}")
MAX_COMMAND_LENGTH = 1000


def account_ref(text: str) -> int | None:
    """Buttons name accounts as `#<id>`; people type names."""
    match = _ACCOUNT_REF.fullmatch(text.strip())
    return int(match.group(1)) if match else None


def whole_number(text: str) -> int | None:
    """ASCII digits only (`²` and `٣` are not numbers here), at most nine of them."""
    return int(text) if _NUMBER.fullmatch(text) else None


def split_command(text: str) -> tuple[str, str]:
    text = " ".join(typed_clean(text).split())
    if len(text) > MAX_COMMAND_LENGTH:
        raise InvalidInput(
            f"That command is {len(text)} characters long; the most I read is "
            f"{MAX_COMMAND_LENGTH}.",
            hint=f"Try {cmd('help')}.",
        )
    name, _, rest = text.partition(" ")
    return name.casefold(), rest.strip()


async def resolve_account(ctx: CommandContext, session: Any, text: str) -> Any:
    """The account a command names: `#id` from a button, or a (fuzzy) typed name."""
    from bot.services.lookup import find_account, find_account_by_id

    ref = account_ref(text)
    if ref is not None:
        return await find_account_by_id(session, account_id=ref, actor=ctx.actor)
    return await find_account(session, query=text, actor=ctx.actor, names=ctx.services.names)


def page_number(text: str) -> int:
    """`2` or `page 2` → 2; anything else is a friendly error."""
    words = text.split()
    if words and words[0] == "page":
        words = words[1:]
    number = whole_number(words[0]) if len(words) == 1 else None
    if number is None or not 1 <= number <= 10_000:
        raise InvalidInput("Pages are numbered from 1, e.g. `page 2`.")
    return number
