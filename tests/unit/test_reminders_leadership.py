"""Leadership: one sending instance; a PostgreSQL standby takes over, a leader whose
connection breaks wins the lease back (or stands by), SQLite refuses a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text

from bot.db import Database
from scheduler.alarm import is_leader, leader_only_text
from scheduler.leadership import AnotherInstanceRunning, Leadership, acquire_leadership
from scheduler.sending import RetryLater


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


async def terminate(leadership: Leadership, database: Database) -> None:
    """Cut the leader's lock connection from the server side, as a database restart does."""
    assert leadership._connection is not None
    pid = (await leadership._connection.execute(text("SELECT pg_backend_pid()"))).scalar()
    async with database.engine.connect() as killer:
        await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


@pytest.mark.backends("postgres")
async def test_postgres_standby_takes_over_when_the_leader_dies(
        db: Database, database_url: str) -> None:
    leader = Leadership(db, watch_seconds=0.1, lock_name="test.leader")
    await leader.acquire()
    standby_db = Database(database_url)
    standby = Leadership(standby_db, retry_seconds=0.2, lock_name="test.leader")
    try:
        waiting = asyncio.create_task(standby.acquire())
        await asyncio.sleep(0.6)
        assert not waiting.done(), "the standby must wait while the leader lives"
        # the leader's process dies: nothing of it runs any more, and PostgreSQL ends its
        # session, which drops the lock
        assert leader._keeper is not None
        leader._keeper.cancel()
        died = time.monotonic()
        await terminate(leader, standby_db)
        standby_lease = await asyncio.wait_for(waiting, timeout=15)
        assert standby_lease.held and time.monotonic() - died < 15
    finally:
        await standby.release()
        await leader.release()
        await standby_db.dispose()


@pytest.mark.backends("postgres")
async def test_a_leader_whose_connection_breaks_stops_at_once_and_wins_the_lease_back(
        db: Database) -> None:
    events: list[str] = []
    leader = Leadership(db, watch_seconds=0.1, retry_seconds=0.2, lock_name="test.regain",
                        on_lost=lambda: events.append("lost"),
                        on_acquired=lambda: events.append("acquired"))
    first = await leader.acquire()
    try:
        await terminate(leader, db)
        await asyncio.wait_for(first.lost.wait(), timeout=5)
        assert not first.held and not is_leader(leader)
        assert await eventually(lambda: is_leader(leader)), "leadership was not regained"
        assert leader.lease is not first, "a regained lease is a new one (recovery runs again)"
        assert events == ["acquired", "lost", "acquired"]
    finally:
        await leader.release()
    assert not is_leader(leader)


@pytest.mark.backends("postgres")
async def test_a_former_leader_stands_by_while_another_instance_took_the_lease(
        db: Database, database_url: str) -> None:
    events: list[str] = []
    # the former leader notices its broken connection only after the standby took the lock
    former = Leadership(db, watch_seconds=1.0, retry_seconds=0.2, lock_name="test.handover",
                        on_standby=lambda: events.append("standby"),
                        on_acquired=lambda: events.append("acquired"))
    await former.acquire()
    other_db = Database(database_url)
    other = Leadership(other_db, retry_seconds=0.05, lock_name="test.handover")
    try:
        taking_over = asyncio.create_task(other.acquire())
        await asyncio.sleep(0.2)
        await terminate(former, other_db)
        await asyncio.wait_for(taking_over, timeout=10)
        assert await eventually(lambda: "standby" in events), "the former leader did not stand by"
        assert not is_leader(former)
        await asyncio.sleep(0.5)
        assert not is_leader(former), "two leaders at once"
        await other.release()  # the other instance stops: the former leader leads again
        assert await eventually(lambda: is_leader(former))
        assert events == ["acquired", "standby", "acquired"]
    finally:
        await other.release()
        await former.release()
        await other_db.dispose()


async def test_sends_are_refused_without_a_lease(db: Database) -> None:
    sent: list[int] = []

    async def send(chat_id: int, _text: str, _markup: object) -> int:
        sent.append(chat_id)
        return 1

    leadership = Leadership(db, lock_name="test.refuse")
    guarded = leader_only_text(send, leadership)
    with pytest.raises(RetryLater):
        await guarded(1, "before", None)
    lease = await leadership.acquire()
    try:
        await guarded(2, "leading", None)
        lease.lost.set()  # what the watchdog does when the lock connection breaks
        with pytest.raises(RetryLater):
            await guarded(3, "lost", None)
    finally:
        await leadership.release()
    assert sent == [2]


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
