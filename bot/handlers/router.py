"""Routes `/account <command> …` text to a handler and turns errors into replies."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.errors import Ambiguous, NotFound, UserError
from bot.handlers import accounts, help, kpi, meetings, playbook, talk
from bot.handlers.base import CommandContext, Handler, Reply, split_command

log = logging.getLogger(__name__)

COMMANDS: Mapping[str, Handler] = {
    **help.COMMANDS,
    **accounts.COMMANDS,
    **playbook.COMMANDS,
    **meetings.COMMANDS,
    **kpi.COMMANDS,
    **talk.COMMANDS,
}


def error_reply(error: UserError, *, command: str = "") -> Reply:
    """A friendly answer to something the user can fix."""
    if isinstance(error, Ambiguous):
        return Reply(
            "choose_account",
            {"message": error.message, "command": command, "candidates": error.candidates},
        )
    data = {
        "message": error.message,
        "hint": error.hint,
        "suggestions": error.suggestions if isinstance(error, NotFound) else [],
        "command": command,
    }
    return Reply("error", data)


def apology_reply() -> Reply:
    return Reply("apology", {})


async def dispatch(ctx: CommandContext, text: str) -> Reply:
    """Answer one command. Never raises: user errors are explained, bugs are apologised for."""
    command = ""
    try:
        command, args = split_command(text)
        if not command:
            return await help.show_help(ctx, "")
        handler = COMMANDS.get(command)
        if handler is None:
            return await help.show_help(ctx, "", unknown=command)
        return await handler(ctx, args)
    except UserError as error:
        return error_reply(error, command=command)
    except Exception:
        log.exception(
            "command failed",
            extra={"command": command, "actor_id": getattr(ctx.actor, "id", None)},
        )
        return apology_reply()
