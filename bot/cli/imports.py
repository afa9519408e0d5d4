"""`accountbot import KIND FILE.csv`: load teams, people, accounts and their history."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import fail, load_settings, prepare_database
from bot.services.imports import ImportKind, ImportRejected, ImportResult, import_csv
from bot.settings import Settings
from storage.db import Database, async_url

LARGE_FILE_ROWS = 5000
IMPORT_ORDER = (
    "teams, users, accounts, then contracts, meetings, upsells, satisfaction, deliverables"
)

KIND_ARGUMENT = typer.Argument(
    ..., case_sensitive=False, help=f"What the file holds. Import in order: {IMPORT_ORDER}."
)
FILE_ARGUMENT = typer.Argument(..., metavar="FILE.csv", help="A UTF-8 CSV file with a header.")


def show_progress(done: int, total: int) -> None:
    """`imported N/M rows` on stderr, for a terminal or a large file only."""
    if total >= LARGE_FILE_ROWS or sys.stderr.isatty():
        typer.echo(f"imported {done}/{total} rows", err=True)


async def run_import(
    settings: Settings, kind: ImportKind, stream: TextIO, source_name: str
) -> ImportResult:
    await prepare_database(settings)
    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as session:
            return await import_csv(
                session,
                kind=kind.value,
                stream=stream,
                source_name=source_name,
                now=datetime.now(UTC),
                progress=show_progress,
            )
    finally:
        await database.dispose()


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_command(
        kind: ImportKind = KIND_ARGUMENT,
        file: Path = FILE_ARGUMENT,
    ) -> None:
        """Import a CSV file: every row or none; re-importing updates rows by their natural key."""
        settings = load_settings()
        try:
            async_url(settings.database_url)
        except ValueError as exc:
            fail(f"Configuration error: {exc}")
        try:
            stream = file.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            fail(f"Cannot read {file}: {exc.strerror or exc}")
        try:
            with stream:
                result = asyncio.run(run_import(settings, kind, stream, file.name))
        except ImportRejected as rejected:
            typer.secho(rejected.message, err=True, fg=typer.colors.RED)
            for problem in rejected.problems:
                typer.echo(str(problem), err=True)
            if rejected.hint:
                typer.echo(rejected.hint, err=True)
            raise typer.Exit(1) from None
        except UnicodeDecodeError:
            fail(f"Cannot read {file}: it is not UTF-8 text; save it as “CSV UTF-8” and retry.")
        except (SQLAlchemyError, OSError) as exc:
            fail(f"Import failed, nothing was imported: {_first_line(exc)}", code=1)
        typer.echo(result.summary())
