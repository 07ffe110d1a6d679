"""Reminder delivery: claiming, quiet hours, missed vs late, retries, concurrency, crashes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.clock import FrozenClock
from bot.db import Database
from bot.services.reminders import PlannedReminder, replace_reminders
from models.meetings import Meeting, MeetingStatus
from models.officials import Official, OfficialStatus, Role
from models.reminders import Reminder
from scheduler.dispatch import IN_FLIGHT, INTERRUPTED, ReminderDispatcher
from scheduler.dispatch_policy import DispatchPolicy
from scheduler.sending import (
    DeliveryUncertain,
    RecipientBlocked,
    RetryLater,
    TransientSendError,
)
from tests.unit.test_reminders_support import FakeTelegram, add_official


async def plan(db: Database, clock: FrozenClock, *reminders: PlannedReminder,
               target_type: str = "note", target_id: int = 1) -> None:
    async with db.session() as session:
        await replace_reminders(session, clock, target_type=target_type, target_id=target_id,
                                planned=list(reminders))


async def statuses(db: Database) -> list[tuple[str, str | None]]:
    async with db.session() as session:
        rows = (await session.exec(select(Reminder).order_by(Reminder.id))).all()
        return [(r.status.value if hasattr(r.status, "value") else r.status, r.last_error)
                for r in rows]


def dispatcher(db: Database, clock: FrozenClock, telegram: FakeTelegram,
               **policy: object) -> ReminderDispatcher:
    return ReminderDispatcher(db, clock, telegram.send_text, policy=DispatchPolicy(**policy),
                              sleep=clock_sleep(clock))


def clock_sleep(clock: FrozenClock, waited: list[float] | None = None
                ) -> Callable[[float], Awaitable[None]]:
    """Waiting out a 429 moves the frozen clock instead of the test's time."""
    async def sleep(seconds: float) -> None:
        if waited is not None:
            waited.append(seconds)
        clock.advance(seconds=seconds)
    return sleep


async def test_a_meeting_reminder_is_rendered_from_the_meeting_and_sent_once(
        db: Database, clock: FrozenClock) -> None:
    lurah = await add_official(db, clock)
    admin = await add_official(db, clock, role=Role.ADMIN, region="32.77")
    async with db.session() as session:
        meeting = Meeting(title="Rakor <Stunting>", region_code="32.77", timezone="Asia/Jakarta",
                          starts_at=clock.now() + timedelta(days=1),
                          ends_at=clock.now() + timedelta(days=1, hours=2),
                          venue="Aula Setda", rsvp_deadline=clock.now() + timedelta(hours=20),
                          created_by_id=admin.id, created_at=clock.now(),
                          updated_at=clock.now())
        session.add(meeting)
    await plan(db, clock, PlannedReminder("meeting.day_before", lurah.id, clock.now(),
                                          payload={"meeting_id": meeting.id}),
               target_type="meeting", target_id=meeting.id)
    telegram = FakeTelegram()
    first = await dispatcher(db, clock, telegram).run_once()
    second = await dispatcher(db, clock, telegram).run_once()
    assert (first.sent, second.sent) == (1, 0)
    [(chat, text)] = telegram.sent
    assert chat == lurah.telegram_id
    assert "Rakor &lt;Stunting&gt;" in text and "Aula Setda" in text
    assert "Selasa, 5 November 2024 pukul 09.00 WIB" in text
    assert await statuses(db) == [("sent", None)]


