"""Sending due reminders: triage, claim atomically, send, record the outcome.

Delivery bound — at most once. A row moves pending → sending (claimed, committed) → the
attempt is recorded (attempts + 1, last_error = "in flight", committed) → the message is sent
→ sent / failed / pending-for-retry. Only errors that prove Telegram did not deliver (429,
connection refused, 5xx) are retried. A process that dies leaves rows in "sending":
  * with "in flight" recorded, the send may or may not have happened → failed, "interrupted";
  * without it, the send was never attempted → back to pending, sent normally later.
So a recipient never gets a reminder twice; after a crash mid-send they may get it zero times.

Pace: a claimed batch is sent up to `concurrency` reminders at a time (about one second of
Telegram's 30 messages/s), each taking a turn of the pacer (the rate of the bot's rate
limiter) before it is marked in flight, then recorded in its own short session. So a crash
leaves at most `concurrency` rows "interrupted", in practice the few on the wire. A 429 holds
back only the refused reminder: it is set aside (not in flight), waits retry_after and is sent
again; after `max_refusals` the whole dispatcher backs off.

Timing: a non-urgent reminder due in the recipient's quiet hours (local to their region) is
held until the quiet hours end. A reminder whose moment has passed — expires_at reached, or
more than `missed_after` past its (possibly held) time, e.g. after downtime — becomes
"missed" instead of arriving late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.db import Database
from bot.i18n import Translator
from bot.services.reminders import quiet_release, recipient_timezone
from models.officials import Official, OfficialStatus
from models.reminders import Reminder, ReminderStatus
from scheduler.claims import claim_rows, new_worker_id
from scheduler.dispatch_policy import DispatchPolicy
from scheduler.pacing import Pacer
from scheduler.render import render_reminder
from scheduler.sending import (
    DeliveryUncertain,
    RecipientBlocked,
    RetryLater,
    SendError,
    SendText,
    TransientSendError,
)

log = logging.getLogger(__name__)

IN_FLIGHT = "in flight"
INTERRUPTED = "interrupted"


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    missed: int = 0
    cancelled: int = 0
    held: int = 0
    # the earliest moment something else becomes due (None: nothing is planned)
    next_wake: datetime | None = None
    outcomes: dict[int, str] = field(default_factory=dict)


class ReminderDispatcher:
    """Claims due reminders and delivers them through `send`; safe to run concurrently."""

    def __init__(self, database: Database, clock: Clock, send: SendText, *,
                 policy: DispatchPolicy | None = None, worker_id: str | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.database = database
        self.clock = clock
        self.send = send
        self.policy = policy or DispatchPolicy()
        self.worker_id = worker_id or new_worker_id("reminders")
        self.paused_until: datetime | None = None
        self.pacer = Pacer(self.policy.rate, burst=self.policy.burst)
        self._sleep = sleep  # how a refused reminder waits out retry_after

    # ---- crash recovery ----------------------------------------------------------------

    async def recover(self, *, claimed_before: datetime | None = None) -> tuple[int, int]:
        """Settle rows left in "sending" by a dispatcher that is gone; (requeued, interrupted).

        Without `claimed_before`, every row not claimed by this dispatcher is settled (call
        it once on start, while holding leadership); with it, only rows claimed earlier.
        """
        requeued = interrupted = 0
        async with self.database.session() as session:
            query = select(Reminder.id, Reminder.claimed_by, Reminder.last_error).where(
                Reminder.status == ReminderStatus.SENDING)
            if claimed_before is None:
                query = query.where(col(Reminder.claimed_by).is_distinct_from(self.worker_id))
            else:
                query = query.where(col(Reminder.claimed_at) < claimed_before)
            for row_id, claimed_by, last_error in (await session.exec(query)).all():
                guard = [col(Reminder.id) == row_id, Reminder.status == ReminderStatus.SENDING,
                         col(Reminder.claimed_by).is_not_distinct_from(claimed_by)]
                if last_error == IN_FLIGHT:
                    values: dict[str, Any] = {"status": ReminderStatus.FAILED,
                                              "last_error": INTERRUPTED}
                else:
                    values = {"status": ReminderStatus.PENDING, "claimed_by": None,
                              "claimed_at": None}
                result = await session.exec(update(Reminder).where(*guard).values(**values))
                if result.rowcount == 1:
                    if last_error == IN_FLIGHT:
                        interrupted += 1
                    else:
                        requeued += 1
        if requeued or interrupted:
            log.warning("reminders: requeued %d unsent and failed %d interrupted rows",
                        requeued, interrupted)
        return requeued, interrupted

    # ---- one pass ----------------------------------------------------------------------

    async def run_once(self) -> DispatchReport:
        """Mark missed rows, claim ready ones, send them; report what happened."""
        report = DispatchReport()
        now = self.clock.now()
        if self.paused_until is not None and now < self.paused_until:
            report.next_wake = self.paused_until
            return report
        self.paused_until = None
        await self.recover(claimed_before=now - self.policy.stale_after)
        async with self.database.session() as session:
            ready, missed, wake_candidates = await self._triage(session, now)
            report.held = len(wake_candidates)
            if missed:
                result = await session.exec(update(Reminder).where(
                    col(Reminder.id).in_(missed), Reminder.status == ReminderStatus.PENDING,
                ).values(status=ReminderStatus.MISSED))
                report.missed = result.rowcount or 0
            claimed = await claim_rows(
                session, Reminder,
                where=[col(Reminder.id).in_(ready), Reminder.status == ReminderStatus.PENDING],
                values={"status": ReminderStatus.SENDING, "claimed_by": self.worker_id,
                        "claimed_at": now},
                order_by=[col(Reminder.due_at), col(Reminder.id)],
                limit=self.policy.batch_size,
            ) if ready else []
        report.claimed = len(claimed)
        turns = asyncio.Semaphore(max(self.policy.concurrency, 1))
        outcomes = await asyncio.gather(*[self._deliver_in_turn(turns, row_id)
                                          for row_id in claimed])
        for row_id, outcome in zip(claimed, outcomes, strict=True):
            report.outcomes[row_id] = outcome
            _count(report, outcome)
        report.next_wake = await self._next_wake(wake_candidates, more=len(ready) > len(claimed))
        return report

    async def _triage(self, session: Any, now: datetime) -> tuple[list[int], list[int],
                                                                   list[datetime]]:
        """Split due pending rows into ready, missed, and held (with the time each frees)."""
        query = (
            select(Reminder.id, Reminder.due_at, Reminder.expires_at, Reminder.urgent,
                   Reminder.attempts, Reminder.claimed_at, Official.region_code)
            .join(Official, col(Official.id) == col(Reminder.recipient_id))
            .where(Reminder.status == ReminderStatus.PENDING, col(Reminder.due_at) <= now)
            .order_by(col(Reminder.due_at), col(Reminder.id)).limit(5000)
        )
        ready: list[int] = []
        missed: list[int] = []
        held: list[datetime] = []
        policy = self.policy
        for row_id, due_at, expires_at, urgent, attempts, last_try, region in (
                await session.exec(query)).all():
            if expires_at is not None and expires_at <= now:
                missed.append(row_id)
                continue
            effective = due_at if urgent else quiet_release(
                due_at, timezone=recipient_timezone(region, policy.default_timezone),
                quiet_start=policy.quiet_start, quiet_end=policy.quiet_end)
            if effective > now:
                held.append(effective)
            elif now - effective > policy.missed_after:
                missed.append(row_id)
            elif attempts and last_try and last_try + policy.retry_delay(attempts) > now:
                held.append(last_try + policy.retry_delay(attempts))
            else:
                ready.append(row_id)
        return ready, missed, held

    async def _next_wake(self, held: list[datetime], *, more: bool) -> datetime | None:
        now = self.clock.now()
        candidates = list(held)
        if more:
            candidates.append(now)
        if self.paused_until is not None:
            return self.paused_until
        async with self.database.session() as session:
            upcoming = (await session.exec(
                select(func.min(Reminder.due_at)).where(
                    Reminder.status == ReminderStatus.PENDING, col(Reminder.due_at) > now))).one()
        if upcoming is not None:
            candidates.append(upcoming)
        return min(candidates) if candidates else None

    # ---- one reminder ------------------------------------------------------------------

    def _paused(self) -> bool:
        return self.paused_until is not None and self.clock.now() < self.paused_until

    async def _deliver_in_turn(self, turns: asyncio.Semaphore, row_id: int) -> str:
        """Deliver one claimed row once a sending slot is free; give it back if paused."""
        async with turns:
            if self._paused():  # another reminder's 429s made the dispatcher back off
                await self._release([row_id])
                return "released"
            await self.pacer.wait()
            return await self._deliver(row_id)

    async def _deliver(self, row_id: int) -> str:
        """Render, record the attempt, send, record the result; returns the outcome name."""
        async with self.database.session() as session:
            reminder = await session.get(Reminder, row_id)
            if reminder is None or reminder.claimed_by != self.worker_id:
                return "lost"
            recipient = await session.get(Official, reminder.recipient_id)
            if recipient is None or recipient.status != OfficialStatus.ACTIVE:
                return await self._finish(session, reminder, ReminderStatus.CANCELLED,
                                          "recipient not active", "cancelled")
            translator = Translator(recipient.language)
            try:
                rendered = await render_reminder(
                    session, reminder, translator, recipient=recipient,
                    default_timezone=self.policy.default_timezone)
            except Exception as error:  # a broken renderer must not block the queue
                log.exception("reminders: cannot render reminder %s", row_id)
                return await self._finish(session, reminder, ReminderStatus.FAILED,
                                          f"render: {error!r}", "failed")
            if rendered is None:
                return await self._finish(session, reminder, ReminderStatus.CANCELLED,
                                          "target closed", "cancelled")
            if not await self._mark_in_flight(session, row_id):
                return "lost"
            chat_id, was_reachable = recipient.telegram_id, recipient.reachable
        text, markup = rendered
        refusals = 0
        while True:
            try:
                await self.send(chat_id, text, markup)
                break
            except RetryLater as refusal:
                refusals += 1
                if refusals > self.policy.max_refusals:
                    return await self._record_failure(row_id, refusal)
                outcome = await self._wait_out(row_id, refusal)
                if outcome is not None:
                    return outcome
            except SendError as error:
                return await self._record_failure(row_id, error)
            except Exception as error:  # unknown: Telegram may have delivered it
                log.exception("reminders: unexpected error sending reminder %s", row_id)
                return await self._record_failure(row_id, DeliveryUncertain(repr(error)))
        async with self.database.session() as session:
            await session.exec(update(Reminder).where(col(Reminder.id) == row_id).values(
                status=ReminderStatus.SENT, sent_at=self.clock.now(), last_error=None))
            if not was_reachable:  # they unblocked the bot
                await session.exec(update(Official).where(
                    col(Official.telegram_id) == chat_id).values(reachable=True))
        return "sent"

    async def _mark_in_flight(self, session: Any, row_id: int) -> bool:
        """Record the attempt before the send; False if the claim was taken from us."""
        started = await session.exec(update(Reminder).where(
            col(Reminder.id) == row_id, Reminder.status == ReminderStatus.SENDING,
            Reminder.claimed_by == self.worker_id,
        ).values(attempts=col(Reminder.attempts) + 1, last_error=IN_FLIGHT))
        return bool(started.rowcount == 1)

    async def _wait_out(self, row_id: int, refusal: RetryLater) -> str | None:
        """A 429: undo the attempt (nothing was delivered), wait, mark it in flight again.

        While waiting, the row is still ours but not in flight, so a crash requeues it.
        Returns None to send again, or the outcome if this reminder stops here.
        """
        log.info("reminders: reminder %s refused, again in %.1f s: %s", row_id,
                 refusal.retry_after, refusal.reason)
        async with self.database.session() as session:
            await session.exec(update(Reminder).where(
                col(Reminder.id) == row_id, Reminder.status == ReminderStatus.SENDING,
                Reminder.claimed_by == self.worker_id,
            ).values(attempts=col(Reminder.attempts) - 1, last_error=refusal.reason[:300]))
        await self._sleep(max(refusal.retry_after, 0.0))
        if self._paused():  # meanwhile another reminder made the dispatcher back off
            await self._release([row_id])
            return "released"
        await self.pacer.wait()
        async with self.database.session() as session:
            return None if await self._mark_in_flight(session, row_id) else "lost"

    async def _finish(self, session: Any, reminder: Reminder, status: ReminderStatus,
                      error: str, outcome: str) -> str:
        reminder.status = status
        reminder.last_error = error[:300]
        session.add(reminder)
        return outcome

    async def _record_failure(self, row_id: int, error: SendError) -> str:
        now = self.clock.now()
        async with self.database.session() as session:
            reminder = await session.get(Reminder, row_id)
            assert reminder is not None
            reminder.last_error = error.reason[:300]
            outcome = "failed"
            if isinstance(error, RetryLater):
                # refused again and again: not an attempt, and the whole dispatcher waits
                reminder.attempts = max(reminder.attempts - 1, 0)
                reminder.status = ReminderStatus.PENDING
                reminder.claimed_by = None
                self.paused_until = now + timedelta(seconds=max(error.retry_after, 1.0))
                outcome = "paused"
            elif isinstance(error, TransientSendError) and \
                    reminder.attempts < self.policy.max_attempts:
                reminder.status = ReminderStatus.PENDING
                reminder.claimed_by = None
                reminder.claimed_at = now  # the retry waits from here
                outcome = "retry"
            else:
                reminder.status = ReminderStatus.FAILED
                if isinstance(error, DeliveryUncertain):
                    reminder.last_error = f"uncertain: {error.reason}"[:300]
                if isinstance(error, RecipientBlocked):
                    recipient = await session.get(Official, reminder.recipient_id)
                    if recipient is not None:
                        recipient.reachable = False
                        session.add(recipient)
            session.add(reminder)
        log.info("reminders: reminder %s %s: %s", row_id, outcome, error.reason)
        return outcome

    async def _release(self, row_ids: list[int]) -> None:
        """Give back claimed rows that were never attempted."""
        if not row_ids:
            return
        async with self.database.session() as session:
            await session.exec(update(Reminder).where(
                col(Reminder.id).in_(row_ids), Reminder.status == ReminderStatus.SENDING,
                Reminder.claimed_by == self.worker_id,
                col(Reminder.last_error).is_distinct_from(IN_FLIGHT),
            ).values(status=ReminderStatus.PENDING, claimed_by=None))


def _count(report: DispatchReport, outcome: str) -> None:
    if outcome == "sent":
        report.sent += 1
    elif outcome == "failed":
        report.failed += 1
    elif outcome in ("retry", "paused"):
        report.retried += 1
    elif outcome == "cancelled":
        report.cancelled += 1
