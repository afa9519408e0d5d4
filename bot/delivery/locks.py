"""The scheduler's lock: one process per database runs the timed jobs.

On PostgreSQL an advisory lock held by a dedicated connection (released by the server when that
process dies, so another replica takes over within a minute); on SQLite, which serves one
machine, a file lock beside the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database, sqlite_path

LOCK_KEY = 0x6163_6374  # "acct": the advisory lock of accountbot's scheduler


class LeaderLock(Protocol):
    async def acquire(self) -> bool: ...
    async def held(self) -> bool: ...
    async def release(self) -> None: ...


class PostgresLock:
    """pg_try_advisory_lock on a connection kept open while the lock is held."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        connection = await self.db.engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            )
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def held(self) -> bool:
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
        except Exception:
            await self.release()
            return False
        return True

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()  # closing the session releases the lock


class FileLock:
    """flock on `<database>.scheduler.lock`: one scheduler per SQLite file on this machine."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def lock_for(db: Database) -> LeaderLock:
    path = sqlite_path(db.url)
    if db.engine.dialect.name == "sqlite":
        return FileLock(f"{path or '/tmp/accountbot-memory'}.scheduler.lock")
    return PostgresLock(db)
