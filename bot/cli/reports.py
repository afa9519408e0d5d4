"""`accountbot status`, `digest` and `nudges`: the same answers as chat, on a terminal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select

from bot.charts import chart_png
from bot.cli.common import fail, load_settings, open_services, prepare_database
from bot.cli.delivery import send_digests, send_nudges
from bot.errors import UserError
from bot.handlers import accounts
from bot.handlers.base import CommandContext
from bot.handlers.kpi import digest_batches, digest_reply
from bot.handlers.router import error_reply
from bot.rendering import Renderer
from bot.services.container import Services
from bot.services.kpis import IsoWeek
from bot.services.kpis.digest import Digest
from bot.services.nudges import pending_nudges
from bot.services.when import local_today
from storage.keys import name_key
from storage.models import Role, Team, User


class Format(StrEnum):
    text = "text"
    json = "json"


FORMAT = typer.Option(Format.text, "--format", "-f", help="text or json.")


def operator() -> User:
    """The command line acts as ops: it reads everything and changes nothing."""
    return User(id=0, email="cli@localhost", name="command line", role=Role.OPS)


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except UserError as error:
        reply = error_reply(error)
        typer.echo(Renderer("text").render_text(reply.template, reply.data), err=True)
        raise typer.Exit(1) from None


async def _with_services(work: Any) -> Any:
    settings = load_settings()
    services = open_services(settings)
    try:
        await prepare_database(settings)
        return await work(services)
    finally:
        await services.db.dispose()


async def _teams(services: Services, team: str | None) -> list[Team]:
    """The named team (or every team), by name."""
    async with services.db.read_only() as session:
        query = select(Team).order_by(Team.name)
        if team:
            query = query.where(Team.name_key == name_key(team))
        teams = list((await session.scalars(query)).all())
    if not teams:
        fail(f"No team named {team!r}." if team else "No teams yet: import some.", 1)
    return teams


async def _digests(
    services: Services, teams: list[Team], week: IsoWeek | None
) -> AsyncIterator[Digest]:
    """The digest of each of ``teams``, for ``week`` or each team's last completed week, in
    order, computed a batch of teams at a time (only a batch is held in memory)."""
    now = services.clock()
    chosen = [(t, week or IsoWeek.last_completed(local_today(now, t.timezone))) for t in teams]
    async for found in digest_batches(services, chosen):
        for digest in found:
            yield digest


def _json_item(value: Any) -> str:
    """``value`` as an item of a list printed by `_print_json` (split on newlines only: a
    string may hold other line breaks, such as U+2028)."""
    lines = json.dumps(value, indent=2, ensure_ascii=False).split("\n")
    return "\n".join("  " + line for line in lines)


async def _drawn(digests: AsyncIterator[Digest], chart: Path) -> AsyncIterator[Digest]:
    """The digests, once each one's chart is written to ``chart``."""
    async for digest in digests:
        chart.write_bytes(chart_png(digest))
        yield digest


async def _print_digests(
    services: Services,
    digests: AsyncIterator[Digest],
    output: Format,
    *,
    one: bool,
    chart: str | None,
) -> None:
    """Each digest as it comes: JSON (one object for ``one`` team, else a list), or text
    (saying the chart is in the file ``chart``)."""
    if output is Format.json and one:
        async for digest in digests:
            _print_json(digest.to_dict())
        return
    renderer = Renderer("text", clock=services.clock)
    first = True
    async for digest in digests:
        if output is Format.json:
            typer.echo(("[\n" if first else ",\n") + _json_item(digest.to_dict()), nl=False)
        else:
            reply = digest_reply(digest, preview=False, chart_file=chart)
            typer.echo(("" if first else "\n") + renderer.render_text(reply.template, reply.data))
        first = False
    if output is Format.json:
        typer.echo("\n]" if not first else "[]")


def register(app: typer.Typer) -> None:
    @app.command()
    def status(
        account: str = typer.Argument(..., help="Account name; close spellings work."),
        output: Format = FORMAT,
    ) -> None:
        """An account at a glance: stage, owner, renewal, recaps, objections, playbook."""

        async def work(services: Services) -> None:
            ctx = CommandContext(services=services, actor=operator(), now=services.clock())
            reply = await accounts.status(ctx, account)
            if output is Format.json:
                _print_json(reply.data["status"].to_dict())
            else:
                typer.echo(Renderer("text").render_text(reply.template, reply.data))

        _run(_with_services(work))

    @app.command()
    def digest(
        team: str | None = typer.Option(None, "--team", help="Team name (default: every team)."),
        week: str | None = typer.Option(None, "--week", help="ISO week, e.g. 2026-W47."),
        output: Format = FORMAT,
        send: bool = typer.Option(
            False, "--send", help="Post it to the team's channel(s), once per team and week."
        ),
        chart: Path | None = typer.Option(
            None,
            "--chart",
            help="Also write the digest's chart (the last 8 weeks) to this PNG file.",
            dir_okay=False,
        ),
    ) -> None:
        """The weekly digest: a team's KPIs for one ISO week against targets, the change from
        the week before and why, each AM, the accounts needing attention, the chart."""
        if send and chart is not None:
            fail("--chart writes a preview's chart; the post made by --send carries its own.")

        async def work(services: Services) -> None:
            chosen_week = IsoWeek.parse(week) if week else None
            if send:
                raise typer.Exit(await send_digests(services, team, chosen_week))
            teams = await _teams(services, team)
            if chart is not None and len(teams) != 1:
                fail("--chart draws one team's chart: name it with --team.")
            digests = _digests(services, teams, chosen_week)
            if chart is not None:
                digests = _drawn(digests, chart)
            shown = str(chart) if chart is not None else None
            await _print_digests(services, digests, output, one=bool(team), chart=shown)

        _run(_with_services(work))

    @app.command()
    def nudges(
        as_of: datetime | None = typer.Option(
            None,
            "--as-of",
            help="ISO datetime with offset (default: now).",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M:%S%z"],
        ),
        output: Format = FORMAT,
        send: bool = typer.Option(
            False,
            "--send",
            help="Send them now as each person's daily DM (respecting snoozes, mutes and "
            "vacations); running it twice sends nothing new.",
        ),
    ) -> None:
        """The nudges due now (or --as-of): missed recaps, renewals, overdue steps."""
        if as_of is not None and as_of.tzinfo is None:
            fail("--as-of needs a UTC offset, e.g. 2026-11-23T09:00:00+00:00")

        async def work(services: Services) -> None:
            moment = as_of or services.clock()
            if send:
                raise typer.Exit(await send_nudges(services, moment))
            async with services.db.read_only() as session:
                found = await pending_nudges(
                    session, as_of=moment, rules=services.nudge_rules, playbooks=services.playbooks
                )
            if output is Format.json:
                _print_json([n.to_dict() for n in found])
            else:
                typer.echo(
                    Renderer("text").render_text("nudges", {"nudges": found, "as_of": moment})
                )

        _run(_with_services(work))
