"""Database faults made for real: a lock another process holds, a file moved away or spoiled."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import asyncpg

from storage.db import sqlite_path


@contextmanager
def write_lock_held(database_url: str, seconds: float) -> Iterator[threading.Thread]:
    """Another client holds a write lock for ``seconds`` (SQLite: the whole file; PostgreSQL:
    the meetings table), starting before the block runs. Reads still work meanwhile."""
    taken = threading.Event()
    path = sqlite_path(database_url)
    target = _hold_sqlite if path else _hold_postgres
    thread = threading.Thread(
        target=target, args=(path or database_url, seconds, taken), daemon=True
    )
    thread.start()
    assert taken.wait(10), "could not take the lock"
    try:
        yield thread
    finally:
        thread.join(seconds + 10)


def _hold_sqlite(path: str, seconds: float, taken: threading.Event) -> None:
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        taken.set()
        threading.Event().wait(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def _hold_postgres(url: str, seconds: float, taken: threading.Event) -> None:
    async def hold() -> None:
        parts = urlsplit(url)
        connection = await asyncpg.connect(url.replace(parts.scheme, "postgresql", 1))
        try:
            async with connection.transaction():
                await connection.execute("LOCK TABLE meetings IN EXCLUSIVE MODE")
                taken.set()
                await asyncio.sleep(seconds)
        finally:
            await connection.close()

    asyncio.run(hold())
