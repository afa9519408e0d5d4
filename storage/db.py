"""Engine, sessions and the unit of work, built from a database URL on demand.

The application never creates a database: an embedded SQLite file is opened read-write only
if it exists (migrations create it), so a file moved away is an error, not a new empty book.
A pooled SQLite connection whose file was moved or replaced is dropped when next used, and
PostgreSQL connections are pinged before use, so the first request after the database comes
back works. SQL parameters (user text) never appear in logs or error messages.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_driver import one_trip_dbapi
from storage.zones import LOCAL_DATE_FUNCTION, local_date_text

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(url: str) -> str:
    """Accept plain `sqlite:///…` and `postgresql://…` URLs and pick the async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"DATABASE_URL must be sqlite or postgresql, not {backend!r}")
    if parsed.drivername in ("sqlite", "postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (None for in-memory databases and other backends)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return os.path.abspath(str(parsed.database))


def _existing_file_url(url: str, path: str) -> str:
    """The async URL opening ``path`` read-write only if it exists (SQLite's `mode=rw`)."""
    parsed = make_url(async_url(url))
    uri = f"file:{quote(path)}"
    return parsed.set(
        database=uri, query={**parsed.query, "mode": "rw", "uri": "true"}
    ).render_as_string(hide_password=False)


_FILE_GONE = (
    "file is not a database",
    "database disk image is malformed",
    "unable to open database file",
    "disk i/o error",
)


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def _watch_sqlite_file(engine: AsyncEngine, path: str) -> None:
    """Pragmas on connect; drop a pooled connection whose file was moved or replaced."""

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
        record.info["file"] = _file_identity(path)

    def on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("file") != _file_identity(path):
            raise DisconnectionError("the database file was moved or replaced")

    def on_error(context: Any) -> None:
        """A connection that saw its file unreadable stays broken: drop it, not reuse it."""
        message = str(context.original_exception).lower()
        if any(sign in message for sign in _FILE_GONE):
            context.is_disconnect = True

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "checkout", on_checkout)
    event.listen(engine.sync_engine, "handle_error", on_error)


def _sqlite_functions(dbapi_connection: Any, _record: Any) -> None:
    """What SQLite lacks and accountbot's SQL uses: local dates (`storage.expressions`)."""
    dbapi_connection.create_function(LOCAL_DATE_FUNCTION, 2, local_date_text, deterministic=True)


# The databases whose SQLite write turn the current task holds (see Database._one_writer).
_WRITING: ContextVar[frozenset[int]] = ContextVar("sqlite_writing", default=frozenset())


class Database:
    """One engine and session factory for the process; nothing connects until used."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        path = sqlite_path(url)
        if is_sqlite(url):
            engine_url = _existing_file_url(url, path) if path else async_url(url)
            kwargs["module"] = one_trip_dbapi()
            # Named, not sqlite3's default qmark: a parameter used in several places (each
            # owner's today, in every CASE over the zones in use) is then bound once, not once
            # per place. App Home's nudge statements bound about 800 values; now about 490.
            kwargs["paramstyle"] = "named"
        else:
            engine_url = async_url(url)
            # Statements are prepared and cached per connection; after five runs PostgreSQL
            # may switch a prepared statement to a generic plan that ignores its parameters
            # (a week's dates, a team's ids), which reads whole tables. Plan each run instead.
            kwargs.update(
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=10,
                connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
            )
        self.engine: AsyncEngine = create_async_engine(engine_url, **kwargs)
        if is_sqlite(url):
            event.listen(self.engine.sync_engine, "connect", _sqlite_functions)
        if path:
            _watch_sqlite_file(self.engine, path)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._serialise_writes = is_sqlite(url)
        self._write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session that commits when the block ends cleanly and rolls back otherwise."""
        async with self._one_writer(), self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def _one_writer(self) -> AsyncIterator[None]:
        """On SQLite, one unit of work at a time per process (and event loop): SQLite allows
        one writer, and a second one would wait in SQLite's busy handler, which sleeps up to
        100 ms at a time, instead of in line. A unit of work opened inside another (same
        task) goes ahead. PostgreSQL needs no such thing."""
        if not self._serialise_writes or id(self) in _WRITING.get():
            yield
            return
        lock = self._write_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            token = _WRITING.set(_WRITING.get() | {id(self)})
            try:
                yield
            finally:
                _WRITING.reset(token)

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[AsyncSession]:
        """A session for queries. Nothing is committed; loaded objects stay readable after."""
        async with self.sessions() as session:
            yield session

    async def ping(self) -> bool:
        """A real round trip to accountbot's own schema (not just a live pooled socket)."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT version_num FROM alembic_version"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
