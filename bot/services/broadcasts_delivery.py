"""Broadcast delivery bookkeeping: start, claim recipients atomically, record results, finish.

Delivery bound — at most once. A delivery row moves pending → sending (claimed with others of
its round, committed) → in flight (`send_started_at` set, attempts + 1, committed right before
its own request) → sent / failed / blocked, or back to pending for a retry. A process that
dies leaves rows in "sending"; on restart
  * a row in flight may or may not have arrived: it becomes "unknown" and is never resent;
  * a row only claimed was never sent: it goes back to pending and is sent normally.
So the recipients a crash can leave without a copy are at most the sends in flight at that
moment (the worker's concurrent sends). Only answers that prove nothing was delivered (429,
connection refused, 5xx) put a row back to pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.services.broadcasts import BroadcastProgress, progress
from bot.services.broadcasts_audience import Audience, resolve_audience
from models.broadcasts import Broadcast, BroadcastDelivery, BroadcastStatus, DeliveryStatus
from models.officials import Official
from scheduler.claims import claim_rows

INTERRUPTED = "interrupted: it may or may not have arrived"
# rows per INSERT, well under SQLite's limit of bound parameters per statement
INSERT_CHUNK = 500


async def start_due_broadcasts(session: AsyncSession, clock: Clock) -> list[int]:
    """Scheduled broadcasts whose time has come: resolve the audience into delivery rows.

    The status change and the rows are one transaction, guarded by the status, so two
    workers can never both start (and double) a broadcast.
    """
    now = clock.now()
    due = (await session.exec(select(Broadcast).where(
        Broadcast.status == BroadcastStatus.SCHEDULED, col(Broadcast.send_at) <= now,
    ).order_by(col(Broadcast.send_at), col(Broadcast.id)))).all()
    started: list[int] = []
    for broadcast in due:
        changed = await session.exec(update(Broadcast).where(
            col(Broadcast.id) == broadcast.id, Broadcast.status == BroadcastStatus.SCHEDULED,
        ).values(status=BroadcastStatus.SENDING, started_at=now))
        if changed.rowcount != 1:
            continue
        recipients = await resolve_audience(
            session, Audience.from_json(broadcast.audience), scope=broadcast.scope_code,
            exclude_id=broadcast.sender_id)
        rows = [{"broadcast_id": broadcast.id, "official_id": o.id, "chat_id": o.telegram_id,
                 "status": DeliveryStatus.PENDING, "attempts": 0} for o in recipients]
        for start in range(0, len(rows), INSERT_CHUNK):
            await session.exec(insert(BroadcastDelivery).values(rows[start:start + INSERT_CHUNK]))
        await session.exec(update(Broadcast).where(col(Broadcast.id) == broadcast.id)
                           .values(total=len(recipients)))
        assert broadcast.id is not None
        started.append(broadcast.id)
    return started


async def sending_broadcasts(session: AsyncSession) -> Sequence[Broadcast]:
    return (await session.exec(select(Broadcast).where(
        Broadcast.status == BroadcastStatus.SENDING).order_by(col(Broadcast.id)))).all()


async def claim_deliveries(session: AsyncSession, clock: Clock, *, broadcast_id: int,
                           worker_id: str, limit: int) -> list[BroadcastDelivery]:
    """Take up to `limit` deliveries ready to send; nobody else can take the same ones."""
    now = clock.now()
    ids = await claim_rows(
        session, BroadcastDelivery,
        where=[BroadcastDelivery.broadcast_id == broadcast_id,
               BroadcastDelivery.status == DeliveryStatus.PENDING,
               (col(BroadcastDelivery.not_before).is_(None))
               | (col(BroadcastDelivery.not_before) <= now)],
        values={"status": DeliveryStatus.SENDING, "claimed_by": worker_id, "claimed_at": now,
                "send_started_at": None},
        order_by=[col(BroadcastDelivery.id)], limit=limit,
    )
    if not ids:
        return []
    rows = (await session.exec(select(BroadcastDelivery).where(
        col(BroadcastDelivery.id).in_(ids)).order_by(col(BroadcastDelivery.id)))).all()
    return list(rows)


async def start_send(session: AsyncSession, clock: Clock, *, delivery_id: int,
                     worker_id: str) -> bool:
    """Mark one claimed delivery in flight (commit before sending); False: do not send it.

    A delivery of a broadcast cancelled since the claim is cancelled instead; one this worker
    no longer holds (recovered as abandoned, taken by another) is left alone.
    """
    held = [col(BroadcastDelivery.id) == delivery_id,
            BroadcastDelivery.status == DeliveryStatus.SENDING,
            BroadcastDelivery.claimed_by == worker_id,
            col(BroadcastDelivery.send_started_at).is_(None)]
    broadcast_status = (await session.exec(
        select(Broadcast.status).join(BroadcastDelivery,
                                      col(BroadcastDelivery.broadcast_id) == col(Broadcast.id))
        .where(col(BroadcastDelivery.id) == delivery_id))).first()
    if broadcast_status != BroadcastStatus.SENDING:
        await session.exec(update(BroadcastDelivery).where(*held).values(
            status=DeliveryStatus.CANCELLED, claimed_by=None))
        return False
    started = await session.exec(update(BroadcastDelivery).where(*held).values(
        send_started_at=clock.now(), attempts=col(BroadcastDelivery.attempts) + 1))
    return started.rowcount == 1


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one claimed delivery."""

    delivery_id: int
    status: DeliveryStatus
    message_id: int | None = None
    error: str | None = None
    # for a retry: not before this moment; the attempt is given back when nothing was tried
    not_before: datetime | None = None
    refund_attempt: bool = False


