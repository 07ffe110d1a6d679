"""Only one instance sends: leadership between processes sharing one database.

PostgreSQL: the leader holds a session-level advisory lock (`pg_try_advisory_lock`) on a
dedicated connection kept for the life of the process. A standby retries every
`retry_seconds` (default 5); when the leader dies its connection closes, PostgreSQL drops the
lock, and the standby takes over within one retry interval (well under 15 seconds). A watchdog
pings the connection; if it breaks, the lease is marked lost (`lease.lost` is set and
`on_lost` is called) because another instance may now lead — stop sending then.

SQLite: there is no standby. An exclusive `flock` on `<database file>.lock` makes a second
instance refuse to start with `AnotherInstanceRunning` (a clear message naming the file).

Usage (the composition root):

    async with acquire_leadership(database, settings) as lease:
        ...  # run the application; check lease.held / await lease.lost.wait()
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database

log = logging.getLogger(__name__)

LOCK_NAME = "wilayah.scheduler.leader"


def advisory_key(name: str = LOCK_NAME) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock derived from a name."""
    return zlib.crc32(name.encode()) - 2**31


class AnotherInstanceRunning(RuntimeError):
    """A second instance on the same SQLite database: it must not start."""


class Lease:
    """Proof of leadership while `held`; `lost` is set if it ends unexpectedly."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.lost = asyncio.Event()
        self._released = False

    @property
    def held(self) -> bool:
        return not self.lost.is_set() and not self._released


class Leadership:
    """Acquire and release leadership for one database; see the module docstring."""

    def __init__(self, database: Database, *, retry_seconds: float = 5.0,
                 watch_seconds: float = 5.0, lock_name: str = LOCK_NAME,
                 on_standby: Callable[[], None] | None = None,
                 on_lost: Callable[[], None] | None = None) -> None:
        self.database = database
        self.retry_seconds = retry_seconds
        self.watch_seconds = watch_seconds
        self.key = advisory_key(lock_name)
        self.on_standby = on_standby
        self.on_lost = on_lost
        self.lease: Lease | None = None
        self._connection: AsyncConnection | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._lock_file: IO[str] | None = None

    async def acquire(self) -> Lease:
        """Become the leader: waits while another PostgreSQL instance leads; on SQLite raises
        AnotherInstanceRunning at once if the database is in use."""
        if self.database.is_postgres:
            await self._acquire_postgres()
            self.lease = Lease("postgres-advisory-lock")
            self._watchdog = asyncio.create_task(self._watch(), name="leadership-watchdog")
        else:
            self._acquire_file_lock()
            self.lease = Lease("sqlite-file-lock")
        return self.lease

    async def release(self) -> None:
        """Give leadership up (on shutdown); a standby takes over right away."""
        if self.lease is not None:
            self.lease._released = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watchdog
            self._watchdog = None
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    # ---- PostgreSQL --------------------------------------------------------------------

    async def _acquire_postgres(self) -> None:
        announced = False
        while True:
            try:
                if self._connection is None:
                    connection = await self.database.engine.connect()
                    self._connection = await connection.execution_options(
                        isolation_level="AUTOCOMMIT")
                got = (await self._connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})).scalar()
            except Exception as error:  # database restarting: keep trying as a standby
                log.warning("leadership: cannot reach PostgreSQL (%s); retrying", error)
                await self._drop_connection()
                got = False
            if got:
                log.info("leadership: this instance is the leader")
                return
            if not announced:
                announced = True
                log.info("leadership: another instance leads; standing by (retry every %.0fs)",
                         self.retry_seconds)
                if self.on_standby is not None:
                    self.on_standby()
            await asyncio.sleep(self.retry_seconds)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.watch_seconds)
            try:
                assert self._connection is not None
                await self._connection.execute(text("SELECT 1"))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.error("leadership: lost the leader connection (%s); stop sending", error)
                assert self.lease is not None
                self.lease.lost.set()
                await self._drop_connection()
                if self.on_lost is not None:
                    self.on_lost()
                return

    async def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.invalidate()
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None

    # ---- SQLite ------------------------------------------------------------------------

    def _acquire_file_lock(self) -> None:
        path = sqlite_lock_path(self.database.url)
        if path is None:
            return  # an in-memory database cannot be shared by two processes
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise AnotherInstanceRunning(
                f"Another Wilayah instance ({holder}) is already using the SQLite database; "
                f"lock file {path}. SQLite allows one instance only — stop the other one, or "
                "use PostgreSQL for a standby.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._lock_file = handle


def sqlite_lock_path(url: str) -> Path | None:
    """`<database file>.lock`, or None for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).with_name(Path(database).name + ".lock")


@contextlib.asynccontextmanager
async def acquire_leadership(database: Database, settings: Any = None, *,
                             retry_seconds: float = 5.0,
                             on_lost: Callable[[], None] | None = None) -> AsyncIterator[Lease]:
    """Hold leadership for the block: waits as a standby on PostgreSQL, refuses on SQLite."""
    leadership = Leadership(database, retry_seconds=retry_seconds, on_lost=on_lost)
    lease = await leadership.acquire()
    try:
        yield lease
    finally:
        await leadership.release()