async def test_cancelled_targets_and_inactive_recipients_are_not_sent(
        db: Database, clock: FrozenClock) -> None:
    lurah = await add_official(db, clock)
    gone = await add_official(db, clock, status=OfficialStatus.DEACTIVATED)
    admin = await add_official(db, clock, role=Role.ADMIN, region="32.77")
    async with db.session() as session:
        meeting = Meeting(title="Batal", region_code="32.77", timezone="Asia/Jakarta",
                          starts_at=clock.now() + timedelta(days=1),
                          ends_at=clock.now() + timedelta(days=1, hours=1), venue="Aula",
                          rsvp_deadline=clock.now() + timedelta(hours=1),
                          status=MeetingStatus.CANCELLED, created_by_id=admin.id,
                          created_at=clock.now(), updated_at=clock.now())
        session.add(meeting)
    await plan(db, clock, PlannedReminder("meeting.hour_before", lurah.id, clock.now()),
               target_type="meeting", target_id=meeting.id)
    await plan(db, clock, PlannedReminder("drive.before", gone.id, clock.now()))
    telegram = FakeTelegram()
    report = await dispatcher(db, clock, telegram).run_once()
    assert report.cancelled == 2 and telegram.sent == []
    assert sorted(await statuses(db)) == [("cancelled", "recipient not active"),
                                          ("cancelled", "target closed")]


async def test_quiet_hours_hold_a_reminder_until_morning_in_the_recipients_zone(
        db: Database, clock: FrozenClock) -> None:
    kupang = await add_official(db, clock, region="53.71.01.1001")  # WITA
    urgent_one = await add_official(db, clock, region="53.71.01.1001")
    clock.set(datetime(2024, 11, 4, 15, 0, tzinfo=UTC))  # 23:00 WITA
    await plan(db, clock, PlannedReminder("drive.before", kupang.id, clock.now()),
               PlannedReminder("complaint.escalate_admin", urgent_one.id, clock.now(),
                               urgent=True))
    telegram = FakeTelegram()
    send = dispatcher(db, clock, telegram)
    report = await send.run_once()
    assert report.sent == 1 and telegram.chats() == [urgent_one.telegram_id]
    release = datetime(2024, 11, 4, 22, 0, tzinfo=UTC)  # 06:00 WITA
    assert report.next_wake == release
    clock.set(datetime(2024, 11, 4, 19, 0, tzinfo=UTC))  # 03:00 WITA: still held
    assert (await send.run_once()).sent == 0
    clock.set(release)
    assert (await send.run_once()).sent == 1
    assert telegram.chats() == [urgent_one.telegram_id, kupang.telegram_id]


async def test_after_downtime_stale_reminders_are_missed_recent_ones_still_sent(
        db: Database, clock: FrozenClock) -> None:
    lurah = await add_official(db, clock)
    start = clock.now()
    await plan(db, clock,
               PlannedReminder("drive.before", lurah.id, start),                  # 3 h late
               PlannedReminder("drive.realisasi", lurah.id, start + timedelta(hours=2, minutes=30)),
               PlannedReminder("meeting.hour_before", lurah.id, start + timedelta(hours=2),
                               expires_at=start + timedelta(hours=2, minutes=50)))  # expired
    clock.advance(hours=3)  # 12:00 WIB
    telegram = FakeTelegram()
    report = await dispatcher(db, clock, telegram, missed_after=timedelta(hours=2)).run_once()
    assert (report.missed, report.sent) == (2, 1)
    assert [status for status, _ in await statuses(db)] == ["missed", "sent", "missed"]


async def test_transient_errors_are_retried_with_backoff_then_given_up(
        db: Database, clock: FrozenClock) -> None:
    lurah = await add_official(db, clock)
    await plan(db, clock, PlannedReminder("drive.before", lurah.id, clock.now()))
    telegram = FakeTelegram(errors={lurah.telegram_id: [TransientSendError("down")] * 3})
    send = dispatcher(db, clock, telegram, max_attempts=3,
                      backoff=(timedelta(minutes=1), timedelta(minutes=5)))
    assert (await send.run_once()).retried == 1
    assert (await send.run_once()).claimed == 0  # waiting out the backoff
    clock.advance(minutes=1)
    assert (await send.run_once()).retried == 1
    clock.advance(minutes=5)
    assert (await send.run_once()).failed == 1
    assert await statuses(db) == [("failed", "down")]
    async with db.session() as session:
        assert (await session.exec(select(Reminder))).one().attempts == 3


