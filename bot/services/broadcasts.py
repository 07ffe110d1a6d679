"""Broadcasts (siaran): compose, schedule, cancel, acknowledge, and the figures admins see.

Delivery itself (claiming recipients, recording Telegram's answers) is in
`bot.services.broadcasts_delivery`; the audience in `bot.services.broadcasts_audience`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, ensure_utc
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.broadcasts_audience import Audience, check_audience, count_audience
from bot.services.broadcasts_format import (
    check_broadcast_html,
    excerpt,
    header_room,
    sender_facts,
)
from bot.services.officials import audit
from bot.services.regions import is_within, scope_of, within_clause
from bot.services.reminders import PlannedReminder, replace_reminders
from models.broadcasts import (
    Broadcast,
    BroadcastContent,
    BroadcastDelivery,
    BroadcastStatus,
    DeliveryStatus,
)
from models.officials import Official, OfficialStatus, Role

ACK_REMINDER_KIND = "broadcast.ack_reminder"
TARGET_TYPE = "broadcast"
MAX_SCHEDULE_AHEAD = timedelta(days=30)
# a send time this far in the past still counts as "now" (the admin took a while to confirm)
SCHEDULE_SLACK = timedelta(minutes=5)
OPEN_STATUSES = (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)


def ensure_may_broadcast(official: Official) -> None:
    if official.status != OfficialStatus.ACTIVE or official.role not in (Role.ADMIN,
                                                                        Role.SUPERADMIN):
        raise NotAllowed("broadcasts.errors.not_allowed")


def ensure_oversees(actor: Official, broadcast: Broadcast) -> None:
    """The sender, or an admin whose area contains the broadcast's area."""
    ensure_may_broadcast(actor)
    if broadcast.sender_id == actor.id:
        return
    scope = scope_of(actor)
    if scope is not None and not is_within(broadcast.scope_code, scope):
        raise NotAllowed("broadcasts.errors.not_allowed")


@dataclass(frozen=True)
class BroadcastDraft:
    """What the admin composed, before it is stored."""

    content_type: BroadcastContent
    text: str
    audience: Audience
    file_id: str | None = None
    ask_ack: bool = False
    send_at: datetime | None = None


async def check_draft(session: AsyncSession, clock: Clock, *, sender: Official,
                      draft: BroadcastDraft) -> int:
    """Validate everything the preview shows; returns how many officials it reaches now."""
    ensure_may_broadcast(sender)
    caption = draft.content_type != BroadcastContent.TEXT
    if caption and not draft.file_id:
        raise InvalidInput("broadcasts.errors.missing_file")
    check_broadcast_html(draft.text, caption=caption,
                         reserved=header_room(await sender_facts(session, sender)))
    if draft.send_at is not None:
        send_at = ensure_utc(draft.send_at)
        now = clock.now()
        if send_at < now - SCHEDULE_SLACK:
            raise InvalidInput("broadcasts.errors.send_at_past")
        if send_at > now + MAX_SCHEDULE_AHEAD:
            raise InvalidInput("broadcasts.errors.send_at_far",
                               days=MAX_SCHEDULE_AHEAD.days)
    await check_audience(session, sender, draft.audience)
    count = await count_audience(session, draft.audience, scope=scope_of(sender),
                                 exclude_id=sender.id)
    if count == 0:
        raise InvalidInput("broadcasts.errors.empty_audience")
    return count


async def create_broadcast(session: AsyncSession, clock: Clock, *, sender: Official,
                           draft: BroadcastDraft) -> Broadcast:
    """Store a checked broadcast as scheduled (for now, or for its send time)."""
    await check_draft(session, clock, sender=sender, draft=draft)
    now = clock.now()
    send_at = max(ensure_utc(draft.send_at), now) if draft.send_at else now
    broadcast = Broadcast(
        sender_id=sender.id, scope_code=scope_of(sender), content_type=draft.content_type,
        text=draft.text, file_id=draft.file_id, audience=draft.audience.to_json(),
        ask_ack=draft.ask_ack, send_at=send_at, status=BroadcastStatus.SCHEDULED,
        created_at=now)
    session.add(broadcast)
    await session.flush()
    await audit(session, clock, actor_id=sender.id, action="broadcast.create",
                subject=f"broadcast:{broadcast.id}",
                detail=f"{draft.audience.to_json()} at {send_at.isoformat()}")
    return broadcast


async def set_progress_message(session: AsyncSession, *, broadcast_id: int, chat_id: int,
                               message_id: int) -> None:
    """Remember the message the worker edits with the progress figures."""
    await session.exec(update(Broadcast).where(col(Broadcast.id) == broadcast_id).values(
        progress_chat_id=chat_id, progress_message_id=message_id))


async def get_broadcast(session: AsyncSession, broadcast_id: int) -> Broadcast:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound("broadcasts.errors.not_found")
    return broadcast


async def cancel_broadcast(session: AsyncSession, clock: Clock, *, broadcast_id: int,
                           actor: Official) -> Broadcast:
    """Stop a broadcast: nobody still waiting receives it; those already sent keep theirs."""
    broadcast = await get_broadcast(session, broadcast_id)
    ensure_oversees(actor, broadcast)
    now = clock.now()
    changed = await session.exec(update(Broadcast).where(
        col(Broadcast.id) == broadcast_id, col(Broadcast.status).in_(OPEN_STATUSES),
    ).values(status=BroadcastStatus.CANCELLED, cancelled_at=now))
    if changed.rowcount != 1:
        raise Conflict("broadcasts.errors.not_open")
    await session.exec(update(BroadcastDelivery).where(
        BroadcastDelivery.broadcast_id == broadcast_id,
        BroadcastDelivery.status == DeliveryStatus.PENDING,
    ).values(status=DeliveryStatus.CANCELLED))
    await audit(session, clock, actor_id=actor.id, action="broadcast.cancel",
                subject=f"broadcast:{broadcast_id}")
    await session.refresh(broadcast)
    return broadcast


