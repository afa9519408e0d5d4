"""`settings`: when and what accountbot sends you, and your vacation.

settings                       what is set now
settings time 08:30            your nudge time (your time zone)
settings days mon-thu          the days you get nudges
settings mute renewals         stop a kind of nudge (unmute to bring it back)
settings vacation 2026-12-24   nothing is sent through that day; `vacation off` ends it
settings reset                 back to the team's defaults
"""

from __future__ import annotations

import re
from datetime import date

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.handlers.base import CommandContext, Handler, Reply, changing
from bot.services.preferences import KIND_NAMES, NUDGE_KINDS, change_preferences, preferences_for
from bot.services.when import local_today
from bot.settings import check_clock_time, parse_days

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
USAGE = (
    f"{cmd('settings time 08:30')}, {cmd('settings days mon-fri')}, "
    f"{cmd('settings mute renewal')}, {cmd('settings vacation 2026-12-24')}"
)


def _kind(word: str) -> str:
    """`renewals`, `missed recaps`, `overdue-step`… as a nudge kind."""
    cleaned = word.casefold().replace("-", "_").replace(" ", "_")
    for kind in NUDGE_KINDS:
        names = {kind, kind + "s", KIND_NAMES[kind].replace(" ", "_")}
        if cleaned in names or cleaned.rstrip("s") == kind.rstrip("s"):
            return kind
    raise InvalidInput(
        f"“{word}” is not a kind of nudge. Kinds: {', '.join(NUDGE_KINDS)}.",
        hint=f"For example {cmd('settings mute renewal')}.",
    )


def _vacation(text: str, today: date) -> date:
    match = _DATE.fullmatch(text.removeprefix("until").strip())
    try:
        until = date(int(match[1]), int(match[2]), int(match[3])) if match else None
    except ValueError:
        until = None
    if until is None:
        raise InvalidInput(
            f"I can't read “{text}” as a date; write it like 2026-12-24.",
            hint=f"{cmd('settings vacation off')} ends a vacation.",
        )
    if until < today:
        raise InvalidInput(f"{until.isoformat()} is in the past.")
    if (until - today).days > 366:
        raise InvalidInput("A vacation can last a year at most.")
    return until


async def settings(ctx: CommandContext, args: str) -> Reply:
    what, _, rest = args.strip().partition(" ")
    what, rest = what.casefold(), rest.strip()
    today = local_today(ctx.now, ctx.actor.effective_timezone)
    changed = ""
    if what:
        changes: dict[str, object] = {}
        try:
            if what == "time":
                changes["nudge_time"] = check_clock_time(rest, "The nudge time")
            elif what == "days":
                changes["working_days"] = parse_days(rest, "The days")
            elif what in ("mute", "unmute"):
                changes[what] = _kind(rest)
            elif what == "vacation" and rest.casefold() in ("off", "over", "none", "end"):
                changes["clear_vacation"] = True
            elif what == "vacation":
                changes["vacation_until"] = _vacation(rest, today)
            elif what == "reset":
                changes["reset"] = True
            else:
                raise InvalidInput("I can change: time, days, mute, unmute, vacation, reset.")
        except ValueError as error:
            raise InvalidInput(str(error), hint=f"For example {USAGE}.") from None
        async with changing(ctx) as session:
            await change_preferences(session, user=ctx.actor, now=ctx.now, **changes)  # type: ignore[arg-type]
        changed = what
    async with ctx.services.db.read_only() as session:
        prefs = (await preferences_for(session, [ctx.actor.id], ctx.services.settings))[
            ctx.actor.id
        ]
    return Reply(
        "settings",
        {
            "prefs": prefs,
            "changed": changed,
            "tz": ctx.actor.effective_timezone,
            "kinds": [(kind, KIND_NAMES[kind]) for kind in NUDGE_KINDS],
            "on_vacation": prefs.on_vacation(today),
        },
    )


COMMANDS: dict[str, Handler] = {"settings": settings, "preferences": settings}
