"""What every command handler receives and returns."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from bot.errors import InvalidInput

if TYPE_CHECKING:
    from bot.services.container import Services
    from storage.models import User

Visibility = Literal["ephemeral", "in_channel"]


@dataclass(frozen=True)
class Reply:
    """A handler's answer: which template to render, with what data.

    `form` names a form the surface should open (a Slack modal) instead of a message.
    """

    template: str
    data: Mapping[str, Any] = field(default_factory=dict)
    visibility: Visibility = "ephemeral"
    form: str | None = None


@dataclass(frozen=True)
class CommandContext:
    services: Services
    actor: User
    now: datetime


Handler = Callable[[CommandContext, str], Awaitable[Reply]]

_ACCOUNT_REF = re.compile(r"^#(\d{1,12})$")
MAX_COMMAND_LENGTH = 1000


def account_ref(text: str) -> int | None:
    """Buttons name accounts as `#<id>`; people type names."""
    match = _ACCOUNT_REF.match(text.strip())
    return int(match.group(1)) if match else None


def split_command(text: str) -> tuple[str, str]:
    text = " ".join(text.split())
    if len(text) > MAX_COMMAND_LENGTH:
        raise InvalidInput(
            f"That command is {len(text)} characters long; the most I read is "
            f"{MAX_COMMAND_LENGTH}.",
            hint="Try `/account help`.",
        )
    name, _, rest = text.partition(" ")
    return name.casefold(), rest.strip()


async def resolve_account(ctx: CommandContext, session: Any, text: str) -> Any:
    """The account a command names: `#id` from a button, or a (fuzzy) typed name."""
    from bot.services.lookup import find_account, find_account_by_id

    ref = account_ref(text)
    if ref is not None:
        return await find_account_by_id(session, account_id=ref, actor=ctx.actor)
    return await find_account(session, query=text, actor=ctx.actor)


def page_number(text: str) -> int:
    """`2` or `page 2` → 2; anything else is a friendly error."""
    words = text.split()
    if words and words[0] == "page":
        words = words[1:]
    if len(words) != 1 or not words[0].isdigit() or not 1 <= int(words[0]) <= 10_000:
        raise InvalidInput("Pages are numbered from 1, e.g. `page 2`.")
    return int(words[0])
