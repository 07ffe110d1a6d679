"""Broadcast delivery: claims never overlap, crashes never duplicate, limits are honoured."""

from __future__ import annotations

import asyncio
import contextlib
import time

from sqlmodel import select

from bot.clock import FrozenClock
from bot.db import Database
from bot.services import broadcasts as service
from bot.services.broadcasts import BroadcastDraft
from bot.services.broadcasts_audience import Audience, AudienceKind
from models.broadcasts import Broadcast, BroadcastContent, BroadcastDelivery, BroadcastStatus
from models.officials import Official, Role
from scheduler.broadcast_worker import BroadcastWorker, Pacer, WorkerOptions
from scheduler.sending import (
    DeliveryUncertain,
    PermanentSendError,
    RecipientBlocked,
    RetryLater,
    TransientSendError,
)
from tests.unit.test_reminders_support import FakeTelegram, add_official


async def setup(db: Database, clock: FrozenClock, count: int, *, ask_ack: bool = False,
                text: str = "<b>Apel</b> pagi") -> tuple[Official, list[Official], int]:
    admin = await add_official(db, clock, role=Role.ADMIN, region="32.77", name="Admin")
    lurahs = [await add_official(db, clock, name=f"Lurah {i:03d}") for i in range(count)]
    async with db.session() as session:
        broadcast = await service.create_broadcast(
            session, clock, sender=admin, draft=BroadcastDraft(
                BroadcastContent.TEXT, text, Audience(AudienceKind.ROLE, role=Role.LURAH),
                ask_ack=ask_ack))
    assert broadcast.id is not None
    return admin, lurahs, broadcast.id


def worker(db: Database, clock: FrozenClock, telegram: FakeTelegram,
           **options: object) -> BroadcastWorker:
    return BroadcastWorker(db, clock, telegram, options=WorkerOptions(
        **{"rate": 1000.0, "progress_every": 0.0, **options}))


async def drain(*workers: BroadcastWorker, rounds: int = 50) -> None:
    for _ in range(rounds):
        worked = await asyncio.gather(*(w.run_once() for w in workers))
        if not any(worked):
            return


async def deliveries(db: Database) -> dict[str, int]:
    async with db.session() as session:
        rows = (await session.exec(select(BroadcastDelivery))).all()
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row.status)] = counts.get(str(row.status), 0) + 1
    return counts


async def test_everyone_gets_it_once_with_progress_and_a_final_report(
        db: Database, clock: FrozenClock) -> None:
    admin, lurahs, broadcast_id = await setup(db, clock, 25, ask_ack=True)
    telegram = FakeTelegram()
    await drain(worker(db, clock, telegram))
    to_lurahs = [chat for chat in telegram.chats() if chat != admin.telegram_id]
    assert sorted(to_lurahs) == sorted(o.telegram_id for o in lurahs)
    ack_buttons = [m for m in telegram.markups if m and str(
        m.inline_keyboard[0][0].callback_data).startswith("w1:bc.ack:")]
    assert len(ack_buttons) == 25
    progress_message, *_, report = [t for c, t in telegram.sent if c == admin.telegram_id]
    assert "sedang dikirim" in progress_message
    assert "Terkirim 25 dari 25" in report
    assert "Terkirim 25 / 25 · gagal 0" in telegram.edits[-1][2]
    async with db.session() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert (broadcast.status, broadcast.sent_count) == (BroadcastStatus.DONE, 25)


async def test_two_workers_at_once_never_send_twice(
        db: Database, clock: FrozenClock, database_url: str) -> None:
    admin, lurahs, _ = await setup(db, clock, 60)
    telegram = FakeTelegram(delay=0.001)
    other = Database(database_url)
    try:
        await drain(worker(db, clock, telegram, rate=40.0),
                    worker(other, clock, telegram, rate=40.0))
    finally:
        await other.dispose()
    to_lurahs = [chat for chat in telegram.chats() if chat != admin.telegram_id]
    assert sorted(to_lurahs) == sorted(o.telegram_id for o in lurahs)
    assert await deliveries(db) == {"sent": 60}


class Crash(BaseException):
    """The process dies while a send is under way."""


