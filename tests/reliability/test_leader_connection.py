"""A dropped scheduler leader connection must not take the whole bot down.

The leader's lock connection breaks (a PostgreSQL restart, a failover, an idle-connection
killer): the lease is lost, so sending stops, but conversations never needed it and go on.
The same process takes the lock again on a fresh connection, runs the start-up recovery of a
fresh leader and sends again: a reminder due after the break arrives, once. If another
instance took the lock meanwhile, this one stands by — polling paused, nothing sent — until
it can lead again.
Only our own backend is terminated; the shared server is not restarted.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.clock import ShiftableClock
from bot.context import SERVICES_KEY
from bot.db import Database
from bot.services.reminders import PlannedReminder, replace_reminders
from models.meetings import Meeting
from models.officials import Official, Role
from models.reminders import Reminder, ReminderStatus
from scheduler.alarm import scheduler_of
from scheduler.leadership import Leadership
from simulator import BotApiSimulator
from tests.botdriver import Driver, LogCapture, wait_until
from tests.e2e.harness import TOKEN

LURAH = 8201
TITLE = "Rakor Setelah Putus Sambungan"
FAST_TICKS = {"reminders": {"tick_seconds": 1, "quiet_hours_start": "00:00",
                            "quiet_hours_end": "00:00"}}


async def plan_meeting_reminder(d: Driver, official: Official, due_at: datetime) -> None:
    now = d.clock.now()
    async with d.db.session() as session:
        meeting = Meeting(title=TITLE, region_code="32.77", timezone="Asia/Jakarta",
                          starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=3),
                          venue="Aula", rsvp_deadline=now + timedelta(hours=1),
                          created_by_id=official.id, created_at=now, updated_at=now)
        session.add(meeting)
        await session.flush()
        await replace_reminders(session, d.clock, target_type="meeting", target_id=meeting.id,
                                planned=[PlannedReminder("meeting.hour_before", official.id,
                                                         due_at, expires_at=meeting.starts_at,
                                                         payload={"meeting_id": meeting.id})])


@pytest.mark.backends("postgres")
async def test_a_dropped_leader_connection_does_not_stop_the_bot(db: Database,
                                                                tmp_path: Path) -> None:
    async with BotApiSimulator(token=TOKEN, flood=None) as sim:
        d = Driver(sim, db, ShiftableClock(), tmp_path / "data", **FAST_TICKS)
        await d.start_bot()
        try:
            lurah = await d.official(LURAH, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
            with LogCapture() as capture:
                assert d.app is not None
                app = d.app
                leadership = app.bot_data[SERVICES_KEY].leadership
                scheduler = scheduler_of(app)
                assert leadership is not None and scheduler is not None
                first_lease = leadership.lease
                assert first_lease is not None and first_lease.held
                worker_before = scheduler.dispatcher.worker_id
                pid = (await leadership._connection.execute(  # noqa: SLF001
                    text("SELECT pg_backend_pid()"))).scalar()
                async with db.session() as session:
                    await session.exec(text("SELECT pg_terminate_backend(:pid)").bindparams(
                        pid=pid))  # type: ignore[call-overload]

                # the watchdog notices (every 5 s): sending stops, the bot does not
                assert await wait_until(lambda: first_lease.lost.is_set(), timeout=10)
                assert app.running, "losing the leader connection stopped the application"
                assert (await d.text(LURAH, "/profil")).answered
                # the same process leads again, with a new lease and a fresh leader's recovery
                assert await wait_until(lambda: leadership.lease is not first_lease
                                        and leadership.lease.held, timeout=10)
                assert app.running and app.updater is not None and app.updater.running

                await plan_meeting_reminder(d, lurah, d.clock.now() + timedelta(seconds=2))
                reminder = await sim.wait_for_bot_message(LURAH, contains=TITLE, timeout=15)
                assert reminder is not None
                assert scheduler.dispatcher.worker_id != worker_before
                await asyncio.sleep(1.5)  # room for a duplicate to show
                assert sum(TITLE in (m.text or "") for m in sim.bot_messages(LURAH)) == 1
                async with db.session() as session:
                    statuses = (await session.exec(select(Reminder.status).where(
                        Reminder.kind == "meeting.hour_before"))).all()
                assert statuses == [ReminderStatus.SENT]
                assert (await d.text(LURAH, "/profil")).answered
                assert not capture.errors(), capture.text()
                assert "leadership regained" in capture.text()
        finally:
            await d.stop_bot()


@pytest.mark.backends("postgres")
async def test_a_former_leader_stands_by_while_another_instance_holds_the_lock(
        db: Database, database_url: str, tmp_path: Path) -> None:
    async with BotApiSimulator(token=TOKEN, flood=None) as sim:
        d = Driver(sim, db, ShiftableClock(), tmp_path / "data", **FAST_TICKS)
        await d.start_bot()
        other_db = Database(database_url)
        # another instance, waiting for the lock as a standby does
        other = Leadership(other_db, retry_seconds=0.05)
        try:
            lurah = await d.official(LURAH, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
            assert d.app is not None and d.app.updater is not None
            app, updater = d.app, d.app.updater
            leadership = app.bot_data[SERVICES_KEY].leadership
            first_lease = leadership.lease
            taking_over = asyncio.create_task(other.acquire())
            pid = (await leadership._connection.execute(  # noqa: SLF001
                text("SELECT pg_backend_pid()"))).scalar()
            async with other_db.engine.connect() as killer:
                await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await asyncio.wait_for(taking_over, timeout=10)

            # the former leader notices, finds the lock taken: a standby that does not poll
            assert await wait_until(lambda: first_lease.lost.is_set() and not updater.running,
                                    timeout=10)
            assert app.running
            await plan_meeting_reminder(d, lurah, d.clock.now())
            await asyncio.sleep(2)
            assert not any(TITLE in (m.text or "") for m in sim.bot_messages(LURAH)), \
                "a standby sent a reminder"

            await other.release()  # the other instance stops: this one leads and polls again
            assert await wait_until(lambda: leadership.lease is not first_lease
                                    and leadership.lease.held and updater.running, timeout=10)
            assert await sim.wait_for_bot_message(LURAH, contains=TITLE, timeout=10)
            assert (await d.text(LURAH, "/profil")).answered
            await asyncio.sleep(1.5)
            assert sum(TITLE in (m.text or "") for m in sim.bot_messages(LURAH)) == 1
        finally:
            await other.release()
            await d.stop_bot()
            await other_db.dispose()
