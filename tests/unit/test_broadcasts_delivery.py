"""Broadcast delivery: claims never overlap, crashes never duplicate, limits are honoured,
and recipients see who the broadcast is from."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from sqlmodel import select

from bot.clock import FrozenClock
from bot.db import Database
from bot.errors import InvalidInput
from bot.services import broadcasts as service
from bot.services import broadcasts_delivery as delivery_service
from bot.services.broadcasts import BroadcastDraft
from bot.services.broadcasts_audience import Audience, AudienceKind
from models.broadcasts import (
    Broadcast,
    BroadcastContent,
    BroadcastDelivery,
    BroadcastStatus,
    DeliveryStatus,
)
from models.officials import Official, Role
from scheduler.broadcast_worker import BroadcastWorker, WorkerOptions
from scheduler.pacing import Pacer
from scheduler.sending import (
    DeliveryUncertain,
    PermanentSendError,
    RecipientBlocked,
    RetryLater,
    TransientSendError,
)
from tests.unit.test_reminders_support import FakeTelegram, add_official

HEADER_ID = "📢 <b>Siaran dari Admin, Staf Admin Kota Cimahi</b>\n\n"
HEADER_EN = "📢 <b>Announcement from Admin, Admin staff, Kota Cimahi</b>\n\n"


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


class Dying(FakeTelegram):
    """Telegram as seen by a process that is killed after `survive` answers: sends under way
    then never return, and the worker starts no new one (its pacer never wakes again)."""

    def __init__(self, survive: int) -> None:
        super().__init__()
        self.survive = survive
        self.worker: BroadcastWorker | None = None
        self.hung: list[int] = []
        self.answered = 0
        self.dead = asyncio.Event()

    async def send_content(self, chat_id: int, **kwargs: object) -> int:
        await asyncio.sleep(0.02)  # several sends are under way at once
        if self.answered >= self.survive:
            assert self.worker is not None
            self.worker.pacer.pause(3600)
            self.hung.append(chat_id)
            self.dead.set()
            await asyncio.Event().wait()  # Telegram's answer is never recorded
        self.answered += 1
        return await self.send_text(chat_id, "")


async def kill(task: asyncio.Task[None]) -> None:
    """Stop a worker loop at once, as SIGKILL would (repeated: its shutdown waits too)."""
    while not task.done():
        task.cancel()
        await asyncio.sleep(0.01)
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def claimed_rows(db: Database) -> tuple[set[int], set[int]]:
    """Chats of the deliveries left "sending": (in flight, only claimed)."""
    async with db.session() as session:
        rows = (await session.exec(select(BroadcastDelivery).where(
            BroadcastDelivery.status == "sending"))).all()
    return ({r.chat_id for r in rows if r.send_started_at is not None},
            {r.chat_id for r in rows if r.send_started_at is None})


async def test_a_kill_mid_round_resends_the_unstarted_and_marks_only_in_flight_unknown(
        db: Database, clock: FrozenClock) -> None:
    admin, lurahs, broadcast_id = await setup(db, clock, 40)
    dying = Dying(survive=12)
    first = worker(db, clock, dying, rate=200.0, max_in_flight=4)
    dying.worker = first
    running = asyncio.create_task(first.run(lambda: True))
    await asyncio.wait_for(dying.dead.wait(), 10)
    await asyncio.sleep(0.1)  # the other sends under way reach Telegram and hang too
    in_flight, only_claimed = await claimed_rows(db)
    await kill(running)
    assert in_flight == set(dying.hung) and 1 <= len(in_flight) <= 4
    assert only_claimed, "a round is claimed ahead of its sends"

    telegram = FakeTelegram()
    second = worker(db, clock, telegram)
    recovered = await second.recover()
    assert (recovered.interrupted, recovered.requeued) == (len(in_flight), len(only_claimed))
    await drain(second)
    before = [c for c in dying.chats() if c != admin.telegram_id]
    after = [c for c in telegram.chats() if c != admin.telegram_id]
    assert len(before) == 12 and only_claimed <= set(after)  # never-started ones are sent
    assert len(before + after) == len(set(before + after))  # nobody twice
    assert set(before + after) | in_flight == {o.telegram_id for o in lurahs}
    assert await deliveries(db) == {"sent": 40 - len(in_flight), "unknown": len(in_flight)}
    async with db.session() as session:
        unknown = (await session.exec(select(BroadcastDelivery.chat_id).where(
            BroadcastDelivery.status == "unknown"))).all()
    assert set(unknown) == in_flight
    report = [t for c, t in telegram.sent if c == admin.telegram_id][-1]
    assert "tidak pasti" in report


def signal_recovered(work: BroadcastWorker) -> asyncio.Event:
    """An event set once the worker's start-up recovery has run."""
    recovered = asyncio.Event()
    recover = work.recover

    async def recover_then_signal() -> delivery_service.Recovered:
        try:
            return await recover()
        finally:
            recovered.set()

    work.recover = recover_then_signal  # type: ignore[method-assign]
    return recovered