async def record_results(session: AsyncSession, clock: Clock, *, worker_id: str,
                         results: Sequence[DeliveryResult]) -> None:
    """Store Telegram's answers; blocked recipients are marked unreachable for the future."""
    now = clock.now()
    for result in results:
        values: dict[str, object] = {"status": result.status, "error": result.error}
        if result.status == DeliveryStatus.SENT:
            values.update(message_id=result.message_id, sent_at=now)
        if result.status == DeliveryStatus.PENDING:
            values.update(claimed_by=None, send_started_at=None, not_before=result.not_before)
            if result.refund_attempt:
                values["attempts"] = col(BroadcastDelivery.attempts) - 1
        stored = await session.exec(update(BroadcastDelivery).where(
            col(BroadcastDelivery.id) == result.delivery_id,
            BroadcastDelivery.status == DeliveryStatus.SENDING,
            BroadcastDelivery.claimed_by == worker_id,
        ).values(**values))
        if not stored.rowcount and result.status in FINAL_ANSWERS:
            await _settle_guessed(session, worker_id=worker_id, result=result, values=values)
        if result.status == DeliveryStatus.BLOCKED:
            official_id = (await session.exec(select(BroadcastDelivery.official_id).where(
                col(BroadcastDelivery.id) == result.delivery_id))).one()
            await session.exec(update(Official).where(col(Official.id) == official_id)
                               .values(reachable=False))


# Telegram's answers that settle a delivery for good
FINAL_ANSWERS = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.BLOCKED})


async def _settle_guessed(session: AsyncSession, *, worker_id: str, result: DeliveryResult,
                          values: dict[str, object]) -> None:
    """A send this worker had in flight was meanwhile recovered as "unknown" by a worker that
    took it for dead (a lease lost for a moment): Telegram's answer replaces the guess, and the
    broadcast's stored figures follow if it has already finished."""
    settled = await session.exec(update(BroadcastDelivery).where(
        col(BroadcastDelivery.id) == result.delivery_id,
        BroadcastDelivery.status == DeliveryStatus.UNKNOWN,
        BroadcastDelivery.error == INTERRUPTED,
        BroadcastDelivery.claimed_by == worker_id,
    ).values(**values))
    if not settled.rowcount:
        return
    broadcast_id = (await session.exec(select(BroadcastDelivery.broadcast_id).where(
        col(BroadcastDelivery.id) == result.delivery_id))).one()
    finished = (await session.exec(select(Broadcast.status).where(
        col(Broadcast.id) == broadcast_id))).one() == BroadcastStatus.DONE
    if finished:
        await store_counts(session, broadcast_id=broadcast_id)


