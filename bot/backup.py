"""`wilayah-bot db backup FILE` / `db restore FILE`: copy the whole database out and back.

SQLite: Python's sqlite3 online backup API — consistent while the bot keeps running (WAL),
checked with PRAGMA integrity_check. PostgreSQL: pg_dump in its custom format and
pg_restore --clean in one transaction (the client tools must be at least the server's major
version). A restore refuses to run while a bot instance uses the database. See docs/BACKUP.md.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from scheduler.leadership import advisory_key, sqlite_lock_path


class BackupError(Exception):
    """Something the operator must fix; the message says what."""


def backup(database_url: str, target: Path) -> str:
    """Copy the database to `target`; returns a one-line summary."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_backup(_sqlite_path(url), target)
    _pg_tool("pg_dump", url, "--format=custom", "--no-owner", "--no-privileges",
             f"--file={target}")
    listing = _pg_tool("pg_restore", url, "--list", str(target), with_database=False)
    tables = sum(1 for line in listing.splitlines() if " TABLE DATA " in line)
    return f"backup written to {target} ({tables} tables, {target.stat().st_size} bytes)"


def restore(database_url: str, source: Path) -> str:
    """Replace the database with the content of `source`; the bot must be stopped."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_restore(_sqlite_path(url), source)
    if asyncio.run(_pg_in_use(url)):
        raise BackupError("a Wilayah instance is using this database; stop it first")
    _pg_tool("pg_restore", url, "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", str(source))
    return f"database restored from {source}"


def main(action: str, database_url: str, path: Path) -> int:
    """The CLI entry: print one line, return the exit code."""
    try:
        print(backup(database_url, path) if action == "backup" else restore(database_url, path))
    except BackupError as error:
        print(f"wilayah-bot: {error}", file=sys.stderr)
        return 1
    return 0


# --- SQLite --------------------------------------------------------------------------------

def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _sqlite_backup(source: Path, target: Path) -> str:
    if not source.is_file():
        raise BackupError(f"no database file at {source}")
    partial = target.with_name(target.name + ".part")
    with sqlite3.connect(source, timeout=30) as live, sqlite3.connect(partial) as copy:
        live.backup(copy)  # page by page; writers are not blocked for long
        _check(copy, partial)
    live.close()
    copy.close()
    os.replace(partial, target)
    return f"backup written to {target} ({target.stat().st_size} bytes, integrity ok)"


def _sqlite_restore(target: Path, source: Path) -> str:
    with sqlite3.connect(source) as backup_copy:
        _check(backup_copy, source)
    lock = sqlite_lock_path(f"sqlite:///{target}")
    assert lock is not None
    with lock.open("a+") as handle:  # the lock a running instance holds (scheduler.leadership)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError("a Wilayah instance is using this database; stop it first") \
                from None
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as backup_copy, sqlite3.connect(target) as live:
            backup_copy.backup(live)  # overwrites every page, WAL included
            _check(live, target)
        backup_copy.close()
        live.close()
    return f"database {target} restored from {source} (integrity ok)"


def _check(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")


# --- PostgreSQL ----------------------------------------------------------------------------

def _pg_tool(tool: str, url: URL, *args: str, with_database: bool = True) -> str:
    binary = shutil.which(tool)
    if binary is None:
        raise BackupError(f"{tool} not found; install the PostgreSQL client tools "
                          "(Debian: postgresql-client) of the server's major version or newer")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps shows it
    libpq = url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    command = [binary, *([f"--dbname={libpq}"] if with_database else []), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[:500]}")
    return done.stdout


async def _pg_in_use(url: URL) -> bool:
    """True when a running instance holds the scheduler's leadership lock."""
    import asyncpg

    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        got = await connection.fetchval("SELECT pg_try_advisory_lock($1)", advisory_key())
        if got:
            await connection.execute("SELECT pg_advisory_unlock($1)", advisory_key())
        return not got
    finally:
        await connection.close()
