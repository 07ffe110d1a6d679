"""PostgreSQL restarts under the running bot (a private cluster, never the shared server).

`wilayah-bot run` works against a throw-away cluster; the cluster is restarted (every
connection cut) while an official is in the middle of a form and a reminder is planned.
Afterwards the form goes on from the stored step, the complaint is stored once, the reminder
arrives once, and nothing was lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import ShiftableClock
from bot.db import Database
from bot.services.reminders import PlannedReminder, replace_reminders
from bot.settings import async_database_url
from models.complaints import Complaint
from models.meetings import Meeting
from models.officials import Official, Role
from models.reminders import Reminder, ReminderStatus
from simulator import BotApiSimulator
from tests.e2e.conftest import CONVERSATION_FLOOD
from tests.e2e.harness import TOKEN, Harness
from tests.reliability.pgcluster import PrivateCluster, unavailable_reason
from tests.reliability.process import BotProcess

pytestmark = pytest.mark.skipif(unavailable_reason() is not None,
                                reason=f"no private PostgreSQL cluster: {unavailable_reason()}")
ADMIN, RECORDER = 8101, 8102


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    made = PrivateCluster()
    try:
        made.init()
        made.start()
        made.create_database("wilayah")
        yield made
    finally:
        made.remove()


async def reach_description(h: Harness) -> None:
    await h.say(RECORDER, "/aduan", expect="Pengaduan Masyarakat")
    await h.press(RECORDER, "Catat pengaduan baru", expect="nama warga")
    await h.say(RECORDER, "Budi Santoso", expect="Nomor telepon")
    await h.press(RECORDER, "Lewati", expect="NIK")
    await h.press(RECORDER, "Lewati", expect="lewat mana")
    await h.press(RECORDER, "Datang langsung", expect="Pilih kategori")
    await h.press(RECORDER, "Infrastruktur", expect="Uraikan")


async def plan_reminder(h: Harness, admin: Official, recorder: Official,
                        due_in: timedelta) -> None:
    now = h.clock.now()
    async with h.db.session() as session:
        meeting = Meeting(title="Rakor Setelah Pemadaman", region_code="32.77",
                          timezone="Asia/Jakarta", starts_at=now + timedelta(hours=2),
                          ends_at=now + timedelta(hours=3), venue="Aula",
                          rsvp_deadline=now + timedelta(hours=1), created_by_id=admin.id,
                          created_at=now, updated_at=now)
        session.add(meeting)
        await session.flush()
        await replace_reminders(session, h.clock, target_type="meeting", target_id=meeting.id,
                                planned=[PlannedReminder("meeting.hour_before", recorder.id,
                                                         now + due_in,
                                                         expires_at=meeting.starts_at,
                                                         payload={"meeting_id": meeting.id})])


async def test_the_bot_carries_on_when_postgres_restarts(cluster: PrivateCluster,
                                                        tmp_path: Path) -> None:
    async with BotApiSimulator(token=TOKEN, flood=CONVERSATION_FLOOD) as sim:
        bot = BotProcess(sim, cluster.url("wilayah"), tmp_path)
        db = Database(async_database_url(cluster.url("wilayah")))
        try:
            await bot.start()  # migrates the empty database and loads the regions
            h = Harness(sim, db, ShiftableClock(), tmp_path / "data")
            admin = await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
            recorder = await h.official(RECORDER, Role.LURAH, "32.77.03.1001",
                                        name="Lurah Pasirkaliki")
            await reach_description(h)
            await plan_reminder(h, admin, recorder, timedelta(seconds=10))

            await asyncio.to_thread(cluster.restart)  # every connection is cut
            # the handlers reconnect (pool_pre_ping): the form goes on from the stored step
            await h.say(RECORDER, "Jalan berlubang di RT 03", expect="lokasinya", timeout=15)
            await h.press(RECORDER, "Lewati", expect="foto pendukung")
            await h.press(RECORDER, "Lewati", expect="Periksa pengaduan")
            await h.press(RECORDER, "Kirim", expect="tercatat")
            # the scheduler's leader connection broke too: the process keeps running, takes
            # the lease again and sends the reminder itself
            reminder = await sim.wait_for_bot_message(RECORDER, contains="Setelah Pemadaman",
                                                      timeout=25)
            assert reminder is not None
            await asyncio.sleep(1.5)
            async with db.session() as session:
                complaints = (await session.exec(select(Complaint))).all()
                reminders = (await session.exec(select(Reminder).where(
                    Reminder.kind == "meeting.hour_before"))).all()
            assert [c.description for c in complaints] == ["Jalan berlubang di RT 03"]
            assert [r.status for r in reminders] == [ReminderStatus.SENT]
            assert sum("Setelah Pemadaman" in (m.text or "")
                       for m in sim.bot_messages(RECORDER)) == 1
            assert bot.running, "the process exited after the restart"
            assert await bot.stop() == 0
        finally:
            if bot.running:
                bot.kill()
            await db.dispose()
        assert "error while handling an update" not in bot.log_text()
        assert "leadership regained" in bot.log_text()
        print("postgres restart: form continued, reminder sent once; the process kept running")
