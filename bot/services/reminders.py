"""Planning reminders: features say what to remind and when; rows are the truth."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, ensure_utc
from models.reminders import Reminder, ReminderStatus


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder a feature wants sent: kind, recipient and the UTC moment."""

    kind: str
    recipient_id: int
    due_at: datetime
    expires_at: datetime | None = None
    urgent: bool = False
    payload: dict[str, object] = field(default_factory=dict)

    def identity(self) -> tuple[str, int, datetime]:
        return (self.kind, self.recipient_id, ensure_utc(self.due_at))


async def replace_reminders(
    session: AsyncSession,
    clock: Clock,
    *,
    target_type: str,
    target_id: int,
    planned: Iterable[PlannedReminder],
    kinds: Sequence[str] | None = None,
) -> tuple[int, int]:
    """Make the pending reminders of a target equal `planned`; returns (added, cancelled).

    Rows already sent are never touched, so replanning after an edit cannot send twice.
    `kinds` limits the replacement to those kinds (other kinds of the target stay as they are).
    """
    wanted = {p.identity(): p for p in planned}
    query = select(Reminder).where(
        Reminder.target_type == target_type, Reminder.target_id == target_id
    )
    existing = (await session.exec(query)).all()
    added = cancelled = 0
    present: set[tuple[str, int, datetime]] = set()
    for row in existing:
        if kinds is not None and row.kind not in kinds:
            continue
        key = (row.kind, row.recipient_id, ensure_utc(row.due_at))
        if key in wanted:
            present.add(key)
            if row.status == ReminderStatus.CANCELLED:
                row.status = ReminderStatus.PENDING
                session.add(row)
        elif row.status == ReminderStatus.PENDING:
            row.status = ReminderStatus.CANCELLED
            session.add(row)
            cancelled += 1
    now = clock.now()
    for key, plan in wanted.items():
        if key in present:
            continue
        session.add(Reminder(
            kind=plan.kind, target_type=target_type, target_id=target_id,
            recipient_id=plan.recipient_id, due_at=ensure_utc(plan.due_at),
            expires_at=ensure_utc(plan.expires_at) if plan.expires_at else None,
            urgent=plan.urgent, payload=json.dumps(plan.payload, default=str),
            status=ReminderStatus.PENDING, created_at=now,
        ))
        added += 1
    await session.flush()
    return added, cancelled


async def cancel_reminders(
    session: AsyncSession, *, target_type: str, target_id: int,
    kinds: Sequence[str] | None = None,
) -> int:
    """Cancel every pending reminder of a target (e.g. a cancelled meeting)."""
    query = select(Reminder).where(
        Reminder.target_type == target_type, Reminder.target_id == target_id,
        Reminder.status == ReminderStatus.PENDING,
    )
    rows = [r for r in (await session.exec(query)).all() if kinds is None or r.kind in kinds]
    for row in rows:
        row.status = ReminderStatus.CANCELLED
        session.add(row)
    await session.flush()
    return len(rows)


# ---- scheduling helpers (appended by the scheduler feature) -----------------------------
# Imports live here so the planning part above stays exactly as its authors wrote it.

from datetime import UTC, time, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from sqlalchemy import func  # noqa: E402
from sqlmodel import col  # noqa: E402

from bot.errors import Conflict, NotAllowed, NotFound  # noqa: E402
from bot.services.regions import is_within, scope_of, timezone_for, within_clause  # noqa: E402
from models.officials import Official  # noqa: E402

# ---- local time and quiet hours ---------------------------------------------------------


def parse_clock_time(value: str) -> time:
    """'21:00' → time(21, 0); settings already validated the HH:MM shape."""
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


def at_local_time(moment: datetime, *, timezone: str, at: str, days_before: int = 0) -> datetime:
    """UTC instant of HH:MM local time, `days_before` days before the local date of `moment`."""
    zone = ZoneInfo(timezone)
    day = moment.astimezone(zone).date() - timedelta(days=days_before)
    return datetime.combine(day, parse_clock_time(at), tzinfo=zone).astimezone(UTC)


def quiet_release(moment: datetime, *, timezone: str, quiet_start: str, quiet_end: str) -> datetime:
    """When a non-urgent reminder due at `moment` may go out: the moment, or the morning after.

    Quiet hours are local to the recipient's zone and may wrap midnight (21:00–06:00).
    Equal start and end mean no quiet hours.
    """
    start, end = parse_clock_time(quiet_start), parse_clock_time(quiet_end)
    if start == end:
        return ensure_utc(moment)
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    now_time = local.time()
    if start < end:
        quiet = start <= now_time < end
        release_day = local.date()
    else:
        quiet = now_time >= start or now_time < end
        release_day = local.date() + timedelta(days=1) if now_time >= start else local.date()
    if not quiet:
        return ensure_utc(moment)
    return datetime.combine(release_day, end, tzinfo=zone).astimezone(UTC)


def recipient_timezone(region_code: str | None, default: str) -> str:
    """The zone a recipient lives by: their region's, else the configured default."""
    return timezone_for(region_code) if region_code else default


# ---- upcoming reminders for admins (/pengingat) -----------------------------------------


@dataclass(frozen=True)
class UpcomingReminder:
    reminder: Reminder
    recipient: Official


async def upcoming_reminders(
    session: AsyncSession, clock: Clock, *, scope: str | None, limit: int = 20,
    offset: int = 0,
) -> list[UpcomingReminder]:
    """Pending reminders for recipients inside `scope`, soonest first."""
    query = (
        select(Reminder, Official)
        .join(Official, col(Official.id) == col(Reminder.recipient_id))
        .where(Reminder.status == ReminderStatus.PENDING,
               within_clause(Official.region_code, scope))  # type: ignore[arg-type]
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .offset(offset).limit(limit)
    )
    rows = (await session.exec(query)).all()
    return [UpcomingReminder(reminder, official) for reminder, official in rows]


async def count_upcoming_reminders(session: AsyncSession, *, scope: str | None) -> int:
    query = (
        select(func.count()).select_from(Reminder)
        .join(Official, col(Official.id) == col(Reminder.recipient_id))
        .where(Reminder.status == ReminderStatus.PENDING,
               within_clause(Official.region_code, scope))  # type: ignore[arg-type]
    )
    return int((await session.exec(query)).one())


async def cancel_reminder(
    session: AsyncSession, clock: Clock, *, reminder_id: int, actor: Official,
) -> Reminder:
    """Cancel one pending reminder of a recipient in the actor's area."""
    reminder = await session.get(Reminder, reminder_id)
    recipient = await session.get(Official, reminder.recipient_id) if reminder else None
    if reminder is None or recipient is None:
        raise NotFound("reminders.errors.not_found")
    if not is_within(recipient.region_code, scope_of(actor)):
        raise NotAllowed("reminders.errors.out_of_scope")
    if reminder.status != ReminderStatus.PENDING:
        raise Conflict("reminders.errors.not_pending")
    reminder.status = ReminderStatus.CANCELLED
    reminder.last_error = f"cancelled by official {actor.id} at {clock.now().isoformat()}"[:300]
    session.add(reminder)
    await session.flush()
    return reminder
