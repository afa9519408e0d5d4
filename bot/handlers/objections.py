"""`objection ACCOUNT`, `objection resume ID`, `objections [ACCOUNT]`: the objection walkthrough.

Each surface shows the `objection_form` reply its own way (a Slack modal, a Teams card, console
prompts) and sends what was typed to `submit_step`; the answer is the next step's form, the
same form with what to fix, or the closed objection. All of them drive `services.objections`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.handlers.base import (
    CommandContext,
    Handler,
    Reply,
    changing,
    refresh_risk,
    resolve_account,
)
from bot.services.objections.escalation import Escalation, escalation_recipient
from bot.services.objections.lists import account_objections, live_objections
from bot.services.objections.views import (
    DONE,
    ObjectionSummary,
    facts_of,
    recorded_steps,
    screen_for,
    screen_of,
    summarize,
)
from bot.services.objections.walk import (
    FormProblems,
    StepAlreadySaved,
    discard_draft,
    load_objection,
    may_walk,
    record_step,
    start_objection,
)
from storage.models import Account, Objection

OBJECTION_FORM = "objection"
USAGE = "objection ACCOUNT"


def objection_id_of(text: str) -> int | None:
    """`12` or `#12` (as buttons write it)."""
    cleaned = text.strip().removeprefix("#")
    return int(cleaned) if cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 9 else None


async def _shown(
    session: AsyncSession,
    ctx: CommandContext,
    objection: Objection,
    account: Account,
    *,
    values: dict[str, str | None] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    escalation: Escalation | None = None,
) -> Reply:
    """The objection as the actor should see it now: the form of the step due if they may
    work on it, else (or once closed) its summary."""
    settings, library = ctx.services.settings, ctx.services.playbooks
    summary = summarize(
        objection, account, library.walk, now=ctx.now, stale_days=settings.objection_stale_days
    )
    facts = facts_of(objection, await recorded_steps(session, objection), library.walk)
    common = {"tz": ctx.actor.effective_timezone, "escalation": escalation, "notice": notice}
    if screen_of(objection) == DONE or not may_walk(ctx.actor, account):
        return Reply("objection_summary", {"objection": summary, "facts": facts, **common})
    sponsor = None
    if summary.step == "escalate":
        recipient = await escalation_recipient(session, account)
        sponsor = recipient.name if recipient else None
    screen = screen_for(
        summary,
        objection,
        facts,
        library,
        sponsor=sponsor,
        values=values,
        errors=errors,
        notice=notice,
    )
    return Reply("objection_form", {"screen": screen, **common}, form=OBJECTION_FORM)


async def objection(ctx: CommandContext, args: str) -> Reply:
    """Start a walkthrough for an account (or resume one: `objection resume 12`)."""
    word, _, rest = args.partition(" ")
    if word.casefold() == "resume":
        return await resume(ctx, rest)
    if not args:
        raise InvalidInput(
            f"Which account? Try {cmd('objection Acme')}.",
            hint=f"{cmd('objections')} lists the open ones.",
        )
    async with changing(ctx) as session:
        account = await resolve_account(ctx, session, args)
        started = await start_objection(session, account=account, actor=ctx.actor, now=ctx.now)
        live = await account_objections(
            session,
            account=account,
            walk=ctx.services.playbooks.walk,
            now=ctx.now,
            stale_days=ctx.services.settings.objection_stale_days,
        )
        notice = _already_open([o for o in live if o.id != started.id])
        return await _shown(session, ctx, started, account, notice=notice)


def _already_open(others: list[ObjectionSummary]) -> str | None:
    """A new walkthrough on an account with objections open: they may mean to carry one on."""
    if not others:
        return None
    named = "; ".join(
        f"#{o.id} “{o.summary}” at step {o.step_number}/{o.steps_total} "
        f"({cmd(f'objection resume {o.id}')} carries it on)"
        for o in others[:2]
    )
    return f"Already open on {others[0].account}: {named}. Go on here for a new one."


async def resume(ctx: CommandContext, args: str) -> Reply:
    objection_id = objection_id_of(args)
    if objection_id is None:
        raise InvalidInput(
            f"Which objection? Try {cmd('objection resume 12')}.",
            hint=f"{cmd('objections')} lists the open ones with their numbers.",
        )
    async with ctx.services.db.read_only() as session:
        found, account = await load_objection(
            session, objection_id=objection_id, actor=ctx.actor, walking=False
        )
        return await _shown(session, ctx, found, account)


async def list_objections(ctx: CommandContext, args: str) -> Reply:
    settings = ctx.services.settings
    async with ctx.services.db.read_only() as session:
        account = await resolve_account(ctx, session, args) if args else None
        found = await live_objections(
            session,
            actor=ctx.actor,
            walk=ctx.services.playbooks.walk,
            now=ctx.now,
            stale_days=settings.objection_stale_days,
            account=account,
        )
    return Reply(
        "objection_list",
        {
            "objections": found.items,
            "total": found.total,
            "account": account.name if account else None,
            "account_id": account.id if account else None,
            "tz": ctx.actor.effective_timezone,
        },
    )


async def submit_step(
    ctx: CommandContext, objection_id: int, step: str, values: Mapping[str, Any]
) -> Reply:
    """Record a submitted step and answer with what comes next. Replayed (the same
    ``ctx.once_key``), it raises AlreadyDone and changes nothing."""
    try:
        async with changing(ctx) as session:
            found, account = await load_objection(
                session, objection_id=objection_id, actor=ctx.actor, walking=True
            )
            recorded = await record_step(
                session,
                objection=found,
                account=account,
                step_id=step,
                given=values,
                actor=ctx.actor,
                now=ctx.now,
                library=ctx.services.playbooks,
                notifier=ctx.services.notifier,
                stale_days=ctx.services.settings.objection_stale_days,
            )
            escalation = recorded.escalation
            await refresh_risk(ctx, session, account.id)
            reply = await _shown(session, ctx, found, account, escalation=escalation)
    except (FormProblems, StepAlreadySaved) as problem:
        async with ctx.services.db.read_only() as session:
            found, account = await load_objection(
                session, objection_id=objection_id, actor=ctx.actor, walking=True
            )
            if isinstance(problem, FormProblems):
                return await _shown(
                    session, ctx, found, account, values=problem.values, errors=problem.problems
                )
            return await _shown(session, ctx, found, account, notice=problem.message)
    if escalation is not None and escalation.reached:
        ctx.services.outbox_kick()  # the sponsor's DM goes out now, not at the next poll
    return reply


async def discard(ctx: CommandContext, objection_id: int) -> bool:
    """Forget a walkthrough closed before anything was recorded in it."""
    async with ctx.services.db.unit_of_work() as session:
        return await discard_draft(session, objection_id=objection_id, actor=ctx.actor)


COMMANDS: dict[str, Handler] = {
    "objection": objection,
    "objections": list_objections,
}
