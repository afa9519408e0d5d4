"""What every command does first: settings, logging, the database, services."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError

from bot.errors import ConfigError
from bot.logs import configure_logging
from bot.playbooks import PlaybookError
from bot.services.container import Services, build_services
from bot.settings import Settings
from storage.db import is_sqlite, sqlite_path
from storage.migrate import upgrade_async


def fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def load_settings(**overrides: object) -> Settings:
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        fail(f"Configuration error: {problems}")
    configure_logging(settings.log_level, settings.log_format)
    return settings


def open_services(settings: Settings) -> Services:
    try:
        return build_services(settings)
    except (PlaybookError, ConfigError) as exc:
        fail(f"Configuration error: {exc}")


async def prepare_database(settings: Settings, *, new_book: bool = False) -> None:
    """An embedded SQLite database migrates itself; PostgreSQL is migrated on purpose.

    Only an import (`new_book`) starts a SQLite book that is not there yet. Other commands
    refuse a missing file: it is far more often a mistyped DATABASE_URL than a wish for an
    empty book (an export of nothing, a digest of no team)."""
    url = settings.database_url
    if not is_sqlite(url):
        return
    path = missing_book(url)
    if path is not None and not new_book:
        fail(
            f"There is no database at {path}. Import your spreadsheets first "
            "(`accountbot import teams FILE`, see the README), or check DATABASE_URL."
        )
    await quiet_upgrade(url)


def missing_book(url: str) -> str | None:
    """The file of a SQLite URL when there is no such file yet, else None."""
    path = sqlite_path(url)
    return path if path is not None and not os.path.exists(path) else None


def discard_book(path: str) -> None:
    """Remove a book this command started (its file and SQLite's companions)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(path + suffix).unlink(missing_ok=True)


async def quiet_upgrade(database_url: str) -> None:
    """Migrate without Alembic's progress lines: they are noise before a command's answer."""
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        await upgrade_async(database_url)
    finally:
        alembic_log.setLevel(level)
