"""`settings`: when and what accountbot sends you, your vacation, and your time zone.

settings                       what is set now
settings time 08:30            your nudge time (your time zone)
settings days mon-thu          the days you get nudges
settings mute renewals         stop a kind of nudge (unmute to bring it back)
settings vacation 2026-12-24   nothing is sent through that day; `vacation off` ends it
settings zone Berlin           your time zone (a city or an IANA name); `zone team` for the team's
settings reset                 nudge time, days, mutes and vacation back to the defaults
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import date

from bot.command_syntax import cmd
from bot.errors import InvalidInput
from bot.handlers.base import CommandContext, Handler, Reply, changing
from bot.services.preferences import (
    KIND_NAMES,
    NUDGE_KINDS,
    change_preferences,
    change_timezone,
    preferences_for,
)
from bot.services.when import local_today
from bot.settings import check_clock_time, parse_days
from bot.zone_names import read_zone
from storage.models import User

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
# "24 dec", "dec 24", "24 December 2026", "December 24, 2026"
_DAY_MONTH = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)? ([a-z]{3,9})\.?(?:,? ([0-9]{4}))?")
_MONTH_DAY = re.compile(r"([a-z]{3,9})\.? ([0-9]{1,2})(?:st|nd|rd|th)?(?:,? ([0-9]{4}))?")
USAGE = (
    f"{cmd('settings time 08:30')}, {cmd('settings days mon-fri')}, "
    f"{cmd('settings mute renewal')}, {cmd('settings vacation 2026-12-24')}, "
    f"{cmd('settings zone Berlin')}"
)
TEAMS_ZONE = ("team", "default", "off", "reset")


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


def _month(word: str) -> int | None:
    """1-12 for a month written out or shortened to three letters or more ("dec", "sept",
    "December"), else None."""
    found = [
        n for n, name in enumerate(MONTHS, start=1) if len(word) >= 3 and name.startswith(word)
    ]
    return found[0] if found else None


def _day_ahead(text: str, today: date) -> date | None:
    """2026-12-24, or a day and a month in either order, or None. Without a year, the one
    nearest today: `5 jan` in December is next January, `2 mar` on 4 March two days ago."""
    cleaned = " ".join(text.casefold().removeprefix("until").split())
    try:
        if match := _DATE.fullmatch(cleaned):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DAY_MONTH.fullmatch(cleaned):
            day, month, year = match[1], _month(match[2]), match[3]
        elif match := _MONTH_DAY.fullmatch(cleaned):
            month, day, year = _month(match[1]), match[2], match[3]
        else:
            return None
        if month is None:
            return None
        if year is not None:
            return date(int(year), month, int(day))
        near = []
        for year_near in (today.year - 1, today.year, today.year + 1):
            with suppress(ValueError):  # 29 February, in a year without one
                near.append(date(year_near, month, int(day)))
        return min(near, key=lambda d: abs((d - today).days)) if near else None
    except ValueError:  # 30 February, written with its year
        return None


def _vacation(text: str, today: date) -> date:
    until = _day_ahead(text, today)
    if until is None:
        raise InvalidInput(
            f"I can't read “{text}” as a date; write it like 2026-12-24 or 24 Dec.",
            hint=f"{cmd('settings vacation off')} ends a vacation.",
        )
    if until < today:
        raise InvalidInput(f"{until.isoformat()} is in the past.")
    if (until - today).days > 366:
        raise InvalidInput("A vacation can last a year at most.")
    return until


def _change(what: str, rest: str, today: date) -> dict[str, object]:
    """What `settings WHAT REST` changes; ``timezone`` (None: the team's) is the person's own."""
    try:
        if what == "time":
            return {"nudge_time": check_clock_time(rest, "The nudge time")}
        if what == "days":
            return {"working_days": parse_days(rest, "The days")}
        if what in ("mute", "unmute"):
            return {what: _kind(rest)}
        if what == "vacation" and rest.casefold() in ("off", "over", "none", "end"):
            return {"clear_vacation": True}
        if what == "vacation":
            return {"vacation_until": _vacation(rest, today)}
        if what == "reset":
            return {"reset": True}
        if what in ("zone", "timezone") and rest:
            return {"timezone": None if rest.casefold() in TEAMS_ZONE else read_zone(rest)}
    except ValueError as error:
        raise InvalidInput(str(error), hint=f"For example {USAGE}.") from None
    if what in ("zone", "timezone"):
        raise InvalidInput(
            "Which time zone? Name a city or an IANA zone.",
            hint=f"For example {cmd('settings zone Berlin')} or {cmd('settings zone team')}.",
        )
    raise InvalidInput("I can change: time, days, mute, unmute, vacation, zone, reset.")


def _zone_from(person: User) -> str:
    """Whose zone the person's is: their own, their team's, or the default (UTC)."""
    if person.timezone:
        return "you"
    return "team" if person.team is not None and person.team.timezone else "default"


async def settings(ctx: CommandContext, args: str) -> Reply:
    what, _, rest = args.strip().partition(" ")
    what, rest = what.casefold(), rest.strip()
    me = ctx.actor
    if what:
        change = _change(what, rest, local_today(ctx.now, me.effective_timezone))
        async with changing(ctx) as session:
            if "timezone" in change:
                zone = change["timezone"]
                await change_timezone(
                    session, user=me, zone=zone if isinstance(zone, str) else None
                )
            else:
                await change_preferences(session, user=me, now=ctx.now, **change)  # type: ignore[arg-type]
    async with ctx.services.db.read_only() as session:
        prefs = (await preferences_for(session, [me.id], ctx.services.settings))[me.id]
        if what:  # read again: the change may be the zone
            me = await session.get(User, me.id) or me
    return Reply(
        "settings",
        {
            "prefs": prefs,
            "changed": what,
            "tz": me.effective_timezone,
            "zone_from": _zone_from(me),
            "kinds": [(kind, KIND_NAMES[kind]) for kind in NUDGE_KINDS],
            "on_vacation": prefs.on_vacation(local_today(ctx.now, me.effective_timezone)),
        },
    )


COMMANDS: dict[str, Handler] = {"settings": settings, "preferences": settings}
