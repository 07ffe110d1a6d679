"""The broadcast delivery loop: paced, fair between broadcasts, resumable, never twice.

Pacing: one token bucket per process allows at most `rate` broadcast messages per second
(default 25), below Telegram's 30/s, so ordinary replies always find room; PTB's
AIORateLimiter, configured by the composition root, guards the overall 30/s as well.
A 429 pauses the whole worker for retry_after seconds. Several broadcasts share each round's
budget equally, so a big one cannot hold a small one back.

Delivery bound — at most once (see `bot.services.broadcasts_delivery`): a delivery is claimed
right before its send, in rounds of about one second of sends. If the process dies before
Telegram's answer is recorded, that recipient is reported "unknown" after the restart and not
resent; everyone still pending is sent normally, so the broadcast continues where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from bot.clock import Clock
from bot.db import Database
from bot.i18n import Translator
from bot.services import broadcasts_delivery as delivery
from bot.services.broadcasts import progress, set_progress_message
from models.broadcasts import Broadcast, BroadcastDelivery, DeliveryStatus
from models.officials import Official
from scheduler.broadcast_report import (
    ack_markup,
    final_report_text,
    progress_markup,
    progress_text,
)
from scheduler.claims import new_worker_id
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


class Pacer:
    """A token bucket on the monotonic clock: `wait()` returns when a send may start."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.rate = rate
        self.capacity = float(max(burst, 1))
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    async def wait(self) -> None:
        async with self._lock:  # one waiter at a time keeps the spacing even
            while True:
                now = time.monotonic()
                if now < self.paused_until:
                    await asyncio.sleep(self.paused_until - now)
                    continue
                self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self.tokens) / self.rate)


@dataclass
class _Shown:
    """What the progress message of a broadcast last said, and when."""

    text: str = ""
    at: float = 0.0


@dataclass
class WorkerOptions:
    rate: float = 25.0
    max_attempts: int = 5
    backoff: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
    progress_every: float = 3.0
    idle_seconds: float = 1.0
    stale_after: timedelta = timedelta(minutes=10)
    failures_listed: int = 20


