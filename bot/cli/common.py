"""What every command does first: settings, logging, the database, services."""

from __future__ import annotations

import logging
from typing import NoReturn

import typer
from pydantic import ValidationError

from bot.errors import ConfigError
from bot.logs import configure_logging
from bot.playbooks import PlaybookError
from bot.services.container import Services, build_services
from bot.settings import Settings
from storage.db import is_sqlite
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


async def prepare_database(settings: Settings) -> None:
    """An embedded SQLite database migrates itself; PostgreSQL is migrated on purpose."""
    if is_sqlite(settings.database_url):
        await quiet_upgrade(settings.database_url)


async def quiet_upgrade(database_url: str) -> None:
    """Migrate without Alembic's progress lines: they are noise before a command's answer."""
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        await upgrade_async(database_url)
    finally:
        alembic_log.setLevel(level)
