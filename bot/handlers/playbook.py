"""`playbook`, `stage`, `tick`, `untick`, `advance`: stage checklists worked from chat."""

from __future__ import annotations

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
from bot.playbooks import LIFECYCLE_STAGES
from bot.services.access import can_change
from bot.services.playbook_progress import playbook_progress
from bot.services.stage_change import change_stage
from bot.services.step_ticks import tick_step, untick_step

STAGE_USAGE = "stage NAME STAGE [force]"


def _split_last(args: str, usage: str) -> tuple[str, str]:
    name, _, last = args.rpartition(" ")
    if not name.strip() or not last:
        raise InvalidInput(f"Usage: {cmd(usage)}.")
    return name.strip(), last


async def show_playbook(ctx: CommandContext, args: str) -> Reply:
    if not args:
        raise InvalidInput(f"Which account? Try {cmd('playbook Acme')}.")
    async with ctx.services.db.read_only() as session:
        account = await resolve_account(ctx, session, args)
        progress = await playbook_progress(
            session, account=account, playbooks=ctx.services.playbooks, now=ctx.now
        )
        editable = can_change(ctx.actor, account)
    return _playbook_reply(account.id, account.name, progress, editable=editable)


def _playbook_reply(
    account_id: int, name: str, progress: object, *, editable: bool, note: str | None = None
) -> Reply:
    """The checklist; `editable` shows the tick and advance controls (read-only otherwise)."""
    return Reply(
        "playbook",
        {
            "account_id": account_id,
            "account": name,
            "progress": progress,
            "note": note if editable else "You can read this checklist; its owner ticks it.",
            "editable": editable,
        },
    )


async def _toggle(ctx: CommandContext, args: str, *, tick: bool) -> Reply:
    verb = "tick" if tick else "untick"
    name, step_id = _split_last(args, f"{verb} NAME STEP")
    change = tick_step if tick else untick_step
    async with changing(ctx) as session:
        account = await resolve_account(ctx, session, name)
        progress = await change(
            session,
            account=account,
            step_id=step_id,
            actor=ctx.actor,
            now=ctx.now,
            playbooks=ctx.services.playbooks,
        )
        await refresh_risk(ctx, session, account.id)
    note = None
    if progress.unchanged is not None:  # ticked twice, or unticked while open
        title = next(s.title for s in progress.steps if s.id == progress.unchanged)
        note = f"“{title}” {'was already' if tick else 'was not'} ticked: nothing changed."
    return _playbook_reply(account.id, account.name, progress, editable=True, note=note)


async def tick(ctx: CommandContext, args: str) -> Reply:
    return await _toggle(ctx, args, tick=True)


async def untick(ctx: CommandContext, args: str) -> Reply:
    return await _toggle(ctx, args, tick=False)


async def stage(ctx: CommandContext, args: str) -> Reply:
    force = False
    words = args.split()
    if words and words[-1].casefold() == "force":
        force, args = True, " ".join(words[:-1])
    name, target = _split_last(args, STAGE_USAGE)
    typed = target.casefold()  # a stage, or its start: `adapt`, `onboard`
    named = [s for s in LIFECYCLE_STAGES if s == typed or (len(typed) >= 3 and s.startswith(typed))]
    if len(named) != 1:
        raise InvalidInput(
            f"Which stage? “{target}” is not one: {', '.join(LIFECYCLE_STAGES)}.",
            hint=f"Usage: {cmd(STAGE_USAGE)}, e.g. {cmd('stage Acme growth')}.",
        )
    return await _change_stage(ctx, name, named[0], force=force)


async def advance(ctx: CommandContext, args: str) -> Reply:
    force = False
    words = args.split()
    if words and words[-1].casefold() == "force":
        force, args = True, " ".join(words[:-1])
    if not args:
        raise InvalidInput(f"Usage: {cmd('advance NAME')}.")
    async with ctx.services.db.read_only() as session:
        account = await resolve_account(ctx, session, args)
        target = ctx.services.playbooks.next_stage(account.stage)
    if target is None:
        raise InvalidInput(f"{account.name} is in the last stage of the playbook.")
    return await _change_stage(ctx, args, target, force=force)


async def _change_stage(ctx: CommandContext, name: str, target: str, *, force: bool) -> Reply:
    async with changing(ctx) as session:
        account = await resolve_account(ctx, session, name)
        result = await change_stage(
            session,
            account=account,
            target=target,
            actor=ctx.actor,
            now=ctx.now,
            playbooks=ctx.services.playbooks,
            force=force,
        )
        progress = await playbook_progress(
            session, account=account, playbooks=ctx.services.playbooks, now=ctx.now
        )
        await refresh_risk(ctx, session, account.id)
    return Reply(
        "stage_changed",
        {
            "change": result,
            "account_id": account.id,
            "account": account.name,
            "progress": progress,
            "editable": True,
        },
    )


COMMANDS: dict[str, Handler] = {
    "playbook": show_playbook,
    "checklist": show_playbook,
    "tick": tick,
    "untick": untick,
    "stage": stage,
    "advance": advance,
}