async def test_two_pipelined_workers_never_send_twice(
        db: Database, clock: FrozenClock, database_url: str) -> None:
    telegram = FakeTelegram(delay=0.005)
    other = Database(database_url)
    workers = [worker(db, clock, telegram, rate=300.0),
               worker(other, clock, telegram, rate=300.0)]
    started = [signal_recovered(w) for w in workers]
    loops = [asyncio.create_task(w.run(lambda: True)) for w in workers]
    try:
        # both past their start-up recovery, which takes every other worker for gone
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in started)), 10)
        admin, lurahs, broadcast_id = await setup(db, clock, 90)
        for w in workers:
            w.poke()
        for _ in range(400):
            async with db.session() as session:
                broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is not None and broadcast.status == BroadcastStatus.DONE:
                break
            await asyncio.sleep(0.05)
    finally:
        for loop in loops:
            await kill(loop)
        await other.dispose()
    to_lurahs = [chat for chat in telegram.chats() if chat != admin.telegram_id]
    assert sorted(to_lurahs) == sorted(o.telegram_id for o in lurahs)
    assert await deliveries(db) == {"sent": 90}


async def test_an_answer_after_recovery_replaces_the_unknown_it_guessed(
        db: Database, clock: FrozenClock) -> None:
    """A worker that lost its lease for a moment still records what Telegram answered."""
    admin, lurahs, broadcast_id = await setup(db, clock, 2)
    first = worker(db, clock, FakeTelegram())
    async with db.session() as session:
        assert await delivery_service.start_due_broadcasts(session, clock) == [broadcast_id]
    async with db.session() as session:
        claimed = await delivery_service.claim_deliveries(
            session, clock, broadcast_id=broadcast_id, worker_id=first.worker_id, limit=2)
        assert len(claimed) == 2
        for row in claimed:
            assert row.id is not None
            assert await delivery_service.start_send(
                session, clock, delivery_id=row.id, worker_id=first.worker_id)
    second = worker(db, clock, FakeTelegram())
    assert (await second.recover()).interrupted == 2
    async with db.session() as session:
        assert await delivery_service.finish_if_complete(
            session, clock, broadcast_id=broadcast_id)
        await delivery_service.record_results(session, clock, worker_id=first.worker_id, results=[
            delivery_service.DeliveryResult(claimed[0].id or 0, DeliveryStatus.SENT, 77),
            delivery_service.DeliveryResult(claimed[1].id or 0, DeliveryStatus.PENDING)])
    assert await deliveries(db) == {"sent": 1, "unknown": 1}  # a retry cannot follow a guess
    async with db.session() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        assert (broadcast.sent_count, broadcast.unknown_count) == (1, 1)


async def test_a_stopping_worker_gives_back_what_it_did_not_start(
        db: Database, clock: FrozenClock) -> None:
    admin, lurahs, broadcast_id = await setup(db, clock, 30)
    telegram = FakeTelegram()
    work = worker(db, clock, telegram, rate=10.0)
    keep = True
    running = asyncio.create_task(work.run(lambda: keep))
    while len(telegram.sent) < 4:
        await asyncio.sleep(0.01)
    keep = False
    await asyncio.wait_for(running, 10)
    counts = await deliveries(db)
    assert "sending" not in counts and counts["pending"] == 30 - counts["sent"]
    async with db.session() as session:
        pending = (await session.exec(select(BroadcastDelivery).where(
            BroadcastDelivery.status == "pending"))).all()
    assert all(r.attempts == 0 and r.claimed_by is None for r in pending)


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
    assert HEADER_ID + "Kecil" in texts and len(texts) == 10
    assert small.id != big


async def test_the_pacer_keeps_to_its_rate() -> None:
    pacer = Pacer(rate=50.0)
    started = time.monotonic()
    for _ in range(26):
        await pacer.wait()
    assert time.monotonic() - started >= 0.49


async def test_the_pacer_leaves_what_other_sends_take() -> None:
    pacer = Pacer(rate=50.0, others=lambda: 25)
    assert pacer.current_rate() == 25.0
    started = time.monotonic()
    for _ in range(14):
        await pacer.wait()
    assert time.monotonic() - started >= 0.49
    assert Pacer(rate=29.0, others=lambda: 40).current_rate() == 1.0  # never stalls


async def test_recipients_see_the_sender_in_their_language(
        db: Database, clock: FrozenClock) -> None:
    admin, lurahs, broadcast_id = await setup(db, clock, 1, text="<b>Apel</b> & pagi")
    english = await add_official(db, clock, name="Village head", language="en")
    telegram = FakeTelegram()
    await drain(worker(db, clock, telegram))
    received = dict(telegram.sent)
    assert received[lurahs[0].telegram_id] == HEADER_ID + "<b>Apel</b> & pagi"
    assert received[english.telegram_id] == HEADER_EN + "<b>Apel</b> & pagi"


async def test_the_header_counts_against_telegrams_limit(
        db: Database, clock: FrozenClock) -> None:
    admin = await add_official(db, clock, role=Role.ADMIN, region="32.77", name="Admin <Tapem>")
    await add_official(db, clock, name="Lurah")
    header = "📢 Announcement from Admin <Tapem>, Admin staff, Kota Cimahi\n\n"  # the longest
    room = 4096 - (len(header) + 1)  # 📢 takes two UTF-16 units
    async with db.session() as session:
        def draft(text: str) -> BroadcastDraft:
            return BroadcastDraft(BroadcastContent.TEXT, text, Audience())
        assert await service.check_draft(session, clock, sender=admin,
                                         draft=draft("x" * room)) == 1
        with pytest.raises(InvalidInput) as refused:
            await service.check_draft(session, clock, sender=admin, draft=draft("x" * (room + 1)))
    assert refused.value.key == "broadcasts.errors.too_long"
    assert refused.value.values == {"limit": room}