async def test_blocked_uncertain_and_flood_control_outcomes(
        db: Database, clock: FrozenClock) -> None:
    blocked = await add_official(db, clock, name="Blokir")
    unsure = await add_official(db, clock, name="Ragu")
    flooded = await add_official(db, clock, name="Banjir")
    await plan(db, clock, *[PlannedReminder("drive.before", o.id, clock.now())
                            for o in (blocked, unsure, flooded)])
    telegram = FakeTelegram(errors={
        blocked.telegram_id: [RecipientBlocked("Forbidden: bot was blocked by the user")],
        unsure.telegram_id: [DeliveryUncertain("TimedOut")],
        flooded.telegram_id: [RetryLater("Flood", retry_after=7)],
    })
    waited: list[float] = []
    send = ReminderDispatcher(db, clock, telegram.send_text, sleep=clock_sleep(clock, waited))
    report = await send.run_once()
    # the 429 held back only the refused reminder, for retry_after, then it went out
    assert (report.failed, report.sent, report.retried) == (2, 1, 0)
    assert waited == [7] and send.paused_until is None
    assert await statuses(db) == [("failed", "Forbidden: bot was blocked by the user"),
                                  ("failed", "uncertain: TimedOut"), ("sent", None)]
    async with db.session() as session:
        assert (await session.get(Official, blocked.id)).reachable is False
        flooded_row = (await session.exec(select(Reminder).where(
            Reminder.recipient_id == flooded.id))).one()
        assert flooded_row.attempts == 1  # the refused try was not counted


async def test_a_delivered_reminder_marks_a_once_blocked_recipient_reachable(
        db: Database, clock: FrozenClock) -> None:
    back = await add_official(db, clock, name="Kembali", reachable=False)
    await plan(db, clock, PlannedReminder("drive.before", back.id, clock.now()))
    assert (await dispatcher(db, clock, FakeTelegram()).run_once()).sent == 1
    async with db.session() as session:
        assert (await session.get(Official, back.id)).reachable is True


async def test_repeated_429s_make_the_dispatcher_back_off_and_give_rows_back(
        db: Database, clock: FrozenClock) -> None:
    flooded = await add_official(db, clock, name="Banjir")
    others = [await add_official(db, clock, name=f"L{i}") for i in range(3)]
    await plan(db, clock, *[PlannedReminder("drive.before", o.id, clock.now())
                            for o in (flooded, *others)])
    telegram = FakeTelegram(errors={flooded.telegram_id: [RetryLater("Flood", 5)] * 3})
    send = dispatcher(db, clock, telegram, concurrency=1, max_refusals=2)
    report = await send.run_once()
    # refused three times: the row and the ones still waiting for a turn go back to pending
    assert report.retried == 1 and report.sent == 0 and telegram.sent == []
    assert set(report.outcomes.values()) == {"paused", "released"}
    assert report.next_wake == send.paused_until == clock.now() + timedelta(seconds=5)
    assert (await send.run_once()).claimed == 0  # backing off
    assert [status for status, _ in await statuses(db)] == ["pending"] * 4
    clock.advance(seconds=5)
    assert (await send.run_once()).sent == 4
    async with db.session() as session:
        assert [r.attempts for r in (await session.exec(select(Reminder))).all()] == [1] * 4


