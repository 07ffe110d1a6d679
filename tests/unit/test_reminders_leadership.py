"""Leadership: one sending instance; a PostgreSQL standby takes over, SQLite refuses a second."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from bot.db import Database
from scheduler.alarm import is_leader
from scheduler.leadership import AnotherInstanceRunning, Leadership, acquire_leadership


@pytest.mark.backends("sqlite")
async def test_sqlite_refuses_a_second_instance_with_a_clear_message(
        db: Database, database_url: str) -> None:
    async with acquire_leadership(db) as lease:
        assert lease.held
        second = Database(database_url)
        try:
            with pytest.raises(AnotherInstanceRunning, match="already using the SQLite"):
                await Leadership(second).acquire()
        finally:
            await second.dispose()
    assert not lease.held
    again = Leadership(db)
    await again.acquire()
    await again.release()


@pytest.mark.backends("postgres")
async def test_postgres_standby_takes_over_when_the_leader_dies(
        db: Database, database_url: str) -> None:
    leader = Leadership(db, watch_seconds=0.1, lock_name="test.leader")
    lease = await leader.acquire()
    standby_db = Database(database_url)
    standby = Leadership(standby_db, retry_seconds=0.2, lock_name="test.leader")
    try:
        waiting = asyncio.create_task(standby.acquire())
        await asyncio.sleep(0.6)
        assert not waiting.done(), "the standby must wait while the leader lives"
        # the leader's process dies: PostgreSQL ends its session and drops the lock
        assert leader._connection is not None
        pid = (await leader._connection.execute(text("SELECT pg_backend_pid()"))).scalar()
        died = time.monotonic()
        async with standby_db.engine.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        standby_lease = await asyncio.wait_for(waiting, timeout=15)
        assert standby_lease.held and time.monotonic() - died < 15
        await asyncio.wait_for(lease.lost.wait(), timeout=5)
        assert not lease.held
    finally:
        await standby.release()
        await leader.release()
        await standby_db.dispose()


async def test_nothing_is_sent_before_leadership_is_acquired(db: Database) -> None:
    leadership = Leadership(db, lock_name="test.alarm")
    assert is_leader(None)
    assert not is_leader(leadership)
    await leadership.acquire()
    try:
        assert is_leader(leadership)
    finally:
        await leadership.release()
    assert not is_leader(leadership)
