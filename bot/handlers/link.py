"""`link-team TEAM`: the channel it is typed in gets the team's weekly digest (on that platform).

In Slack this sets the team's `slack_channel_id`; in Teams it stores the channel's conversation
reference. The team's lead may link it, heads and ops any team.
"""

from __future__ import annotations

from bot.command_syntax import cmd
from bot.errors import Forbidden, InvalidInput
from bot.handlers.base import CommandContext, Handler, Reply, changing
from bot.services.access import sees_everything
from bot.services.conversations import link_team
from bot.services.kpis import find_team
from storage.models import Role

USAGE = "link-team TEAM"


async def link(ctx: CommandContext, args: str) -> Reply:
    name = " ".join(args.split())
    if not name:
        raise InvalidInput(f"Which team? Type {cmd('link-team Atlas')} in the team's channel.")
    where = ctx.conversation
    if where is None or where.kind != "channel":
        raise InvalidInput(
            "Type this in the channel where the team's weekly digest should be posted, "
            "not in a direct or group chat.",
            hint=f"Add me to that channel first, then {cmd(USAGE)} there.",
        )
    async with changing(ctx) as session:
        team = await find_team(session, name)
        own_team = ctx.actor.role is Role.LEAD and ctx.actor.team_id == team.id
        if not (own_team or sees_everything(ctx.actor)):
            raise Forbidden("Only the team's lead, heads and ops can choose its channel.")
        await link_team(session, team=team, conversation=where, now=ctx.now)
    return Reply(
        "team_linked",
        {"team": team.name, "platform": where.platform, "actor_name": ctx.actor.name},
        audience="shared",
    )


COMMANDS: dict[str, Handler] = {"link-team": link}
