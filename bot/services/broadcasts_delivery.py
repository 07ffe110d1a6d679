"""Broadcast delivery bookkeeping: start, claim recipients atomically, record results, finish.

Delivery bound — at most once. A delivery row is claimed (pending → sending, attempts + 1)
immediately before its send, in batches no larger than what the worker sends at once. If the
process dies before Telegram's answer is recorded, the row stays "sending"; on restart it
becomes "unknown" (it may or may not have arrived) and is never resent. Only answers that
prove nothing was delivered (429, connection refused, 5xx) put a row back to pending.
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
                "attempts": col(BroadcastDelivery.attempts) + 1},
        order_by=[col(BroadcastDelivery.id)], limit=limit,
    )
    if not ids:
        return []
    rows = (await session.exec(select(BroadcastDelivery).where(
        col(BroadcastDelivery.id).in_(ids)).order_by(col(BroadcastDelivery.id)))).all()
    return list(rows)


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
            values.update(claimed_by=None, not_before=result.not_before)
            if result.refund_attempt:
                values["attempts"] = col(BroadcastDelivery.attempts) - 1
        await session.exec(update(BroadcastDelivery).where(
            col(BroadcastDelivery.id) == result.delivery_id,
            BroadcastDelivery.status == DeliveryStatus.SENDING,
            BroadcastDelivery.claimed_by == worker_id,
        ).values(**values))
        if result.status == DeliveryStatus.BLOCKED:
            official_id = (await session.exec(select(BroadcastDelivery.official_id).where(
                col(BroadcastDelivery.id) == result.delivery_id))).one()
            await session.exec(update(Official).where(col(Official.id) == official_id)
                               .values(reachable=False))


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


async def recover_deliveries(session: AsyncSession, *, worker_id: str,
                             claimed_before: datetime | None = None) -> int:
    """Deliveries left "sending" by a worker that is gone become "unknown", never resent."""
    conditions = [BroadcastDelivery.status == DeliveryStatus.SENDING]
    if claimed_before is None:
        conditions.append(col(BroadcastDelivery.claimed_by).is_distinct_from(worker_id))
    else:
        conditions.append(col(BroadcastDelivery.claimed_at) < claimed_before)
    result = await session.exec(update(BroadcastDelivery).where(*conditions).values(
        status=DeliveryStatus.UNKNOWN, error=INTERRUPTED))
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
