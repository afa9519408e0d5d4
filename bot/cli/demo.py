"""`accountbot demo`: a generated book in an embedded database, and a console to try it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer

from bot.cli.common import load_settings, open_services, quiet_upgrade
from bot.demo.book import seed_demo_book
from bot.demo.console import Console
from storage.models import User

DEMO_DB = Path("accountbot-demo.db")


def _read_line_from(stdin_is_tty: bool) -> object:
    def read_line(prompt: str) -> str | None:
        if stdin_is_tty:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = sys.stdin.readline()
        return None if line == "" else line.rstrip("\n")

    return read_line


async def _demo(database: Path, seed: int) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database.resolve()}"
    settings = load_settings(database_url=url)
    services = open_services(settings)
    try:
        await quiet_upgrade(url)
        async with services.db.unit_of_work() as session:
            book = await seed_demo_book(session, now=services.clock(), seed=seed)
        async with services.db.read_only() as session:
            actor = await session.get(User, book.lead_id)
        assert actor is not None
        interactive = sys.stdin.isatty()
        console = Console(
            services,
            actor,
            read_line=_read_line_from(interactive),  # type: ignore[arg-type]
            out=sys.stdout,
            echo_input=not interactive,
        )
        console.say(
            console.renderer.render_text(
                "demo_banner", {"book": book, "actor": actor, "database": database}
            )
        )
        await console.run()
    finally:
        await services.db.dispose()


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        database: Path = typer.Option(DEMO_DB, help="SQLite file for the demo (recreated)."),
        seed: int = typer.Option(7, help="Seed of the generated book."),
    ) -> None:
        """Fill an embedded database with a realistic book and try the commands here."""
        asyncio.run(_demo(database, seed))
