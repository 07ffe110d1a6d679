"""SIGKILL the real bot process mid-conversation, mid-broadcast and mid-reminders.

`python -m bot.cli run` runs as a separate process against a simulator in this process, on a
temporary SQLite file and on PostgreSQL. After each kill it is started again, and then:
  * drafts continue where the database says they were; an update that was being handled at
    the kill is either done or lost whole (the user sends it again), never half-done;
  * every report, complaint, RSVP, registration, reminder and delivery is stored completely;
  * nothing was sent twice: broadcasts and reminders are at-most-once, and the recipients a
    crash leaves without a copy are exactly the rows marked "unknown" (broadcast) or
    "interrupted" (reminder) — at most the sends in flight at the moment of the kill;
    broadcast deliveries claimed but not yet started at the kill are sent after the restart.
Sizes: WILAYAH_CRASH_RECIPIENTS (default 120) officials receive the broadcast and reminders.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from bot.clock import ShiftableClock
from bot.db import Database
from bot.services import broadcasts as broadcast_service
from bot.services import meetings as meeting_service
from bot.services.broadcasts_audience import Audience, AudienceKind
from bot.services.reminders import PlannedReminder, replace_reminders
from bot.settings import ReminderSettings
from models.broadcasts import BroadcastContent, BroadcastDelivery, DeliveryStatus
from models.complaints import Complaint, ComplaintStatusChange
from models.incidents import Incident, IncidentStatusChange
from models.meetings import MeetingInvite, RsvpStatus
from models.officials import Official, OfficialStatus, Role
from models.reminders import Reminder, ReminderStatus
from scheduler.broadcast_worker import WorkerOptions
from simulator import BotApiSimulator
from tests.e2e.conftest import CONVERSATION_FLOOD
from tests.e2e.harness import TOKEN, Harness
from tests.reliability.process import BotProcess

RECIPIENTS = int(os.environ.get("WILAYAH_CRASH_RECIPIENTS", "120"))
ADMIN, CAMAT, REPORTER, RECORDER, NEWCOMER = 8001, 8002, 8003, 8004, 8005
FIRST_RECIPIENT = 810_001
BROADCAST_TEXT = "Apel siaga bencana hari Senin pukul 07.00"
MEETING_TITLE = "Rakor Uji Pemadaman"
FIGURES: dict[str, object] = {}


async def until(condition: Callable[[], object], timeout: float, what: str,
                bot: BotProcess | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = bot.log_text()[-3000:] if bot else ""
            raise AssertionError(f"timed out waiting for {what}\n{log}")
        await asyncio.sleep(0.02)


def copies(sim: BotApiSimulator, telegram_id: int, marker: str) -> int:
    return sum(1 for m in sim.bot_messages(telegram_id) if marker in (m.text or ""))


async def people(h: Harness) -> dict[int, Official]:
    cast = {
        ADMIN: await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem"),
        CAMAT: await h.official(CAMAT, Role.CAMAT, "32.77.03", name="Camat Cimahi Utara"),
        REPORTER: await h.official(REPORTER, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat"),
        RECORDER: await h.official(RECORDER, Role.LURAH, "32.77.03.1001",
                                   name="Lurah Pasirkaliki"),
    }
    async with h.db.session() as session:
        for telegram_id in range(FIRST_RECIPIENT, FIRST_RECIPIENT + RECIPIENTS):
            await h.sim.add_user(telegram_id, "Lurah", started=True)
            session.add(Official(telegram_id=telegram_id, full_name=f"Lurah {telegram_id}",
                                 role=Role.LURAH, region_code="32.77.01.1001",
                                 status=OfficialStatus.ACTIVE, language="id",
                                 created_at=h.clock.now()))
    return cast


async def stored_draft(db: Database, user_id: int) -> dict[str, object]:
    async with db.session() as session:
        row = (await session.exec(text(  # type: ignore[call-overload]
            "SELECT data FROM bot_state WHERE namespace = 'user_data' AND key = :key"
        ).bindparams(key=str(user_id)))).first()
    return json.loads(row[0]) if row else {}


async def conversation_state(db: Database, name: str, user_id: int) -> object:
    async with db.session() as session:
        row = (await session.exec(text(  # type: ignore[call-overload]
            "SELECT data FROM bot_state WHERE namespace = :ns AND key = :key"
        ).bindparams(ns=f"conversation:{name}", key=json.dumps([user_id, user_id])))).first()
    return json.loads(row[0]) if row else None


# --- the three kills ----------------------------------------------------------------------

async def kill_during_conversations(h: Harness, bot: BotProcess, meeting_id: int) -> None:
    """Three officials in the middle of forms; the bot dies while one answer is in flight."""
    await h.sim.add_user(NEWCOMER, "Siti")
    await h.say(NEWCOMER, "/start", expect="Apa jabatan")
    await h.press(NEWCOMER, "Lurah", expect="kabupaten/kota")
    await h.press(NEWCOMER, "Kota Cimahi", expect="Kota Cimahi")
    await h.press(NEWCOMER, "Cimahi Utara", expect="Cimahi Utara")
    await h.press(NEWCOMER, "Cipageran", expect="nama lengkap")
    await h.say(NEWCOMER, "Siti Rahayu", expect="NIP")
    await h.press(NEWCOMER, "Lewati", expect="bagikan nomor")
    await h.say(REPORTER, "/lapor", expect="jenis kejadian")
    await h.press(REPORTER, "Bencana alam", expect="mendesak")
    await h.press(REPORTER, "Darurat", expect="Ceritakan")
    await h.say(REPORTER, "Banjir setinggi 1 meter di RW 05", expect="Kapan")
    await h.say(RECORDER, "/aduan", expect="Pengaduan Masyarakat")
    await h.press(RECORDER, "Catat pengaduan baru", expect="nama warga")
    await h.say(RECORDER, "Budi Santoso", expect="Nomor telepon")
    await h.press(RECORDER, "Lewati", expect="NIK")
    await h.press(RECORDER, "Lewati", expect="lewat mana")
    await h.press(RECORDER, "Datang langsung", expect="Pilih kategori")
    await h.press(RECORDER, "Infrastruktur", expect="Uraikan")
    await h.say(CAMAT, "/bantuan", expect="Menu")
    assert "Hadir" in await h.forge(CAMAT, f"w1:mtg.r:{meeting_id}:h")
    await h.settle(0.3)
    await h.sim.send_text(RECORDER, "Jalan berlubang di RT 03")  # in flight at the kill
    await asyncio.sleep(0.05)
    bot.kill()


async def finish_conversations(h: Harness, bot: BotProcess) -> dict[str, str]:
    """After the restart: each form goes on from the stored step and is sent once."""
    deadline = time.monotonic() + 10  # a redelivered update is handled right after the start
    while copies(h.sim, RECORDER, "lokasinya") == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # a busy machine may still be writing that update's state
    answered = copies(h.sim, RECORDER, "lokasinya") == 1
    state = await conversation_state(h.db, "complaints", RECORDER)
    draft = (await stored_draft(h.db, RECORDER)).get("draft_complaint", {})
    # the step and the draft are stored together: they always agree
    assert (state, draft.get("step")) in ((5, "description"), (6, "location")), (state, draft)
    assert (state == 6) == ("description" in draft), draft
    # the answer in flight was stored (state 6, then it was answered too), or it is lost as a
    # whole: never handled, or answered in the last milliseconds before its write
    assert answered or state == 5
    outcome = "stored" if state == 6 else "answered, not stored" if answered else "not handled"
    if state == 5:
        await h.say(RECORDER, "Jalan berlubang di RT 03", expect="lokasinya")
    await h.press(RECORDER, "Lewati", expect="foto pendukung")
    await h.press(RECORDER, "Lewati", expect="Periksa pengaduan")
    await h.press(RECORDER, "Kirim", expect="tercatat")
    await h.sim.send_contact(NEWCOMER, "+6281234567890")
    summary = await h.sim.wait_for_bot_message(NEWCOMER, contains="Periksa data")
    assert "Siti Rahayu" in (summary.text or "") and "Cipageran" in (summary.text or "")
    await h.press(NEWCOMER, "Kirim", expect="menunggu persetujuan")
    await h.press(REPORTER, "Baru saja", expect="Di mana")
    await h.sim.send_location(REPORTER, -6.8725, 107.542)
    await h.sim.wait_for_bot_message(REPORTER, contains="Kirim foto")
    await h.press(REPORTER, "Selesai", expect="Periksa laporan")
    await h.press(REPORTER, "Kirim", expect="Laporan terkirim")
    return {"answer in flight at the kill": outcome}


async def kill_during_broadcast(h: Harness, bot: BotProcess, admin: Official) -> int:
    async with h.db.session() as session:
        broadcast = await broadcast_service.create_broadcast(
            session, h.clock, sender=admin, draft=broadcast_service.BroadcastDraft(
                content_type=BroadcastContent.TEXT, text=BROADCAST_TEXT,
                audience=Audience(kind=AudienceKind.ROLE, role=Role.LURAH)))
    assert broadcast.id is not None
    third = RECIPIENTS // 3

    def delivered() -> int:
        return sum(copies(h.sim, t, BROADCAST_TEXT) for t in recipients())

    await until(lambda: delivered() >= third, 60, "a third of the broadcast", bot)
    bot.kill()
    return broadcast.id


async def kill_during_reminders(h: Harness, bot: BotProcess, admin: Official) -> None:
    now = h.clock.now()
    async with h.db.session() as session:
        meeting, _ = await meeting_service.create_meeting(
            session, h.clock, actor=admin, draft=meeting_service.MeetingDraft(
                title=MEETING_TITLE, starts_at=now + timedelta(hours=2),
                ends_at=now + timedelta(hours=3), venue="Aula Setda",
                rsvp_deadline=now + timedelta(hours=1)),
            selection=meeting_service.InviteeSelection(all_camat=True),
            rules=ReminderSettings())
        ids = (await session.exec(select(Official.id).where(
            col(Official.telegram_id) >= FIRST_RECIPIENT))).all()
        await replace_reminders(session, h.clock, target_type="meeting", target_id=meeting.id,
                                planned=[PlannedReminder("meeting.hour_before", official_id,
                                                         now, expires_at=meeting.starts_at,
                                                         payload={"meeting_id": meeting.id})
                                         for official_id in ids],
                                kinds=["meeting.hour_before"])
    third = RECIPIENTS // 3
    await until(lambda: sum(copies(h.sim, t, MEETING_TITLE) for t in recipients()) >= third,
                60, "a third of the reminders", bot)
    bot.kill()


def recipients() -> range:
    return range(FIRST_RECIPIENT, FIRST_RECIPIENT + RECIPIENTS)


# --- what must hold afterwards ------------------------------------------------------------

async def claims_at_kill(h: Harness, broadcast_id: int) -> tuple[set[int], set[int]]:
    """Officials whose delivery the dead process left "sending": (in flight, only claimed)."""
    async with h.db.session() as session:
        rows = (await session.exec(select(BroadcastDelivery).where(
            BroadcastDelivery.broadcast_id == broadcast_id,
            BroadcastDelivery.status == DeliveryStatus.SENDING))).all()
    return ({r.official_id for r in rows if r.send_started_at is not None},
            {r.official_id for r in rows if r.send_started_at is None})


async def check_broadcast(h: Harness, bot: BotProcess, broadcast_id: int,
                          at_kill: tuple[set[int], set[int]]) -> dict[str, int]:
    async def settled() -> bool:
        async with h.db.session() as session:
            open_rows = (await session.exec(select(BroadcastDelivery.id).where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                col(BroadcastDelivery.status).in_([DeliveryStatus.PENDING,
                                                   DeliveryStatus.SENDING])))).all()
        return not open_rows

    deadline = time.monotonic() + 60
    while not await settled():
        assert time.monotonic() < deadline, bot.log_text()[-3000:]
        await asyncio.sleep(0.2)
    async with h.db.session() as session:
        rows = (await session.exec(select(BroadcastDelivery, Official).join(
            Official, col(Official.id) == col(BroadcastDelivery.official_id)).where(
            BroadcastDelivery.broadcast_id == broadcast_id))).all()
    in_flight, only_claimed = at_kill
    assert only_claimed, "the next deliveries are claimed ahead of their sends"
    by_status: dict[str, int] = {}
    for delivery, official in rows:
        by_status[delivery.status] = by_status.get(delivery.status, 0) + 1
        got = copies(h.sim, official.telegram_id, BROADCAST_TEXT)
        assert got <= 1, f"{official.telegram_id} received the broadcast {got} times"
        if delivery.status == DeliveryStatus.SENT:
            assert got == 1, f"{official.telegram_id}: marked sent but nothing arrived"
            assert official.id not in in_flight, f"{official.telegram_id}: in flight, resent"
        elif delivery.status == DeliveryStatus.UNKNOWN:
            # in flight at the kill: delivered or not, never resent
            assert official.id in in_flight, f"{official.telegram_id}: unknown, never started"
            by_status["unknown, arrived" if got else "unknown, never sent"] = \
                by_status.get("unknown, arrived" if got else "unknown, never sent", 0) + 1
        else:
            raise AssertionError(f"{official.telegram_id}: {delivery.status}")
        if official.id in only_claimed:  # claimed, not started: sent after the restart
            assert delivery.status == DeliveryStatus.SENT and got == 1, official.telegram_id
    assert len(rows) == RECIPIENTS + 2  # the recipients and the two lurah of the forms
    unknown = by_status.get(DeliveryStatus.UNKNOWN, 0)
    assert unknown == len(in_flight) <= WorkerOptions().max_in_flight
    return {"broadcast deliveries": len(rows), "broadcast unknown after kill": unknown,
            "of which never sent": by_status.get("unknown, never sent", 0),
            "claimed, unstarted at the kill, sent after": len(only_claimed)}


async def check_reminders(h: Harness, bot: BotProcess) -> dict[str, int]:
    async def rows() -> list[tuple[Reminder, Official]]:
        async with h.db.session() as session:
            return list((await session.exec(select(Reminder, Official).join(
                Official, col(Official.id) == col(Reminder.recipient_id)).where(
                Reminder.kind == "meeting.hour_before",
                col(Official.telegram_id) >= FIRST_RECIPIENT))).all())

    deadline = time.monotonic() + 60
    while any(r.status in (ReminderStatus.PENDING, ReminderStatus.SENDING)
              for r, _ in await rows()):
        assert time.monotonic() < deadline, bot.log_text()[-3000:]
        await asyncio.sleep(0.2)
    interrupted = 0
    for reminder, official in await rows():
        got = copies(h.sim, official.telegram_id, MEETING_TITLE)
        assert got <= 1, f"{official.telegram_id} got the reminder {got} times"
        if reminder.status == ReminderStatus.SENT:
            assert got == 1 and reminder.attempts == 1
        else:
            assert (reminder.status, reminder.last_error) == (ReminderStatus.FAILED,
                                                             "interrupted"), reminder
            interrupted += 1
    assert interrupted <= 30, "only the reminders being sent at the kill may be uncertain"
    return {"reminders": len(await rows()), "reminders interrupted by the kill": interrupted}


async def check_records(h: Harness, meeting_id: int) -> dict[str, int]:
    async with h.db.session() as session:
        complaints = (await session.exec(select(Complaint))).all()
        incidents = (await session.exec(select(Incident))).all()
        complaint_history = (await session.exec(select(ComplaintStatusChange))).all()
        incident_history = (await session.exec(select(IncidentStatusChange))).all()
        invites = (await session.exec(select(MeetingInvite).where(
            MeetingInvite.meeting_id == meeting_id))).all()
        newcomer = (await session.exec(select(Official).where(
            Official.telegram_id == NEWCOMER))).one()
    assert len(complaints) == 1 and complaints[0].citizen_name == "Budi Santoso"
    assert complaints[0].description == "Jalan berlubang di RT 03"
    assert len(incidents) == 1 and incidents[0].description.startswith("Banjir setinggi")
    assert {c.complaint_id for c in complaint_history} == {complaints[0].id}
    assert {c.incident_id for c in incident_history} == {incidents[0].id}
    assert complaints[0].ticket in "".join(m.text or "" for m in h.sim.bot_messages(RECORDER))
    assert incidents[0].ticket in "".join(m.text or "" for m in h.sim.bot_messages(REPORTER))
    rsvp = [i.rsvp for i in invites]
    assert rsvp == [RsvpStatus.HADIR], rsvp
    assert newcomer.status == OfficialStatus.PENDING and newcomer.full_name == "Siti Rahayu"
    if not h.db.is_postgres:
        async with h.db.session() as session:
            check = await session.exec(text("PRAGMA integrity_check"))  # type: ignore
            assert check.one()[0] == "ok"
    return {"records checked": len(complaints) + len(incidents) + len(invites) + 1}


async def test_sigkill_midway_loses_nothing_and_sends_nothing_twice(
        db: Database, database_url: str, db_backend: str, tmp_path: Path) -> None:
    async with BotApiSimulator(token=TOKEN, flood=CONVERSATION_FLOOD) as sim:
        h = Harness(sim, db, ShiftableClock(), tmp_path / "data")
        cast = await people(h)
        now = h.clock.now()
        async with db.session() as session:
            meeting, _ = await meeting_service.create_meeting(
                session, h.clock, actor=cast[ADMIN], draft=meeting_service.MeetingDraft(
                    title="Rakor Kesiapsiagaan", starts_at=now + timedelta(days=2),
                    ends_at=now + timedelta(days=2, hours=2), venue="Aula",
                    rsvp_deadline=now + timedelta(days=1)),
                selection=meeting_service.InviteeSelection(all_camat=True),
                rules=ReminderSettings())
        assert meeting.id is not None
        bot = BotProcess(sim, database_url, tmp_path)
        figures: dict[str, object] = {}
        try:
            await bot.start()
            await kill_during_conversations(h, bot, meeting.id)
            await bot.start()
            figures.update(await finish_conversations(h, bot))
            broadcast_id = await kill_during_broadcast(h, bot, cast[ADMIN])
            at_kill = await claims_at_kill(h, broadcast_id)
            await bot.start()
            figures.update(await check_broadcast(h, bot, broadcast_id, at_kill))
            await kill_during_reminders(h, bot, cast[ADMIN])
            await bot.start()
            figures.update(await check_reminders(h, bot))
            figures.update(await check_records(h, meeting.id))
            assert await bot.stop() == 0
        finally:
            if bot.running:
                bot.kill()
        log = bot.log_text()
        assert "error while handling an update" not in log, log[-3000:]
        assert "Traceback" not in log, log[-3000:]
        assert not [c for c in sim.rejected_calls if c.status != 499]
        FIGURES[db_backend] = {"kills": 3, **figures}
        print(f"crash recovery on {db_backend}: {FIGURES[db_backend]}")
