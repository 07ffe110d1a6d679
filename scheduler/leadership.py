"""Only one instance sends: leadership between processes sharing one database.

PostgreSQL: the leader holds a session-level advisory lock (`pg_try_advisory_lock`) on a
dedicated connection. A standby retries every `retry_seconds` (default 5); when the leader dies
its connection closes, PostgreSQL drops the lock, and the standby takes over within one retry
interval (well under 15 seconds). A watchdog pings the connection; if it breaks (a database
restart, a failover), the lease is lost at once (`lease.lost` is set, `on_lost` is called):
another instance may lead now, so sending stops. The process itself carries on, and the same
task wins the lock back on a fresh connection (reconnecting with backoff) or, if another
instance took it meanwhile, stands by exactly like a standby at start-up. Every lease granted,
the first and each regained one, is a new `Lease` and calls `on_acquired`, so the caller can
run its start-up recovery again.

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
import inspect
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
# first wait after PostgreSQL could not be reached; doubles up to `retry_seconds`
RECONNECT_FIRST_DELAY = 0.5

# a callback may be plain or a coroutine function; an error in it is logged, never raised
Callback = Callable[[], Any]


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
    """Acquire, keep, win back and release leadership for one database; see the module doc."""

    def __init__(self, database: Database, *, retry_seconds: float = 5.0,
                 watch_seconds: float = 5.0, ping_timeout: float = 10.0,
                 lock_name: str = LOCK_NAME,
                 on_standby: Callback | None = None, on_lost: Callback | None = None,
                 on_acquired: Callback | None = None) -> None:
        self.database = database
        self.retry_seconds = retry_seconds
        self.watch_seconds = watch_seconds
        self.ping_timeout = ping_timeout
        self.key = advisory_key(lock_name)
        self.on_standby = on_standby
        self.on_lost = on_lost
        self.on_acquired = on_acquired
        self.lease: Lease | None = None
        self._connection: AsyncConnection | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._lock_file: IO[str] | None = None

    async def acquire(self) -> Lease:
        """Become the leader: waits while another PostgreSQL instance leads; on SQLite raises
        AnotherInstanceRunning at once if the database is in use."""
        if self.database.is_postgres:
            await self._acquire_postgres()
            lease = await self._grant("postgres-advisory-lock")
            self._keeper = asyncio.create_task(self._keep(), name="leadership-keeper")
            return lease
        self._acquire_file_lock()
        return await self._grant("sqlite-file-lock")

    async def release(self) -> None:
        """Give leadership up (on shutdown); a standby takes over right away."""
        if self.lease is not None:
            self.lease._released = True
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._keeper
            self._keeper = None
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

    async def _grant(self, kind: str) -> Lease:
        self.lease = Lease(kind)
        await self._call(self.on_acquired, "on_acquired")
        return self.lease

    async def _call(self, callback: Callback | None, name: str) -> None:
        if callback is None:
            return
        try:
            result = callback()
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("leadership: the %s callback failed", name)

    # ---- PostgreSQL --------------------------------------------------------------------

    async def _acquire_postgres(self) -> None:
        """Return once the lock is ours: stand by while another instance holds it, and keep
        reconnecting (with backoff) while PostgreSQL cannot be reached."""
        standing_by = False
        unreachable_for = 0
        while True:
            try:
                if self._connection is None:
                    connection = await self.database.engine.connect()
                    self._connection = await connection.execution_options(
                        isolation_level="AUTOCOMMIT")
                got = bool((await self._connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})).scalar())
            except Exception as error:  # database restarting: try again shortly
                unreachable_for += 1
                delay = min(RECONNECT_FIRST_DELAY * 2 ** (unreachable_for - 1),
                            self.retry_seconds)
                log.warning("leadership: cannot reach PostgreSQL (%s); retrying in %.1fs",
                            _first_line(error), delay)
                await self._drop_connection()
                await asyncio.sleep(delay)
                continue
            unreachable_for = 0
            if got:
                log.info("leadership: this instance is the leader")
                return
            if not standing_by:
                standing_by = True
                log.info("leadership: another instance leads; standing by (retry every %.0fs)",
                         self.retry_seconds)
                await self._call(self.on_standby, "on_standby")
            await asyncio.sleep(self.retry_seconds)

    async def _keep(self) -> None:
        """For the life of the process: watch the lease; when it is lost, win it back."""
        while True:
            await self._watch_until_broken()
            await self._acquire_postgres()
            await self._grant("postgres-advisory-lock")
            log.info("leadership: leadership regained; resuming sending")

    async def _watch_until_broken(self) -> None:
        problem = ""
        while not problem:
            await asyncio.sleep(self.watch_seconds)
            try:
                assert self._connection is not None
                await asyncio.wait_for(self._connection.execute(text("SELECT 1")),
                                       self.ping_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                problem = _first_line(error)
        log.warning("leadership: lost the leader connection (%s); sending stops until "
                    "leadership is regained", problem)
        assert self.lease is not None
        self.lease.lost.set()
        await self._drop_connection()
        await self._call(self.on_lost, "on_lost")

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
        handle = _lock_or_refuse(path)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._lock_file = handle


def _first_line(error: BaseException) -> str:
    """Enough of a driver error for one log line (SQLAlchemy's append the SQL and a link)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _lock_or_refuse(path: Path) -> IO[str]:
    """The lock file, opened and locked by this process; AnotherInstanceRunning if it is not
    free."""
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
    return handle


def refuse_if_sqlite_in_use(url: str) -> None:
    """Raise AnotherInstanceRunning when a running instance holds this SQLite database now —
    for a start that would change the database before taking its lock."""
    path = sqlite_lock_path(url)
    if path is not None and path.exists():
        _lock_or_refuse(path).close()  # closing releases the lock again


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