async def finish_if_complete(session: AsyncSession, clock: Clock, *,
                             broadcast_id: int) -> bool:
    """Mark a sending broadcast done once no delivery waits; stores the final figures."""
    figures = await progress(session, broadcast_id)
    if figures.waiting:
        return False
    changed = await session.exec(update(Broadcast).where(
        col(Broadcast.id) == broadcast_id, Broadcast.status == BroadcastStatus.SENDING,
    ).values(status=BroadcastStatus.DONE, finished_at=clock.now(), **final_counts(figures)))
    return changed.rowcount == 1


def final_counts(figures: BroadcastProgress) -> dict[str, int]:
    return {"sent_count": figures.sent,
            "failed_count": figures.count(DeliveryStatus.FAILED),
            "blocked_count": figures.count(DeliveryStatus.BLOCKED),
            "unknown_count": figures.count(DeliveryStatus.UNKNOWN)}


async def store_counts(session: AsyncSession, *, broadcast_id: int) -> None:
    """Refresh the stored figures (e.g. after a cancellation)."""
    figures = await progress(session, broadcast_id)
    await session.exec(update(Broadcast).where(col(Broadcast.id) == broadcast_id)
                       .values(**final_counts(figures)))


@dataclass(frozen=True)
class Recovered:
    """What became of deliveries a gone worker left "sending"."""

    requeued: int = 0  # claimed, never sent: pending again
    interrupted: int = 0  # in flight: "unknown", never resent


async def recover_deliveries(session: AsyncSession, *, worker_id: str,
                             claimed_before: datetime | None = None) -> Recovered:
    """Settle deliveries left "sending" by a worker that is gone.

    Without `claimed_before`, every row not claimed by `worker_id` (call it once on start,
    as the only worker); with it, only rows claimed earlier (a stuck worker).
    """
    conditions = [BroadcastDelivery.status == DeliveryStatus.SENDING]
    if claimed_before is None:
        conditions.append(col(BroadcastDelivery.claimed_by).is_distinct_from(worker_id))
    else:
        conditions.append(col(BroadcastDelivery.claimed_at) < claimed_before)
    in_flight = col(BroadcastDelivery.send_started_at).is_not(None)
    interrupted = await session.exec(update(BroadcastDelivery).where(
        *conditions, in_flight).values(status=DeliveryStatus.UNKNOWN, error=INTERRUPTED))
    requeued = await session.exec(update(BroadcastDelivery).where(
        *conditions, col(BroadcastDelivery.send_started_at).is_(None)).values(
        status=DeliveryStatus.PENDING, claimed_by=None, claimed_at=None))
    return Recovered(requeued=requeued.rowcount or 0, interrupted=interrupted.rowcount or 0)


async def release_unsent(session: AsyncSession, *, worker_id: str) -> int:
    """A stopping worker's claimed deliveries it never started: pending again."""
    result = await session.exec(update(BroadcastDelivery).where(
        BroadcastDelivery.status == DeliveryStatus.SENDING,
        BroadcastDelivery.claimed_by == worker_id,
        col(BroadcastDelivery.send_started_at).is_(None),
    ).values(status=DeliveryStatus.PENDING, claimed_by=None, claimed_at=None))
    return result.rowcount or 0


async def failures(session: AsyncSession, *, broadcast_id: int, limit: int = 20,
                   ) -> list[tuple[Official, BroadcastDelivery]]:
    """Recipients it did not reach (or may not have), with why, for the final report."""
    rows = (await session.exec(
        select(Official, BroadcastDelivery)
        .join(BroadcastDelivery, col(BroadcastDelivery.official_id) == col(Official.id))
        .where(BroadcastDelivery.broadcast_id == broadcast_id,
               col(BroadcastDelivery.status).in_([DeliveryStatus.FAILED, DeliveryStatus.BLOCKED,
                                                  DeliveryStatus.UNKNOWN]))
        .order_by(col(BroadcastDelivery.id)).limit(limit))).all()
    return [(o, d) for o, d in rows]