class BroadcastWorker:
    """Delivers every broadcast in "sending"; run one per leader process."""

    def __init__(self, database: Database, clock: Clock, sender: MessageSender, *,
                 options: WorkerOptions | None = None, worker_id: str | None = None) -> None:
        self.database = database
        self.clock = clock
        self.sender = sender
        self.options = options or WorkerOptions()
        self.worker_id = worker_id or new_worker_id("broadcasts")
        self.pacer = Pacer(self.options.rate)
        self._wake = asyncio.Event()
        self._active: set[int] = set()
        self._shown: dict[int, _Shown] = {}
        self._rounds = 0
        self._stale_checked = 0.0

    def poke(self) -> None:
        """Look for work now (e.g. right after an admin pressed Kirim)."""
        self._wake.set()

    async def recover(self) -> int:
        """Deliveries a dead process left "sending" become "unknown" (never resent)."""
        async with self.database.session() as session:
            count = await delivery.recover_deliveries(session, worker_id=self.worker_id)
        if count:
            log.warning("broadcasts: %d deliveries interrupted by a crash are 'unknown'", count)
        return count

    async def run(self, keep_running: Callable[[], bool]) -> None:
        """Work until `keep_running()` turns false; in-flight sends are finished first."""
        await self.recover()
        while keep_running():
            try:
                worked = await self.run_once()
            except Exception:
                log.exception("broadcasts: delivery round failed; retrying shortly")
                worked = False
            if not worked:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.options.idle_seconds)

    async def run_once(self) -> bool:
        """One round: start due broadcasts, send about a second's worth, update progress."""
        now = self.clock.now()
        async with self.database.session() as session:
            if time.monotonic() - self._stale_checked > STALE_CHECK_SECONDS:
                self._stale_checked = time.monotonic()
                await delivery.recover_deliveries(session, worker_id=self.worker_id,
                                                  claimed_before=now - self.options.stale_after)
            started = await delivery.start_due_broadcasts(session, self.clock)
            active = list(await delivery.sending_broadcasts(session))
        for broadcast_id in started:
            await self._show_progress(broadcast_id, force=True)
        await self._close_vanished({b.id for b in active if b.id is not None})
        if not active:
            return False
        claimed = await self._claim_round(active)
        languages = await self._languages([row.official_id for _, row in claimed])
        await asyncio.gather(*[
            self._deliver(broadcast, row, languages.get(row.official_id, "id"))
            for broadcast, row in claimed])
        for broadcast in active:
            await self._after_round(broadcast)
        return bool(claimed)

    async def _claim_round(self, active: list[Broadcast]
                           ) -> list[tuple[Broadcast, BroadcastDelivery]]:
        """About a second's worth of deliveries, shared evenly; what one cannot use, the
        others get."""
        budget = max(1, math.ceil(self.options.rate))
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
                    if len(rows) == share:
                        still_hungry.append(broadcast)
                hungry = still_hungry
        return claimed

    # ---- sending -----------------------------------------------------------------------

    async def _deliver(self, broadcast: Broadcast, row: BroadcastDelivery, language: str) -> None:
        """Send one and record Telegram's answer at once, so a crash loses as little as can be."""
        result = await self._send_one(broadcast, row, language)
        async with self.database.session() as session:
            await delivery.record_results(session, self.clock, worker_id=self.worker_id,
                                          results=[result])

    async def _send_one(self, broadcast: Broadcast, row: BroadcastDelivery,
                        language: str) -> delivery.DeliveryResult:
        assert row.id is not None and broadcast.id is not None
        markup = ack_markup(Translator(language), broadcast.id) if broadcast.ask_ack else None
        await self.pacer.wait()
        try:
            message_id = await self.sender.send_content(
                row.chat_id, content_type=broadcast.content_type, text=broadcast.text,
                file_id=broadcast.file_id, reply_markup=markup)
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

    # ---- progress and the final report -------------------------------------------------

    async def _after_round(self, broadcast: Broadcast) -> None:
        assert broadcast.id is not None
        async with self.database.session() as session:
            finished = await delivery.finish_if_complete(session, self.clock,
                                                         broadcast_id=broadcast.id)
        if finished:
            await self._finalise(broadcast.id)
        else:
            await self._show_progress(broadcast.id, force=False)

    async def _close_vanished(self, still_sending: set[int]) -> None:
        """Broadcasts this worker was sending that were cancelled meanwhile: final report."""
        for broadcast_id in sorted(self._active - still_sending):
            async with self.database.session() as session:
                await delivery.store_counts(session, broadcast_id=broadcast_id)
            await self._finalise(broadcast_id)

    async def _finalise(self, broadcast_id: int) -> None:
        self._active.discard(broadcast_id)
        await self._show_progress(broadcast_id, force=True)
        async with self.database.session() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            sender = await session.get(Official, broadcast.sender_id) if broadcast else None
            if broadcast is None or sender is None:
                return
            figures = await progress(session, broadcast_id)
            failed = await delivery.failures(session, broadcast_id=broadcast_id,
                                             limit=self.options.failures_listed)
        t = Translator(sender.language)
        await self._notify(sender.telegram_id, final_report_text(t, broadcast, figures, failed))
        self._shown.pop(broadcast_id, None)

    async def _show_progress(self, broadcast_id: int, *, force: bool) -> None:
        """Create or edit the progress message, at most every `progress_every` seconds."""
        shown = self._shown.setdefault(broadcast_id, _Shown())
        if not force and time.monotonic() - shown.at < self.options.progress_every:
            return
        async with self.database.session() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            sender = await session.get(Official, broadcast.sender_id) if broadcast else None
            if broadcast is None or sender is None:
                return
            figures = await progress(session, broadcast_id)
        t = Translator(sender.language)
        text = progress_text(t, broadcast, figures)
        if text == shown.text:
            return
        markup = progress_markup(t, broadcast)
        shown.at = time.monotonic()
        await self.pacer.wait()
        try:
            if broadcast.progress_chat_id and broadcast.progress_message_id:
                await self.sender.edit_text(broadcast.progress_chat_id,
                                            broadcast.progress_message_id, text, markup)
            else:
                message_id = await self.sender.send_text(sender.telegram_id, text, markup)
                async with self.database.session() as session:
                    await set_progress_message(session, broadcast_id=broadcast_id,
                                               chat_id=sender.telegram_id, message_id=message_id)
            shown.text = text
        except SendError as error:
            log.warning("broadcasts: progress of %s not shown: %s", broadcast_id, error.reason)
            if isinstance(error, RetryLater):
                self.pacer.pause(error.retry_after)

    async def _notify(self, chat_id: int, text: str) -> None:
        await self.pacer.wait()
        try:
            await self.sender.send_text(chat_id, text, None)
        except SendError as error:
            log.warning("broadcasts: report to %s not sent: %s", chat_id, error.reason)
            if isinstance(error, RetryLater):
                self.pacer.pause(error.retry_after)


def _fair_shares(budget: int, count: int) -> list[int]:
    """Split a round's budget over `count` broadcasts as evenly as possible; sums to budget."""
    base, extra = divmod(budget, count)
    return [base + (1 if index < extra else 0) for index in range(count)]
