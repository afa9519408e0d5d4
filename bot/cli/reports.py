"""`accountbot status`, `digest` and `nudges`: the same answers as chat, on a terminal."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

import typer
from sqlalchemy import select

from bot.cli.common import fail, load_settings, open_services, prepare_database
from bot.cli.delivery import send_digests, send_nudges
from bot.errors import UserError
from bot.handlers import accounts
from bot.handlers.base import CommandContext
from bot.handlers.router import error_reply
from bot.rendering import Renderer
from bot.services.container import Services
from bot.services.kpis import IsoWeek, team_kpi_report
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
    ) -> None:
        """The weekly KPI digest: a team's numbers for one ISO week, per AM too."""

        async def work(services: Services) -> None:
            chosen_week = IsoWeek.parse(week) if week else None
            if send:
                raise typer.Exit(await send_digests(services, team, chosen_week))
            async with services.db.read_only() as session:
                query = select(Team).order_by(Team.name)
                if team:
                    query = query.where(Team.name_key == name_key(team))
                teams = list((await session.scalars(query)).all())
                if not teams:
                    fail(f"No team named {team!r}." if team else "No teams yet: import some.", 1)
                reports = []
                for each in teams:
                    today = local_today(services.clock(), each.timezone)
                    reports.append(
                        await team_kpi_report(
                            session,
                            team=each,
                            week=chosen_week or IsoWeek.last_completed(today),
                            targets=services.kpi_targets,
                        )
                    )
            if output is Format.json:
                dicts = [r.to_dict() for r in reports]
                _print_json(dicts[0] if team else dicts)
                return
            renderer = Renderer("text")
            typer.echo(
                "\n\n".join(
                    renderer.render_text("digest", {"report": r, "preview": False}) for r in reports
                )
            )

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
