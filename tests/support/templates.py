"""Migrated template databases: migrate once per test session, then copy for every test.

Running the Alembic history takes far longer than copying its result, so the suite migrates
one SQLite file and one PostgreSQL database per session (per xdist worker) and hands each test
a copy: ``SqliteTemplate.copy`` copies the file, ``create_database(..., template=...)`` has
PostgreSQL copy the database. The templates are built afresh every session, so a new migration
is picked up by the next run without anything to clean.

Alembic's environment runs its own event loop; the builders here run it (and asyncpg) on a
thread of their own so that they can be called from synchronous session fixtures without
touching the event loop of the thread pytest-asyncio runs tests on.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from storage.migrate import upgrade_database
from tests.support.postgres import PostgresServer

T = TypeVar("T")


def _on_own_thread(function: Callable[..., T], *args: object) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def sqlite_url_of(path: Path) -> str:
    return f"sqlite:///{path}"


class SqliteTemplate:
    """A SQLite file migrated to head, closed and without -wal/-shm files, ready to copy."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def migrate(cls, path: Path) -> SqliteTemplate:
        """Migrate a new SQLite file at ``path`` and leave it self-contained."""
        _on_own_thread(upgrade_database, sqlite_url_of(path))
        # Whatever the journal mode was, DELETE mode folds any write-ahead log back into the
        # file and removes it, so copying the one file copies the whole database.
        connection = sqlite3.connect(path)
        try:
            mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()
        finally:
            connection.close()
        leftovers = [p.name for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
        if mode != ("delete",) or leftovers:
            raise RuntimeError(f"SQLite template {path} is not self-contained: {mode} {leftovers}")
        return cls(path)

    def copy(self, destination: Path) -> str:
        """Copy the template to ``destination`` (which must not exist) and return its URL."""
        if destination.exists():
            raise FileExistsError(destination)
        shutil.copyfile(self.path, destination)
        return sqlite_url_of(destination)


def create_postgres_template(server: PostgresServer, name: str) -> None:
    """Create database ``name`` on ``server`` and migrate it to head.

    Alembic's environment uses a NullPool and disposes its engine, so no connection to the
    template is left open: PostgreSQL copies a database only while nobody is connected to it.
    """
    _on_own_thread(asyncio.run, server.create_database(name))
    _on_own_thread(upgrade_database, server.url(name))


def drop_postgres_database(server: PostgresServer, name: str) -> None:
    _on_own_thread(asyncio.run, server.drop_database(name))