async def acknowledge(session: AsyncSession, clock: Clock, *, broadcast_id: int,
                      official: Official) -> bool:
    """Record "Sudah dibaca"; True the first time. Only a recipient can acknowledge."""
    delivery = (await session.exec(select(BroadcastDelivery).where(
        BroadcastDelivery.broadcast_id == broadcast_id,
        BroadcastDelivery.official_id == official.id))).first()
    if delivery is None:
        raise NotFound("broadcasts.errors.not_recipient")
    if delivery.acked_at is not None:
        return False
    delivery.acked_at = clock.now()
    if delivery.status == DeliveryStatus.UNKNOWN:
        delivery.status = DeliveryStatus.SENT  # pressing its button proves it arrived
    session.add(delivery)
    await session.flush()
    return True


@dataclass(frozen=True)
class BroadcastProgress:
    """Delivery figures of one broadcast."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    acked: int = 0

    def count(self, status: DeliveryStatus) -> int:
        return self.by_status.get(status.value, 0)

    @property
    def sent(self) -> int:
        return self.count(DeliveryStatus.SENT)

    @property
    def failed(self) -> int:
        return self.count(DeliveryStatus.FAILED) + self.count(DeliveryStatus.BLOCKED)

    @property
    def waiting(self) -> int:
        return self.count(DeliveryStatus.PENDING) + self.count(DeliveryStatus.SENDING)


async def progress(session: AsyncSession, broadcast_id: int) -> BroadcastProgress:
    rows = (await session.exec(
        select(BroadcastDelivery.status, func.count(), func.count(BroadcastDelivery.acked_at))
        .where(BroadcastDelivery.broadcast_id == broadcast_id)
        .group_by(BroadcastDelivery.status))).all()
    by_status = {str(status): int(n) for status, n, _ in rows}
    return BroadcastProgress(total=sum(by_status.values()), by_status=by_status,
                             acked=sum(int(a) for _, _, a in rows))


async def recent_broadcasts(session: AsyncSession, *, actor: Official, limit: int = 10,
                            ) -> list[tuple[Broadcast, BroadcastProgress]]:
    """The latest broadcasts in the actor's area, newest first, with their figures."""
    ensure_may_broadcast(actor)
    scope = scope_of(actor)
    query = select(Broadcast).where(
        (col(Broadcast.sender_id) == actor.id) | within_clause(Broadcast.scope_code, scope)
    ).order_by(col(Broadcast.created_at).desc(), col(Broadcast.id).desc()).limit(limit)
    broadcasts = (await session.exec(query)).all()
    return [(b, await progress(session, b.id)) for b in broadcasts if b.id is not None]


@dataclass(frozen=True)
class Acknowledgements:
    acked: Sequence[tuple[Official, datetime]]
    waiting: Sequence[Official]


async def acknowledgements(session: AsyncSession, *, broadcast_id: int,
                           actor: Official) -> Acknowledgements:
    """Who confirmed reading, and who received it but has not yet."""
    broadcast = await get_broadcast(session, broadcast_id)
    ensure_oversees(actor, broadcast)
    rows = (await session.exec(
        select(BroadcastDelivery, Official)
        .join(Official, col(Official.id) == col(BroadcastDelivery.official_id))
        .where(BroadcastDelivery.broadcast_id == broadcast_id,
               col(BroadcastDelivery.status).in_([DeliveryStatus.SENT, DeliveryStatus.UNKNOWN]))
        .order_by(col(Official.full_name)))).all()
    acked = [(o, d.acked_at) for d, o in rows if d.acked_at is not None]
    waiting = [o for d, o in rows if d.acked_at is None]
    return Acknowledgements(acked, waiting)


async def remind_unacknowledged(session: AsyncSession, clock: Clock, *, broadcast_id: int,
                                actor: Official) -> int:
    """Plan a reminder (with the "Sudah dibaca" button) for everyone yet to acknowledge."""
    broadcast = await get_broadcast(session, broadcast_id)
    ensure_oversees(actor, broadcast)
    if not broadcast.ask_ack:
        raise Conflict("broadcasts.errors.no_ack_requested")
    waiting = (await acknowledgements(session, broadcast_id=broadcast_id, actor=actor)).waiting
    now = clock.now()
    payload: dict[str, object] = {"broadcast_id": broadcast_id, "excerpt": excerpt(broadcast.text)}
    planned = [PlannedReminder(ACK_REMINDER_KIND, o.id, now, payload=payload)
               for o in waiting if o.id is not None and o.status == OfficialStatus.ACTIVE]
    await replace_reminders(session, clock, target_type=TARGET_TYPE, target_id=broadcast_id,
                            planned=planned, kinds=[ACK_REMINDER_KIND])
    await audit(session, clock, actor_id=actor.id, action="broadcast.remind_ack",
                subject=f"broadcast:{broadcast_id}", detail=f"{len(planned)} recipients")
    return len(planned)
