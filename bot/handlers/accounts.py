"""`status`, `list` and `renewals`: reading the book."""

from __future__ import annotations

import re

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.handlers.base import (
    CommandContext,
    Handler,
    Reply,
    page_number,
    resolve_account,
    whole_number,
)
from bot.services.access import sees_everything
from bot.services.objections.lists import account_objections
from bot.services.portfolio import list_accounts
from bot.services.renewals import renewals_page
from bot.services.status import account_status
from storage.models import Role, User

LIST_SCOPES = ("mine", "team", "renewals", "at-risk")
_DAYS_SAID = re.compile(r"^\s*(?:in )?(?:the )?next\b|(?<=[0-9])\s*(?:d|days?)\b")
# Other ways people name a scope: `list at risk`, `list risky`, `list my`, `list renewal`.
SCOPE_NAMES = {
    **{scope: scope for scope in LIST_SCOPES},
    **dict.fromkeys(("at risk", "atrisk", "risk", "risky", "at_risk"), "at-risk"),
    **dict.fromkeys(("me", "my", "own", "my accounts"), "mine"),
    **dict.fromkeys(("renewal", "renewing"), "renewals"),
    **dict.fromkeys(("all", "everything", "everyone"), "team"),
}
PAGE_SIZE = 10


async def status(ctx: CommandContext, args: str) -> Reply:
    if not args:
        raise InvalidInput(f"Which account? Try {cmd('status Acme')}.")
    services = ctx.services
    async with services.db.read_only() as session:
        account = await resolve_account(ctx, session, args)
        result = await account_status(
            session,
            account=account,
            playbooks=services.playbooks,
            now=ctx.now,
            readers_timezone=ctx.actor.effective_timezone,
            recap_grace_hours=services.nudge_rules.recap_grace_hours,
            recap_lookback_days=services.nudge_rules.recap_lookback_days,
        )
        objections = await account_objections(
            session,
            account=account,
            walk=services.playbooks.walk,
            now=ctx.now,
            stale_days=services.settings.objection_stale_days,
        )
    return Reply(
        "status",
        {
            "status": result,
            "account_id": account.id,
            "tz": ctx.actor.effective_timezone,
            "objections": objections,
        },
    )


def default_scope(actor: User) -> str:
    """An AM's own book; a lead's team (they own few accounts, if any); everything for heads."""
    return "mine" if actor.role is Role.AM else "team"


def _scope_and_rest(args: str, actor: User) -> tuple[str, str]:
    """`list at risk page 2` → ("at-risk", "page 2"); no scope: the person's default."""
    words = args.casefold().split()
    for taken in (2, 1):  # two-word names first: "at risk", "my accounts"
        scope = SCOPE_NAMES.get(" ".join(words[:taken])) if len(words) >= taken else None
        if scope is not None:
            return scope, " ".join(words[taken:])
    if not words or words[0] == "page":  # `list page 2`: the default scope, paged
        return default_scope(actor), " ".join(words)
    raise InvalidInput(f"I can list {', '.join(LIST_SCOPES)}.", hint=f"Try {cmd('list at-risk')}.")


async def list_(ctx: CommandContext, args: str) -> Reply:
    scope, rest = _scope_and_rest(args, ctx.actor)
    page = page_number(rest) if rest else 1
    async with ctx.services.db.read_only() as session:
        result = await list_accounts(
            session,
            actor=ctx.actor,
            scope=scope,  # type: ignore[arg-type]
            now=ctx.now,
            playbooks=ctx.services.playbooks,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    has_more = result.offset + len(result.items) < result.total
    return Reply(
        "account_list",
        {
            "result": result,
            "everyone": sees_everything(ctx.actor),
            "page": page,
            "more_command": f"list {scope} page {page + 1}" if has_more else None,
        },
    )


async def renewals(ctx: CommandContext, args: str) -> Reply:
    """`renewals [DAYS] [page N]`: contracts ending in the next DAYS days (default 90); also
    as people say it: `renewals next 30 days`, `renewals 30d`."""
    days_text, _, page_text = args.partition("page")
    days_text = _DAYS_SAID.sub("", days_text.casefold()).strip()
    days = whole_number(days_text) if days_text else 90
    if days is None:
        raise InvalidInput(f"`renewals` takes a number of days, e.g. {cmd('renewals 30')}.")
    page = page_number(page_text) if page_text.strip() or "page" in args else 1
    offset = (page - 1) * PAGE_SIZE
    async with ctx.services.db.read_only() as session:
        shown, total = await renewals_page(
            session, actor=ctx.actor, days=days, now=ctx.now, limit=PAGE_SIZE, offset=offset
        )
    has_more = offset + len(shown) < total
    return Reply(
        "renewals",
        {
            "days": days,
            "rows": shown,
            "total": total,
            "offset": offset,
            "more_command": f"renewals {days} page {page + 1}" if has_more else None,
        },
    )


COMMANDS: dict[str, Handler] = {
    "status": status,
    "list": list_,
    "ls": list_,
    "renewals": renewals,
}
