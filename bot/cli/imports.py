"""`accountbot import KIND FILE`: load teams, people, accounts and their history."""

from __future__ import annotations

import asyncio
import codecs
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as ProgressBar
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import discard_book, fail, load_settings, missing_book, prepare_database
from bot.playbooks import PlaybookError, PlaybookLibrary, load_playbooks
from bot.services.imports import (
    SPECS,
    ImportKind,
    ImportRejected,
    ImportResult,
    Progress,
    Table,
    UnreadableFile,
    import_table,
    read_file,
)
from bot.services.imports.local_dates import DateOrder
from bot.services.imports.reader import WINDOWS_ENCODING
from bot.settings import Settings
from storage.db import Database, async_url

LARGE_FILE_ROWS = 2000
IMPORT_ORDER = (
    "teams, users, accounts, then contracts, meetings, upsells, satisfaction, deliverables, steps"
)

KIND_ARGUMENT = typer.Argument(
    ..., case_sensitive=False, help=f"What the file holds. Import in order: {IMPORT_ORDER}."
)
FILE_ARGUMENT = typer.Argument(
    ...,
    metavar="FILE",
    help="A CSV file (UTF-8; comma, semicolon or tab) or an Excel workbook (.xlsx), with a header.",
)
DATES_OPTION = typer.Option(
    None,
    "--dates",
    case_sensitive=False,
    help="Also read dates as your spreadsheet's locale writes them: dmy for 23/02/2026 or "
    "23.02.2026, mdy for 2/23/2026 (with or without a time). ISO dates are always read.",
)
ENCODING_OPTION = typer.Option(
    "utf-8",
    "--encoding",
    metavar="CODEC",
    help=f"The CSV file's text encoding: {WINDOWS_ENCODING} for Excel's “CSV (Comma delimited)” "
    "on Windows. Workbooks ignore it.",
)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress_bar(rows: int) -> Iterator[Progress | None]:
    """A progress bar on stderr for a file of more than LARGE_FILE_ROWS rows, when stderr is a
    terminal; otherwise nothing."""
    if rows <= LARGE_FILE_ROWS or not stderr_is_terminal():
        yield None
        return
    console = Console(stderr=True, force_terminal=True)
    columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn())
    with ProgressBar(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("reading", total=rows)

        def report(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        yield report


async def run_import(
    settings: Settings,
    kind: ImportKind,
    table: Table,
    progress: Progress | None,
    playbooks: PlaybookLibrary | None,
    dates: DateOrder | None = None,
) -> ImportResult:
    await prepare_database(settings, new_book=True)
    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as session:
            return await import_table(
                session,
                kind=kind.value,
                table=table,
                now=datetime.now(UTC),
                progress=progress,
                playbooks=playbooks,
                dates=dates,
            )
    finally:
        await database.dispose()


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _forget(new_book: str | None) -> None:
    """A first import that imported nothing leaves no book behind: nothing changed."""
    if new_book is not None:
        discard_book(new_book)


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_command(
        kind: ImportKind = KIND_ARGUMENT,
        file: Path = FILE_ARGUMENT,
        encoding: str = ENCODING_OPTION,
        dates: DateOrder | None = DATES_OPTION,
    ) -> None:
        """Import a file: every row or none; re-importing updates rows by their natural key."""
        try:
            codecs.lookup(encoding)
        except LookupError:
            fail(
                f"Unknown encoding {encoding!r}: use utf-8 (the default), or {WINDOWS_ENCODING} "
                "for a file Excel on Windows saved as “CSV (Comma delimited)”."
            )
        settings = load_settings()
        try:
            async_url(settings.database_url)
        except ValueError as exc:
            fail(f"Configuration error: {exc}")
        try:
            # Steps are checked against the team's playbooks.
            playbooks = load_playbooks(settings.playbooks_dir) if kind is ImportKind.STEPS else None
        except PlaybookError as exc:
            fail(f"Configuration error: {exc}")
        try:
            table = read_file(
                file, kind=kind.value, known=SPECS[kind].columns.known, encoding=encoding
            )
        except OSError as exc:
            fail(f"Cannot read {file}: {exc.strerror or exc}")
        except UnreadableFile as exc:
            fail(str(exc))
        new_book = missing_book(settings.database_url)
        try:
            with progress_bar(len(table.rows) - 1) as progress:
                result = asyncio.run(run_import(settings, kind, table, progress, playbooks, dates))
        except ImportRejected as rejected:
            _forget(new_book)
            typer.secho(rejected.message, err=True, fg=typer.colors.RED)
            for problem in rejected.problems:
                typer.echo(str(problem), err=True)
            if rejected.hint:
                typer.echo(rejected.hint, err=True)
            raise typer.Exit(1) from None
        except (SQLAlchemyError, OSError) as exc:
            _forget(new_book)
            fail(f"Import failed, nothing was imported: {_first_line(exc)}", code=1)
        if new_book:
            typer.echo(f"Started a new book at {new_book}.", err=True)
        for warning in result.warnings:
            typer.echo(warning, err=True)
        typer.echo(result.summary())
