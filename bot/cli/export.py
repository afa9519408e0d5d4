"""`accountbot export DIR`: every kind as a CSV file in its import format, to take it all out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import fail, load_settings, prepare_database
from bot.playbooks import PlaybookError, PlaybookLibrary, load_playbooks
from bot.services.imports import ImportKind
from bot.services.imports.export import ExportedFile, export_book
from bot.settings import Settings
from storage.db import Database, async_url, is_sqlite

DIR_ARGUMENT = typer.Argument(
    ..., metavar="DIR", help="Where the files go (created if missing).", file_okay=False
)
FORCE_OPTION = typer.Option(False, "--force", help="Overwrite files already there.")


async def run_export(settings: Settings, playbooks: PlaybookLibrary) -> list[ExportedFile]:
    await prepare_database(settings)
    database = Database(settings.database_url)
    try:
        async with database.read_only() as session:
            if not is_sqlite(settings.database_url):  # one snapshot for every file
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            return await export_book(session, playbooks=playbooks)
    finally:
        await database.dispose()


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(directory: Path = DIR_ARGUMENT, force: bool = FORCE_OPTION) -> None:
        """Write every kind (teams, users, accounts, …, steps) to DIR/KIND.csv in the import
        format; importing them into an empty database gives the same files again."""
        settings = load_settings()
        try:
            async_url(settings.database_url)
            playbooks = load_playbooks(settings.playbooks_dir)
        except (ValueError, PlaybookError) as exc:
            fail(f"Configuration error: {exc}")
        targets = [directory / f"{kind.value}.csv" for kind in ImportKind]
        there = [path.name for path in targets if path.exists()]
        if there and not force:
            fail(f"{directory} already has {', '.join(there)}; use --force to overwrite them.")
        try:
            files = asyncio.run(run_export(settings, playbooks))
        except SQLAlchemyError as exc:
            fail(f"Export failed, nothing was written: {exc}", code=1)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            for file in files:
                (directory / file.name).write_text(file.text, encoding="utf-8", newline="")
        except OSError as exc:
            fail(f"Cannot write to {directory}: {exc.strerror or exc}", code=1)
        counts = ", ".join(f"{file.rows} {file.kind.value}" for file in files)
        typer.echo(f"Exported to {directory}: {counts}.")
