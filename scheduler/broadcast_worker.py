"""The broadcast delivery loop: paced, fair between broadcasts, resumable, never twice.

Pacing: the worker spends the bot's send budget (`rate`, default 29 messages/s, just under
Telegram's 30/s) minus what the bot sent otherwise in the last second — replies, reminders,
counted by `bot.send_meter` — so replies still go out promptly during a broadcast; PTB's
AIORateLimiter guards the overall 30/s as well. A 429 pauses the whole worker for retry_after
seconds. Deliveries are claimed in rounds of about one second of sends, shared equally between
broadcasts so a big one cannot hold a small one back; the next round is claimed while the tail
of the current one still waits its turn, so the pace does not stall between rounds.

Delivery bound — at most once (see `bot.services.broadcasts_delivery`): each delivery is
marked in flight (committed) right before its own send. If the process dies, the deliveries in
flight — at most `max_in_flight`, the concurrent sends — are reported "unknown" after the
restart and not resent; those only claimed go back to pending and are sent, so the broadcast
continues where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import col, select

from bot.clock import Clock
from bot.db import Database
from bot.i18n import Translator
from bot.send_meter import broadcast_sends, meter_of
from bot.services import broadcasts_delivery as delivery
from bot.services.broadcasts_format import SenderFacts, sender_facts, sender_header, with_header
from models.broadcasts import Broadcast, BroadcastDelivery, DeliveryStatus
from models.officials import Official
from scheduler.broadcast_progress import ProgressReports
from scheduler.broadcast_report import ack_markup
from scheduler.claims import new_worker_id
from scheduler.pacing import Pacer
from scheduler.sending import (
    DeliveryUncertain,
    MessageSender,
    PermanentSendError,
    RecipientBlocked,
    RetryLater,
    SendError,
    TransientSendError,
)

log = logging.getLogger(__name__)
# how often to look for deliveries abandoned by a stuck worker (each look scans the table)
STALE_CHECK_SECONDS = 60.0


@dataclass
class WorkerOptions:
    # the bot's sends per second, broadcasts and everything else together
    rate: float = 29.0
    # what broadcasts keep per second when other sends take the whole budget
    min_rate: float = 1.0
    # sends the pacer may catch up on after the loop was held up (timer overshoot, a commit)
    burst: int = 3
    # concurrent sends; also the most deliveries a crash can leave "unknown"
    max_in_flight: int = 30
    max_attempts: int = 5
    backoff: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
    progress_every: float = 3.0
    idle_seconds: float = 1.0
    stale_after: timedelta = timedelta(minutes=10)
    failures_listed: int = 20


@dataclass
class _Round:
    """Deliveries claimed together; `next_due` is set once most of them have started, which
    is when the next round is claimed."""

    active: list[Broadcast]
    claimed: list[tuple[Broadcast, BroadcastDelivery]]
    languages: dict[int, str]
    next_due: asyncio.Event = field(default_factory=asyncio.Event)
    unstarted: int = 0

    def __post_init__(self) -> None:
        self.unstarted = len(self.claimed)
        self._check()

    def started_one(self) -> None:
        self.unstarted -= 1
        self._check()

    def _check(self) -> None:
        # a quarter of a round still waiting covers the time the next claim takes
        if self.unstarted <= len(self.claimed) // 4:
            self.next_due.set()


class BroadcastWorker:
    """Delivers every broadcast in "sending"; run one per leader process."""

    def __init__(self, database: Database, clock: Clock, sender: MessageSender, *,
                 options: WorkerOptions | None = None, worker_id: str | None = None,
                 other_sends: Callable[[], int] | None = None) -> None:
        self.database = database
        self.clock = clock
        self.sender = sender
        self.options = options or WorkerOptions()
        self.worker_id = worker_id or new_worker_id("broadcasts")
        if other_sends is None:  # the bot's meter, when it was built with one (bot.app)
            meter = meter_of(getattr(sender, "bot", None))
            other_sends = meter.recent if meter is not None else None
        self.pacer = Pacer(self.options.rate, self.options.burst, others=other_sends,
                           floor=self.options.min_rate)
        self._slots = asyncio.Semaphore(self.options.max_in_flight)
        self._wake = asyncio.Event()
        self._active: set[int] = set()
        # claimed deliveries not settled yet, per broadcast: its report waits for them
        self._unsettled: Counter[int] = Counter()
        self._senders: dict[int, SenderFacts] = {}
        self.reports = ProgressReports(database, sender, self.pacer,
                                       every=self.options.progress_every,
                                       failures_listed=self.options.failures_listed)
        self._reporting = asyncio.Lock()
        self._stopping = False
        self._rounds = 0
        self._stale_checked = 0.0

    def poke(self) -> None:
        """Look for work now (e.g. right after an admin pressed Kirim)."""
        self._wake.set()

    async def recover(self) -> delivery.Recovered:
        """Deliveries a gone process left "sending": in flight → "unknown" (never resent),
        only claimed → pending (sent normally)."""
        async with self.database.session() as session:
            recovered = await delivery.recover_deliveries(session, worker_id=self.worker_id)
        if recovered.requeued or recovered.interrupted:
            log.warning("broadcasts: after a crash, %d unsent deliveries are pending again and "
                        "%d interrupted ones are 'unknown'", recovered.requeued,
                        recovered.interrupted)
        return recovered

    async def run(self, keep_running: Callable[[], bool]) -> None:
        """Work until `keep_running()` turns false; sends in flight are finished first."""
        self._stopping = False
        await self.recover()
        rounds: set[asyncio.Task[None]] = set()
        try:
            while keep_running():
                try:
                    round_ = await self._next_round()
                except Exception:
                    log.exception("broadcasts: delivery round failed; retrying shortly")
                    round_ = None
                if round_ is not None and round_.claimed:
                    task = asyncio.create_task(self._send_round(round_))
                    rounds.add(task)
                    task.add_done_callback(rounds.discard)
                    # claim the next round while the tail of this one is still being sent
                    await asyncio.wait([task, asyncio.ensure_future(round_.next_due.wait())],
                                       return_when=asyncio.FIRST_COMPLETED)
                    continue
                if rounds:  # nothing more to claim: their answers may finish a broadcast
                    await asyncio.wait(set(rounds))
                    continue
                if round_ is not None:
                    await self._send_round(round_)  # nothing to send: finish, show progress
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.options.idle_seconds)
        finally:
            self._stopping = True  # deliveries not started yet stay unsent
            if rounds:
                await asyncio.gather(*rounds, return_exceptions=True)
            with contextlib.suppress(Exception):
                async with self.database.session() as session:
                    await delivery.release_unsent(session, worker_id=self.worker_id)

    async def run_once(self) -> bool:
        """One whole round: start due broadcasts, send about a second's worth, show progress."""
        round_ = await self._next_round()
        if round_ is None:
            return False
        await self._send_round(round_)
        return bool(round_.claimed)

    async def _next_round(self) -> _Round | None:
        """Start due broadcasts, close cancelled ones, claim the next round (None: idle)."""
        now = self.clock.now()
        async with self.database.session() as session:
            if time.monotonic() - self._stale_checked > STALE_CHECK_SECONDS:
                self._stale_checked = time.monotonic()
                await delivery.recover_deliveries(session, worker_id=self.worker_id,
                                                  claimed_before=now - self.options.stale_after)
            started = await delivery.start_due_broadcasts(session, self.clock)
            active = list(await delivery.sending_broadcasts(session))
            for broadcast in active:
                assert broadcast.id is not None
                if broadcast.id not in self._senders:
                    sender = await session.get(Official, broadcast.sender_id)
                    if sender is not None:
                        self._senders[broadcast.id] = await sender_facts(session, sender)
        async with self._reporting:
            for broadcast_id in started:
                await self.reports.show(broadcast_id, force=True)
            await self._close_vanished({b.id for b in active if b.id is not None})
        if not active:
            return None
        claimed = await self._claim_round(active)
        languages = await self._languages([row.official_id for _, row in claimed])
        return _Round(active, claimed, languages)

    async def _send_round(self, round_: _Round) -> None:
        """Send a claimed round (each at its turn), then update progress or finish."""
        try:
            await asyncio.gather(*[
                self._deliver(round_, broadcast, row, round_.languages.get(row.official_id, "id"))
                for broadcast, row in round_.claimed])
            async with self._reporting:
                for broadcast in round_.active:
                    await self._after_round(broadcast)
        except Exception:
            log.exception("broadcasts: delivery round failed")
        finally:
            round_.next_due.set()

    async def _claim_round(self, active: list[Broadcast]
                           ) -> list[tuple[Broadcast, BroadcastDelivery]]:
        """About a second's worth of deliveries, shared evenly; what one cannot use, the
        others get."""
        budget = max(1, math.ceil(self.pacer.current_rate()))
        claimed: list[tuple[Broadcast, BroadcastDelivery]] = []
        # rotate who comes first, so leftovers of an uneven split go round too
        self._rounds += 1
        start = self._rounds % len(active)
        hungry = active[start:] + active[:start]
        for broadcast in active:
            assert broadcast.id is not None
            self._active.add(broadcast.id)
        async with self.database.session() as session:
            while hungry and len(claimed) < budget:
                shares = _fair_shares(budget - len(claimed), len(hungry))
                still_hungry = []
                for broadcast, share in zip(hungry, shares, strict=True):
                    if share == 0:
                        continue
                    assert broadcast.id is not None
                    rows = await delivery.claim_deliveries(
                        session, self.clock, broadcast_id=broadcast.id,
                        worker_id=self.worker_id, limit=share)
                    claimed.extend((broadcast, row) for row in rows)
                    self._unsettled[broadcast.id] += len(rows)
                    if len(rows) == share:
                        still_hungry.append(broadcast)
                hungry = still_hungry
        return claimed

    # ---- sending -----------------------------------------------------------------------

    async def _deliver(self, round_: _Round, broadcast: Broadcast, row: BroadcastDelivery,
                       language: str) -> None:
        """At its turn: mark it in flight (committed), send, record Telegram's answer at once,
        so a crash loses as little as can be."""
        assert row.id is not None and broadcast.id is not None
        try:
            async with self._slots:
                try:
                    if not self._stopping:
                        await self.pacer.wait()
                finally:
                    round_.started_one()
                if self._stopping:
                    return  # left claimed, never started: released as unsent
                async with self.database.session() as session:
                    if not await delivery.start_send(session, self.clock, delivery_id=row.id,
                                                     worker_id=self.worker_id):
                        return
                row.attempts += 1
                result = await self._send_one(broadcast, row, language)
                async with self.database.session() as session:
                    await delivery.record_results(session, self.clock, worker_id=self.worker_id,
                                                  results=[result])
        finally:
            self._unsettled[broadcast.id] -= 1

    def _text_for(self, broadcast: Broadcast, t: Translator) -> str:
        """What the recipient reads: a header naming the sender, then the admin's text."""
        assert broadcast.id is not None
        sender = self._senders.get(broadcast.id)
        if sender is None:
            return broadcast.text
        return with_header(sender_header(t, sender), broadcast.text)

    async def _send_one(self, broadcast: Broadcast, row: BroadcastDelivery,
                        language: str) -> delivery.DeliveryResult:
        assert row.id is not None and broadcast.id is not None
        t = Translator(language)
        markup = ack_markup(t, broadcast.id) if broadcast.ask_ack else None
        try:
            with broadcast_sends():
                message_id = await self.sender.send_content(
                    row.chat_id, content_type=broadcast.content_type,
                    text=self._text_for(broadcast, t), file_id=broadcast.file_id,
                    reply_markup=markup)
        except SendError as error:
            return self._failure(row, error)
        except Exception as error:  # unknown: Telegram may have accepted it
            log.exception("broadcasts: unexpected error sending delivery %s", row.id)
            return self._failure(row, DeliveryUncertain(repr(error)))
        return delivery.DeliveryResult(row.id, DeliveryStatus.SENT, message_id=message_id)

    def _failure(self, row: BroadcastDelivery, error: SendError) -> delivery.DeliveryResult:
        assert row.id is not None
        now = self.clock.now()
        if isinstance(error, RecipientBlocked):
            return delivery.DeliveryResult(row.id, DeliveryStatus.BLOCKED, error=error.reason)
        if isinstance(error, RetryLater):
            self.pacer.pause(error.retry_after)
            return delivery.DeliveryResult(
                row.id, DeliveryStatus.PENDING, error=error.reason, refund_attempt=True,
                not_before=now + timedelta(seconds=error.retry_after))
        if isinstance(error, TransientSendError) and row.attempts < self.options.max_attempts:
            wait = self.options.backoff[min(row.attempts, len(self.options.backoff)) - 1]
            return delivery.DeliveryResult(row.id, DeliveryStatus.PENDING, error=error.reason,
                                           not_before=now + timedelta(seconds=wait))
        if isinstance(error, DeliveryUncertain):
            return delivery.DeliveryResult(row.id, DeliveryStatus.UNKNOWN, error=error.reason)
        assert isinstance(error, PermanentSendError | TransientSendError)
        return delivery.DeliveryResult(row.id, DeliveryStatus.FAILED, error=error.reason)

    async def _languages(self, official_ids: list[int]) -> dict[int, str]:
        if not official_ids:
            return {}
        async with self.database.session() as session:
            rows = (await session.exec(select(Official.id, Official.language).where(
                col(Official.id).in_(official_ids)))).all()
        return {official_id: language for official_id, language in rows if official_id}

    # ---- finishing ---------------------------------------------------------------------

    async def _after_round(self, broadcast: Broadcast) -> None:
        assert broadcast.id is not None
        if broadcast.id not in self._active:
            return  # finalised by another round meanwhile
        async with self.database.session() as session:
            finished = await delivery.finish_if_complete(session, self.clock,
                                                         broadcast_id=broadcast.id)
        if finished:
            await self._finalise(broadcast.id)
        else:
            await self.reports.show(broadcast.id, force=False)

    async def _close_vanished(self, still_sending: set[int]) -> None:
        """Broadcasts this worker was sending that were cancelled meanwhile: final report,
        once the sends already under way have been answered."""
        for broadcast_id in sorted(self._active - still_sending):
            if self._unsettled[broadcast_id] > 0:
                continue
            async with self.database.session() as session:
                await delivery.store_counts(session, broadcast_id=broadcast_id)
            await self._finalise(broadcast_id)

    async def _finalise(self, broadcast_id: int) -> None:
        self._active.discard(broadcast_id)
        self._unsettled.pop(broadcast_id, None)
        self._senders.pop(broadcast_id, None)
        await self.reports.final(broadcast_id)


def _fair_shares(budget: int, count: int) -> list[int]:
    """Split a round's budget over `count` broadcasts as evenly as possible; sums to budget."""
    base, extra = divmod(budget, count)
    return [base + (1 if index < extra else 0) for index in range(count)]
