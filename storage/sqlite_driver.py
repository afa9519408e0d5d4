"""SQLAlchemy's aiosqlite adapter, with each statement one trip to SQLite's thread, or none.

aiosqlite runs the sqlite3 connection in a thread of its own, and every call crosses to it
and back: a queue, a wake-up, and a callback into the event loop. SQLAlchemy's adapter makes
four such trips per statement (open a cursor, execute, fetch the rows, close the cursor),
which cost more than most of accountbot's queries themselves (0.4 ms against 0.06 ms for a
one-row SELECT). Here the four happen in one function run on that thread, so a statement
is one trip. Streamed results (server-side cursors) keep SQLAlchemy's own cursor.

A quick read makes no trip at all: a SELECT whose last `QUICK_RUNS_TO_INLINE` runs in a row
each took under `INLINE_BELOW_SECONDS` runs on the event loop's own thread, where the trip
would cost more than the read (a chat answer's CPU drops by about a sixth). Statements run on
SQLite's thread until they have been timed quick there, and one slow run sends a statement
back there until it is quick again: a heavy read (a head's renewals over the whole book) runs
on the loop only when it follows quick runs of the very same SQL, and then once. Writes
always make the trip: a write may wait for another process's lock, a read in WAL mode never
does. The connection is used by one session at a time either way, hence
`check_same_thread=False`.

Used through `create_async_engine(..., module=one_trip_dbapi())`: the URL, the dialect and
everything else stay SQLAlchemy's `sqlite+aiosqlite`. sqlite3 opens a transaction before
the first change (not before a read), so a read-only session makes no trip to end it.
"""

from __future__ import annotations

import sqlite3
import time
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


INLINE_BELOW_SECONDS = 0.001
QUICK_RUNS_TO_INLINE = 2
_QUICK_RUNS: dict[str, int] = {}  # SQL text -> how many of its last runs in a row were quick
_REMEMBERED = 4096  # texts kept (IN lists of each length are texts of their own)


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """The statement, its rows and what the cursor tells, timed for `_quick_read`. Run on
    aiosqlite's thread, or on the loop's for a quick read."""
    cursor = connection.cursor()
    started = time.perf_counter()
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
        _timed(operation, time.perf_counter() - started)


def _timed(operation: str, seconds: float) -> None:
    """Count the quick runs in a row of a SELECT (writes always make the trip: not counted)."""
    if not operation.startswith("SELECT"):
        return
    if len(_QUICK_RUNS) >= _REMEMBERED and operation not in _QUICK_RUNS:
        _QUICK_RUNS.clear()  # start over rather than grow
    quick = seconds < INLINE_BELOW_SECONDS
    _QUICK_RUNS[operation] = _QUICK_RUNS.get(operation, 0) + 1 if quick else 0


def _quick_read(operation: str) -> bool:
    """A SELECT whose last runs (on SQLite's thread at first) were all quick."""
    return _QUICK_RUNS.get(operation, 0) >= QUICK_RUNS_TO_INLINE


async def _here(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """`_execute` on the loop's thread (an awaitable, as SQLAlchemy's adapter needs one)."""
    return _execute(connection, operation, parameters)


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
            if function is _execute and _quick_read(operation):
                outcome = await_(_here(connection._conn, operation, parameters))
            else:
                trip = connection._execute(function, connection._conn, operation, parameters)
                outcome = await_(trip)
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
        kw["check_same_thread"] = False  # quick reads run on the loop's thread
        adapted = super().connect(*arg, **kw)
        return _OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The `module=` for `create_async_engine` on a `sqlite+aiosqlite` URL."""
    return _OneTripDBAPI(aiosqlite, sqlite3)
