"""SQLAlchemy's aiosqlite adapter, with each statement one trip to SQLite's thread.

aiosqlite runs the sqlite3 connection in a thread of its own, and every call crosses to it
and back: a queue, a wake-up, and a callback into the event loop. SQLAlchemy's adapter makes
four such trips per statement (open a cursor, execute, fetch the rows, close the cursor),
which cost more than most of accountbot's queries themselves (0.4 ms against 0.06 ms for a
one-row SELECT). Here the four happen in one function run on that thread, so a statement
is one trip. Streamed results (server-side cursors) keep SQLAlchemy's own cursor.

Used through `create_async_engine(..., module=one_trip_dbapi())`: the URL, the dialect and
everything else stay SQLAlchemy's `sqlite+aiosqlite`. sqlite3 opens a transaction before
the first change (not before a read), so a read-only session makes no trip to end it.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, int, int | None, Sequence[Any]]


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """Run on aiosqlite's thread: the statement, its rows and what the cursor tells."""
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _execute_many(connection: sqlite3.Connection, operation: str, rows: Any) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, rows)
        return None, cursor.rowcount, cursor.lastrowid, ()
    finally:
        cursor.close()


class OneTripCursor:
    """The DB-API cursor SQLAlchemy drives, its rows fetched with the statement."""

    server_side = False
    __slots__ = ("_adapt_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._rows: deque[Any] = deque()
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def _run(self, function: Any, operation: str, parameters: Any) -> None:
        connection = cast(aiosqlite.Connection, self._adapt_connection._connection)
        try:
            outcome = await_(connection._execute(function, connection._conn, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description, self.rowcount, self.lastrowid, rows = outcome
        self._rows = deque(rows)

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._run(_execute, operation, parameters)

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        self._run(_execute_many, operation, seq_of_parameters)

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    def setinputsizes(self, *sizes: Any) -> None:
        """Nothing to set: sqlite3 ignores sizes."""

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor closed on SQLite's thread already."""

    def close(self) -> None:
        self._rows.clear()


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Commits and rollbacks with no transaction open are no trip at all: a session that
    only read ends with a rollback, and the pool resets the connection with another."""

    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def _in_transaction(self) -> bool:
        sqlite: sqlite3.Connection | None = self._connection._connection
        return sqlite is not None and sqlite.in_transaction

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()


class _OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The `module=` for `create_async_engine` on a `sqlite+aiosqlite` URL."""
    return _OneTripDBAPI(aiosqlite, sqlite3)
