"""`accountbot serve`: the chat surfaces and /healthz in one aiohttp server."""

from __future__ import annotations

import asyncio

import typer

from bot.cli.common import fail, load_settings
from bot.errors import ConfigError
from bot.playbooks import PlaybookError


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(3000, min=1, max=65535, help="Port to listen on."),
        socket_mode: bool = typer.Option(
            False,
            "--socket-mode",
            help="Connect to Slack over Socket Mode (SLACK_APP_TOKEN) instead of taking "
            "requests at /slack/events: no public URL needed.",
        ),
        no_scheduler: bool = typer.Option(
            False,
            "--no-scheduler",
            help="Run no timed jobs (nudges, digests) in this process: run them in another "
            "replica or in `accountbot scheduler`. Messages people's actions trigger still go "
            "out at once.",
        ),
    ) -> None:
        """Serve Slack (POST /slack/events or Socket Mode), Teams (POST /api/messages) and
        GET /healthz: each surface whose settings are present."""
        from bot.app import build_app, no_surface_problem
        from bot.server import database_problem, run

        settings = load_settings()
        if problem := no_surface_problem(settings, socket_mode=socket_mode):
            fail(f"Configuration error: {problem}")
        try:
            built = build_app(settings, socket_mode=socket_mode, scheduler=not no_scheduler)
        except (ConfigError, PlaybookError, ValueError) as exc:  # ValueError: a bad DATABASE_URL
            fail(f"Configuration error: {exc}")
        problem = asyncio.run(database_problem(settings.database_url))
        if problem:
            fail(problem)
        try:
            run(built.web, host=host, port=port)
        except ConfigError as exc:  # e.g. Slack refused the app token at start-up
            fail(f"Configuration error: {exc}")
