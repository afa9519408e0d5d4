"""`kpi` and `digest`: the numbers the practice watches every week."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import chart_alt_text
from bot.command_syntax import cmd
from bot.errors import Forbidden, InvalidInput
from bot.handlers.base import CommandContext, Handler, Reply
from bot.services.container import Services
from bot.services.kpis import IsoWeek, find_team, team_kpi_report, user_kpis
from bot.services.kpis.digest import Digest, team_digest
from bot.services.kpis.digest_batches import Chosen, digests_in_batches
from bot.services.when import local_today
from storage.keys import name_key
from storage.models import Role, Team

LEADERS = (Role.LEAD, Role.HEAD, Role.OPS)


def _today(ctx: CommandContext, tz: str) -> date:
    return local_today(ctx.now, tz)


async def _team_for(ctx: CommandContext, session: AsyncSession, name: str, usage: str) -> Team:
    """The actor's own team, or (for heads and ops) the team they name."""
    actor = ctx.actor
    if name:
        if actor.role not in (Role.HEAD, Role.OPS) and (
            actor.team is None or actor.team.name_key != name_key(name)
        ):
            raise Forbidden("Only heads and ops can look at another team's numbers.")
        return await find_team(session, name)
    if actor.team is None:
        raise InvalidInput(f"You are not in a team; name one, e.g. {cmd(usage + ' Atlas')}.")
    return actor.team


async def kpi(ctx: CommandContext, args: str) -> Reply:
    scope, _, rest = args.partition(" ")
    # on its own, `kpi` is an AM's own numbers and everyone else's team's
    scope = scope.casefold() or ("me" if ctx.actor.role is Role.AM else "team")
    if scope not in ("me", "team"):
        own = ctx.actor.team.name_key if ctx.actor.team else None
        if ctx.actor.role not in (Role.HEAD, Role.OPS) and name_key(args) != own:
            async with ctx.services.db.read_only() as session:  # another team, or a typo?
                named = await session.scalar(select(Team.id).where(Team.name_key == name_key(args)))
            if named is not None:
                raise Forbidden("Only heads and ops can look at another team's numbers.")
            raise InvalidInput(f"`kpi` takes `me` or `team`, e.g. {cmd('kpi team')}.")
        scope, rest = "team", args  # `kpi Beacon`: heads and ops any team, others their own
    services = ctx.services
    async with services.db.read_only() as session:
        if scope == "me":
            if ctx.actor.role != Role.AM and ctx.actor.role != Role.LEAD:
                raise InvalidInput(f"`kpi me` is for account managers; try {cmd('kpi team')}.")
            today = _today(ctx, ctx.actor.team.timezone if ctx.actor.team else "UTC")
            week = IsoWeek.containing(today)
            mine = await user_kpis(
                session,
                user=ctx.actor,
                week=week,
                through=today,
                targets=services.kpi_targets,
                playbooks=services.playbooks,
            )
            numbers = mine.kpis
            idle = not (numbers.accounts_active or numbers.churned_accounts or numbers.meetings)
            return Reply(
                "kpi_me",
                {"week": str(week), "through": today, "am": mine, "nothing_to_measure": idle},
            )
        team = await _team_for(ctx, session, rest.strip(), "kpi team")
        today = _today(ctx, team.timezone)
        week = IsoWeek.containing(today)
        report = await team_kpi_report(
            session,
            team=team,
            week=week,
            through=today,
            targets=services.kpi_targets,
            playbooks=services.playbooks,
        )
    return Reply("kpi_team", {"report": report, "week_to_date": True})


async def build_digest(
    services: Services, session: AsyncSession, team: Team, week: IsoWeek
) -> Digest:
    """The digest of ``team`` for ``week``, with this deployment's targets and playbooks: the
    one the preview, the command line and the Monday post all show."""
    return await team_digest(
        session,
        team=team,
        week=week,
        targets=services.kpi_targets,
        playbooks=services.playbooks,
        settings=services.settings,
    )


def digest_batches(services: Services, chosen: Chosen) -> AsyncIterator[list[Digest]]:
    """The digests of the ``chosen`` teams, each for its week, in order, as
    :func:`build_digest` makes them, a batch of teams at a time (see
    :mod:`bot.services.kpis.digest_batches`)."""
    return digests_in_batches(
        services.db,
        chosen,
        targets=services.kpi_targets,
        playbooks=services.playbooks,
        settings=services.settings,
    )


def digest_reply(
    digest: Digest,
    *,
    preview: bool,
    chart_url: str | None = None,
    chart_attached: bool = False,
    chart_file: str | None = None,
) -> Reply:
    """The digest as a reply for every surface. The chart is an image at ``chart_url``
    (Teams), a file attached to the post (Slack) or written to ``chart_file`` (the command
    line); its text alternative is always there."""
    chart = {
        "alt": chart_alt_text(digest),
        "url": chart_url,
        "attached": chart_attached,
        "file": chart_file,
    }
    return Reply("digest", {"digest": digest, "preview": preview, "chart": chart})


async def digest(ctx: CommandContext, args: str) -> Reply:
    if ctx.actor.role not in LEADERS:
        raise Forbidden("The digest preview is for team leads; ask yours to share it.")
    services = ctx.services
    async with services.db.read_only() as session:
        team = await _team_for(ctx, session, args.strip(), "digest")
        week = IsoWeek.last_completed(_today(ctx, team.timezone))
        found = await build_digest(services, session, team, week)
    return digest_reply(found, preview=True)


COMMANDS: dict[str, Handler] = {"kpi": kpi, "kpis": kpi, "digest": digest}