async def test_a_restart_resumes_where_it_stopped_and_never_resends(
        db: Database, clock: FrozenClock) -> None:
    admin, lurahs, broadcast_id = await setup(db, clock, 30)
    telegram = FakeTelegram()
    sent_before_crash = 0

    class Dying(FakeTelegram):
        async def send_content(self, chat_id: int, **kwargs: object) -> int:
            nonlocal sent_before_crash
            if sent_before_crash == 12:
                raise Crash()
            sent_before_crash += 1
            return await telegram.send_text(chat_id, "")

    first = worker(db, clock, Dying(), rate=10.0)
    with contextlib.suppress(Crash):
        await drain(first)
    second = worker(db, clock, telegram)
    await second.recover()
    await drain(second)
    chats = [c for c in telegram.chats() if c != admin.telegram_id]
    assert len(chats) == len(set(chats))  # nobody twice
    counts = await deliveries(db)
    assert counts["sent"] == len(chats) and counts["sent"] + counts["unknown"] == 30
    assert counts["sent"] >= 12
    report = [t for c, t in telegram.sent if c == admin.telegram_id][-1]
    assert "tidak pasti" in report


async def test_blocked_failed_uncertain_retried_and_flood_limited_recipients(
        db: Database, clock: FrozenClock) -> None:
    admin, lurahs, broadcast_id = await setup(db, clock, 5)
    blocked, broken, unsure, flaky, flooded = lurahs
    telegram = FakeTelegram(errors={
        blocked.telegram_id: [RecipientBlocked("Forbidden: bot was blocked by the user")],
        broken.telegram_id: [PermanentSendError("BadRequest: chat not found")],
        unsure.telegram_id: [DeliveryUncertain("TimedOut")],
        flaky.telegram_id: [TransientSendError("Bad Gateway")],
        flooded.telegram_id: [RetryLater("Flood control exceeded", retry_after=0)],
    })
    work = worker(db, clock, telegram, backoff=(0.0,))
    await drain(work)
    assert await deliveries(db) == {"blocked": 1, "failed": 1, "unknown": 1, "sent": 2}
    async with db.session() as session:
        assert (await session.get(Official, blocked.id)).reachable is False
        rows = {r.official_id: r for r in (await session.exec(select(BroadcastDelivery))).all()}
    assert rows[flaky.id].attempts == 2 and rows[flooded.id].attempts == 1
    report = [t for c, t in telegram.sent if c == admin.telegram_id][-1]
    assert "memblokir bot" in report and "chat not found" in report


async def test_cancel_midway_sends_no_more_and_reports(db: Database, clock: FrozenClock) -> None:
    admin, lurahs, broadcast_id = await setup(db, clock, 20)
    telegram = FakeTelegram()
    work = worker(db, clock, telegram, rate=5.0)
    await work.run_once()
    async with db.session() as session:
        await service.cancel_broadcast(session, clock, broadcast_id=broadcast_id, actor=admin)
    await drain(work)
    counts = await deliveries(db)
    assert counts == {"sent": 5, "cancelled": 15}
    report = [t for c, t in telegram.sent if c == admin.telegram_id][-1]
    assert "dihentikan" in report


async def test_broadcasts_share_each_round_fairly(db: Database, clock: FrozenClock) -> None:
    admin, lurahs, big = await setup(db, clock, 30)
    async with db.session() as session:
        small = await service.create_broadcast(
            session, clock, sender=admin, draft=BroadcastDraft(
                BroadcastContent.TEXT, "Kecil", Audience(AudienceKind.OFFICIALS,
                                                        official_ids=(lurahs[0].id,))))
    telegram = FakeTelegram()
    await worker(db, clock, telegram, rate=10.0).run_once()
    texts = [t for c, t in telegram.sent if c != admin.telegram_id]
    assert "Kecil" in texts and len(texts) == 10
    assert small.id != big


async def test_the_pacer_keeps_to_its_rate() -> None:
    pacer = Pacer(rate=50.0)
    started = time.monotonic()
    for _ in range(26):
        await pacer.wait()
    assert time.monotonic() - started >= 0.49
