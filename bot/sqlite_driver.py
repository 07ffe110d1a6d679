"""SQLite for the bot's event loop: aiosqlite, with one trip to its thread per statement.

aiosqlite runs each call on a thread of its own and hands the result back to the event loop.
SQLAlchemy's adapter makes four such trips for one statement (open a cursor, execute, fetch
the rows, close the cursor) and one more for every commit and rollback, even when SQLite has
no transaction open — as after a read. A trip costs about 40 µs of CPU between the two
threads, more than a small statement itself. Here a statement runs as one function on
aiosqlite's thread and comes back with its rows, description, row count and last row id;
a commit or rollback with no transaction open is skipped (SQLite would do nothing).

Streaming (server-side) cursors, connecting and closing stay SQLAlchemy's. Should aiosqlite
lose the call this relies on, `dbapi()` returns None and the engine uses the stock adapter.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, list[Any], int, int | None]


def _run(connection: aiosqlite.Connection, operation: str, parameters: Any,
         many: bool) -> Outcome:
    """On aiosqlite's thread: the whole statement, from opening a cursor to closing it."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statement, rows and metadata travel in one trip."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: OneTripConnection) -> None:
        # no aiosqlite cursor: each statement opens and closes its own on the thread
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:  # type: ignore[override]
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        return None

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._trip(operation, seq_of_parameters, many=True)

    def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            outcome = await_(self._run_async(operation, parameters, many))
        except Exception as error:  # noqa: BLE001 - re-raised as the DBAPI's kind of error
            self._adapt_connection._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _run_async(self, operation: Any, parameters: Any, many: bool) -> Outcome:
        async with self._adapt_connection._execute_mutex:
            return await self._connection._execute(  # type: ignore[attr-defined, no-any-return]
                _run, self._connection, operation, parameters, many)

    async def _async_soft_close(self) -> None:
        return None  # nothing is open between trips

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with one-trip cursors and no idle commits."""

    __slots__ = ()
    _cursor_cls = OneTripCursor

    def commit(self) -> None:
        if self._idle():
            return
        super().commit()

    def rollback(self) -> None:
        if self._idle():
            return
        super().rollback()

    def _idle(self) -> bool:
        """Open, and SQLite has no transaction to end (reading the flag needs no trip)."""
        driver: Any = self._connection
        return driver._connection is not None and not driver.in_transaction


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect uses, handing out the connection above."""

    def connect(self, *args: Any, **kwargs: Any) -> OneTripConnection:
        stock = super().connect(*args, **kwargs)
        return OneTripConnection(self, stock._connection)


def dbapi() -> OneTripDbapi | None:
    """The module to pass as `create_async_engine(module=...)`; None without aiosqlite's
    call-on-thread method."""
    if not callable(getattr(aiosqlite.Connection, "_execute", None)):
        return None
    return OneTripDbapi(aiosqlite, sqlite3)
