"""`/account help`: what the bot can do."""

from __future__ import annotations

from bot.handlers.base import CommandContext, Handler, Reply

COMMAND_HELP: tuple[tuple[str, str], ...] = (
    ("status NAME", "stage, owner, renewal, MRR, recaps, objections and playbook progress"),
    ("list [mine|team|renewals|at-risk]", "your accounts, your team's, renewals, or those at risk"),
    ("playbook NAME", "the current stage's checklist; tick steps and advance the stage"),
    (
        "tick NAME STEP / untick NAME STEP",
        "tick or untick a checklist step by its id, or part of it",
    ),
    ("advance NAME", "move to the next stage once every required step is done"),
    ("stage NAME STAGE [force]", "move an account to onboarding, adaptation, growth or renewal"),
    ("meeting NAME [when]", "log that a meeting happened (e.g. `friday 3pm`, `2h ago`)"),
    ("recap NAME [when]", "log the recap of the meeting then, else of the latest without one"),
    ("objection NAME", "walk a client objection through, step by step, with your exec sponsor"),
    ("objections [NAME]", "open objections, the step each is at, and a Resume button"),
    ("renewals [DAYS]", "contracts ending in the next DAYS days (default 90)"),
    ("kpi [me|team [TEAM]]", "this week's numbers so far: an AM's own, else the team's"),
    ("digest [TEAM]", "preview of your team's weekly digest (leads, heads, ops)"),
    ("talk [TRACK]", "talk tracks and templates: kick-off questions, renewal deck, objections"),
    ("home", "your accounts, most urgent first, with what needs doing"),
    ("settings", "when and what I nudge you about: time, days, mute, vacation, zone"),
    ("link-team TEAM", "in a channel: post this team's weekly digest here (leads, heads, ops)"),
    ("help", "this list"),
)


def _about(topic: str) -> list[tuple[str, str]]:
    """The commands `help TOPIC` is about: those named TOPIC, or starting with it (`objection`
    gives objection and objections); every command for no topic."""
    word = topic.casefold().split()[0] if topic.split() else ""

    def names(usage: str) -> list[str]:
        return [alternative.split()[0] for alternative in usage.split(" / ")]

    return [
        (usage, summary)
        for usage, summary in COMMAND_HELP
        if not word
        or any(n == word or (len(word) >= 3 and n.startswith(word)) for n in names(usage))
    ]


async def show_help(ctx: CommandContext, args: str, *, unknown: str | None = None) -> Reply:
    about = _about(args)
    if not about:  # `help zzz`: said so, and everything
        unknown, about = unknown or args.split()[0], list(COMMAND_HELP)
    return Reply(
        "help",
        {
            "commands": [{"usage": usage, "summary": summary} for usage, summary in about],
            "unknown": unknown,
            "actor_name": ctx.actor.name,
        },
    )


COMMANDS: dict[str, Handler] = {"help": show_help}
