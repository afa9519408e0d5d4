"""Routes `/account <command> …` text to a handler and turns errors into replies."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy.exc import DatabaseError, DBAPIError, InterfaceError, OperationalError

from bot.errors import Ambiguous, NotFound, UserError
from bot.handlers import (
    accounts,
    help,
    home,
    kpi,
    link,
    meetings,
    nudge_actions,
    objections,
    playbook,
    settings,
    talk,
)
from bot.handlers.base import CommandContext, Handler, Reply, split_command
from bot.services.once import AlreadyDone

# Said to a bot before anything else; each is answered with what it can do.
GREETINGS = frozenset({"hi", "hello", "hey", "hallo", "hola", "good morning", "help"})

log = logging.getLogger(__name__)

COMMANDS: Mapping[str, Handler] = {
    **help.COMMANDS,
    **accounts.COMMANDS,
    **playbook.COMMANDS,
    **meetings.COMMANDS,
    **kpi.COMMANDS,
    **talk.COMMANDS,
    **home.COMMANDS,
    **link.COMMANDS,
    **settings.COMMANDS,
    **nudge_actions.COMMANDS,
    **objections.COMMANDS,
}


REPLAYED = Reply("replayed", {})  # nothing to say: the first delivery was answered


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


def apology_reply(error: BaseException | None = None) -> Reply:
    """Sorry; more precisely so when the database could not be reached."""
    return Reply("apology", {"database_down": database_unreachable(error)})


def database_unreachable(error: BaseException | None) -> bool:
    """A connection that failed or was lost, a file gone or locked: not a bug of ours."""
    if isinstance(error, DBAPIError):
        unreadable_file = type(error) is DatabaseError  # "file is not a database"
        return (
            error.connection_invalidated
            or unreadable_file
            or isinstance(error, OperationalError | InterfaceError)
        )
    return isinstance(error, ConnectionError | OSError | TimeoutError)


async def dispatch(ctx: CommandContext, text: str) -> Reply:
    """Answer one command. Never raises: user errors are explained, bugs are apologised for."""
    command = ""
    try:
        command, args = split_command(text)
        if not command or f"{command} {args}".strip().rstrip("!.").casefold() in GREETINGS:
            return await help.show_help(ctx, "")
        handler = COMMANDS.get(command)
        if handler is None:
            return await help.show_help(ctx, "", unknown=command)
        return await handler(ctx, args)
    except AlreadyDone:
        log.info("ignored a request already handled (command %r)", command[:40])
        return REPLAYED
    except UserError as error:
        return error_reply(error, command=command)
    except Exception as error:
        log.exception("command %r failed for user %s", command[:40], getattr(ctx.actor, "id", None))
        return apology_reply(error)
