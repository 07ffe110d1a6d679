"""Reminder planning: local times per zone, quiet hours, edits and cancellations, /pengingat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import FrozenClock
from bot.db import Database
from bot.errors import Conflict, NotAllowed
from bot.i18n import Translator
from bot.services import reminders
from bot.services.reminders import PlannedReminder, at_local_time, quiet_release
from models.drives import Drive
from models.officials import Role
from models.reminders import Reminder, ReminderStatus
from scheduler.render import kind_label, render_reminder
from tests.unit.test_reminders_support import add_official

QUIET = {"quiet_start": "21:00", "quiet_end": "06:00"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_day_before_at_eight_is_local_to_each_zone() -> None:
    meeting = utc(2024, 11, 6, 2, 0)  # Wednesday 09:00 WIB / 10:00 WITA / 11:00 WIT
    wib = at_local_time(meeting, timezone="Asia/Jakarta", at="08:00", days_before=1)
    wita = at_local_time(meeting, timezone="Asia/Makassar", at="08:00", days_before=1)
    wit = at_local_time(meeting, timezone="Asia/Jayapura", at="08:00", days_before=1)
    assert wib == utc(2024, 11, 5, 1, 0)
    assert wita == utc(2024, 11, 5, 0, 0)
    assert wit == utc(2024, 11, 4, 23, 0)


def test_quiet_hours_hold_until_the_local_morning() -> None:
    # 22:30 WIB on Monday → 06:00 WIB Tuesday
    late = utc(2024, 11, 4, 15, 30)
    assert quiet_release(late, timezone="Asia/Jakarta", **QUIET) == utc(2024, 11, 4, 23, 0)
    # 03:00 WIB → 06:00 WIB the same day, never at 03:00
    night = utc(2024, 11, 4, 20, 0)
    assert quiet_release(night, timezone="Asia/Jakarta", **QUIET) == utc(2024, 11, 4, 23, 0)
    # the same instant is 23:00 WITA: quiet there too, released at 06:00 WITA
    assert quiet_release(utc(2024, 11, 4, 15, 0), timezone="Asia/Makassar",
                         **QUIET) == utc(2024, 11, 4, 22, 0)
    # 20:59 and 06:00 are outside the quiet hours
    for moment in (utc(2024, 11, 4, 13, 59), utc(2024, 11, 4, 23, 0)):
        assert quiet_release(moment, timezone="Asia/Jakarta", **QUIET) == moment


def test_quiet_hours_that_do_not_wrap_midnight_and_none_at_all() -> None:
    lunch = {"quiet_start": "12:00", "quiet_end": "13:00"}
    assert quiet_release(utc(2024, 11, 4, 5, 30), timezone="Asia/Jakarta",
                         **lunch) == utc(2024, 11, 4, 6, 0)
    moment = utc(2024, 11, 4, 20, 0)
    assert quiet_release(moment, timezone="Asia/Jakarta", quiet_start="00:00",
                         quiet_end="00:00") == moment


async def test_edits_replace_pending_reminders_and_keep_sent_ones(
        db: Database, clock: FrozenClock) -> None:
    lurah = await add_official(db, clock)
    first = utc(2024, 11, 5, 1, 0)
    async with db.session() as session:
        assert await reminders.replace_reminders(
            session, clock, target_type="meeting", target_id=1,
            planned=[PlannedReminder("meeting.day_before", lurah.id, first),
                     PlannedReminder("meeting.hour_before", lurah.id, first + timedelta(hours=23))],
        ) == (2, 0)
    async with db.session() as session:
        row = (await session.exec(select(Reminder).where(
            Reminder.kind == "meeting.hour_before"))).one()
        row.status = ReminderStatus.SENT
        session.add(row)
    moved = first + timedelta(days=1)
    async with db.session() as session:
        added, cancelled = await reminders.replace_reminders(
            session, clock, target_type="meeting", target_id=1,
            planned=[PlannedReminder("meeting.day_before", lurah.id, moved)])
    assert (added, cancelled) == (1, 1)
    async with db.session() as session:
        rows = (await session.exec(select(Reminder).order_by(Reminder.id))).all()
        assert [(r.kind, r.status) for r in rows] == [
            ("meeting.day_before", ReminderStatus.CANCELLED),
            ("meeting.hour_before", ReminderStatus.SENT),
            ("meeting.day_before", ReminderStatus.PENDING),
        ]
        assert await reminders.cancel_reminders(session, target_type="meeting",
                                                target_id=1) == 1


async def test_admins_list_and_cancel_reminders_only_in_their_area(
        db: Database, clock: FrozenClock) -> None:
    cimahi = await add_official(db, clock, region="32.77.03.1002", name="Lurah Cibabat")
    kupang = await add_official(db, clock, region="53.71.01.1001", name="Lurah Namosain")
    admin = await add_official(db, clock, role=Role.ADMIN, region="32.77", name="Admin Cimahi")
    due = clock.now() + timedelta(hours=3)
    async with db.session() as session:
        await reminders.replace_reminders(session, clock, target_type="meeting", target_id=9,
                                          planned=[PlannedReminder("meeting.day_before", o.id, due)
                                                   for o in (cimahi, kupang)])
    async with db.session() as session:
        listed = await reminders.upcoming_reminders(session, clock, scope="32.77")
        assert [u.recipient.full_name for u in listed] == ["Lurah Cibabat"]
        assert await reminders.count_upcoming_reminders(session, scope=None) == 2
        theirs = (await session.exec(select(Reminder).where(
            Reminder.recipient_id == kupang.id))).one()
        with pytest.raises(NotAllowed):
            await reminders.cancel_reminder(session, clock, reminder_id=theirs.id, actor=admin)
        cancelled = await reminders.cancel_reminder(session, clock,
                                                    reminder_id=listed[0].reminder.id, actor=admin)
        assert cancelled.status == ReminderStatus.CANCELLED
        with pytest.raises(Conflict):
            await reminders.cancel_reminder(session, clock, reminder_id=cancelled.id, actor=admin)


async def test_every_planned_kind_renders_readable_text_in_both_languages(
        db: Database, clock: FrozenClock) -> None:
    lurah = await add_official(db, clock, region="53.71.01.1001")  # WITA
    admin = await add_official(db, clock, role=Role.ADMIN, region="53.71")
    async with db.session() as session:
        drive = Drive(region_code="53.71", timezone="Asia/Makassar",
                      starts_at=utc(2024, 11, 7, 1, 0), ends_at=utc(2024, 11, 7, 8, 0),
                      place="Kantor Lurah Namosain", target_group="Pemilih pemula",
                      created_by_id=admin.id, created_at=clock.now(), updated_at=clock.now())
        session.add(drive)
        await session.flush()
        rows = {
            "drive.before": Reminder(kind="drive.before", target_type="drive",
                                     target_id=drive.id, recipient_id=lurah.id,
                                     due_at=clock.now(), created_at=clock.now()),
            "complaint.escalate_camat": Reminder(
                kind="complaint.escalate_camat", target_type="complaint", target_id=999,
                recipient_id=lurah.id, due_at=clock.now(), created_at=clock.now(),
                payload='{"ticket": "ADU-2024-0007", "due_at": "2024-11-08T00:00:00+00:00"}'),
            "unknown.kind": Reminder(kind="unknown.kind", target_type="nothing", target_id=1,
                                     recipient_id=lurah.id, due_at=clock.now(),
                                     created_at=clock.now(), payload='{"title": "Apel <pagi>"}'),
        }
        texts = {kind: (await render_reminder(session, row, Translator("id"), recipient=lurah))
                 for kind, row in rows.items()}
        english = await render_reminder(session, rows["drive.before"], Translator("en"),
                                        recipient=lurah)
    assert "Kamis, 7 November 2024 pukul 09.00 WITA" in texts["drive.before"][0]
    assert "Kantor Lurah Namosain" in texts["drive.before"][0]
    assert "ADU-2024-0007" in texts["complaint.escalate_camat"][0]
    assert "Jumat, 8 November 2024 pukul 08.00 WITA" in texts["complaint.escalate_camat"][0]
    assert "Apel &lt;pagi&gt;" in texts["unknown.kind"][0]
    assert english is not None and "Thursday, 7 November 2024" in english[0]
    assert kind_label("meeting.rsvp_due", Translator("id")) == "Konfirmasi kehadiran rakor"