async def test_a_batch_goes_out_concurrently_each_row_in_flight_only_while_sent(
        db: Database, clock: FrozenClock) -> None:
    officials = [await add_official(db, clock, name=f"L{i}") for i in range(12)]
    await plan(db, clock, *[PlannedReminder("drive.before", o.id, clock.now())
                            for o in officials])
    telegram = FakeTelegram()
    sending_now: set[int] = set()
    most_at_once = 0
    in_flight_seen: list[int] = []
    four_at_once = asyncio.Event()
    official_of = {o.telegram_id: o.id for o in officials}

    async def send_text(chat_id: int, text: str, markup: object) -> int:
        nonlocal most_at_once
        sending_now.add(chat_id)
        most_at_once = max(most_at_once, len(sending_now))
        if len(sending_now) == 4:
            four_at_once.set()
        async with db.session() as session:  # what a crash at this moment would leave
            rows = (await session.exec(select(Reminder).where(
                Reminder.last_error == IN_FLIGHT))).all()
        in_flight_seen.append(len(rows))
        assert official_of[chat_id] in {row.recipient_id for row in rows}
        await asyncio.wait_for(four_at_once.wait(), 10)  # the first four wait for each other
        await asyncio.sleep(0)
        sending_now.discard(chat_id)
        return await telegram.send_text(chat_id, text)

    send = ReminderDispatcher(db, clock, send_text,
                              policy=DispatchPolicy(concurrency=4, batch_size=12))
    report = await send.run_once()
    assert report.sent == 12 and sorted(telegram.chats()) == sorted(
        o.telegram_id for o in officials)
    assert most_at_once == 4  # sent side by side, never more than the bound
    assert max(in_flight_seen) <= 4
    assert await statuses(db) == [("sent", None)] * 12


async def test_two_dispatchers_at_once_never_send_a_reminder_twice(
        db: Database, clock: FrozenClock, database_url: str) -> None:
    officials = [await add_official(db, clock, name=f"L{i}") for i in range(30)]
    await plan(db, clock, *[PlannedReminder("drive.before", o.id, clock.now())
                            for o in officials])
    telegram = FakeTelegram(delay=0.002)
    other = Database(database_url)  # a second engine, as a second process would have
    try:
        first = dispatcher(db, clock, telegram, batch_size=7)
        second = ReminderDispatcher(other, clock, telegram.send_text,
                                    policy=DispatchPolicy(batch_size=7))
        shares = [0, 0]
        for _ in range(10):
            reports = await asyncio.gather(first.run_once(), second.run_once())
            shares = [n + r.sent for n, r in zip(shares, reports, strict=True)]
    finally:
        await other.dispose()
    assert sum(shares) == 30  # which one sends what is up to the race; never both
    chats = telegram.chats()
    assert sorted(chats) == sorted(o.telegram_id for o in officials)
    assert len(set(chats)) == len(chats)


async def test_after_a_crash_mid_send_nothing_is_sent_twice(
        db: Database, clock: FrozenClock) -> None:
    officials = [await add_official(db, clock, name=f"L{i}") for i in range(5)]
    await plan(db, clock, *[PlannedReminder("drive.before", o.id, clock.now())
                            for o in officials])
    two_sending = asyncio.Event()
    hanging: list[int] = []

    async def hangs(chat_id: int, text: str, markup: object) -> int:
        hanging.append(chat_id)
        if len(hanging) == 2:
            two_sending.set()
        await asyncio.Event().wait()  # the process dies before Telegram answers
        raise AssertionError("unreachable")

    crashed = ReminderDispatcher(db, clock, hangs, policy=DispatchPolicy(concurrency=2))
    passing = asyncio.create_task(crashed.run_once())
    await asyncio.wait_for(two_sending.wait(), 10)
    passing.cancel()  # the kill: nothing after this point runs
    with contextlib.suppress(asyncio.CancelledError):
        await passing
    assert [s for s, _ in await statuses(db)] == ["sending"] * 5
    assert [e for _, e in await statuses(db)].count(IN_FLIGHT) == 2  # the bound: concurrency

    telegram = FakeTelegram()
    restarted = dispatcher(db, clock, telegram)
    assert await restarted.recover() == (3, 2)
    assert (await restarted.run_once()).sent == 3
    interrupted = [o.telegram_id for o, (status, error) in zip(officials, await statuses(db),
                                                                strict=True)
                   if (status, error) == ("failed", INTERRUPTED)]
    assert sorted(interrupted) == sorted(hanging)
    assert sorted(telegram.chats() + hanging) == sorted(o.telegram_id for o in officials)
