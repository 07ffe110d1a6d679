"""What to remind about a rakor, and when; the scheduler does the sending."""

from __future__ import annotations

from collections.abc import Iterable, Set
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, ensure_utc
from bot.services.reminders import PlannedReminder, cancel_reminders, replace_reminders
from bot.settings import ReminderSettings
from models.meetings import Meeting, MeetingInvite, MeetingStatus, RsvpStatus
from models.reminders import Reminder, ReminderStatus

TARGET_TYPE = "meeting"
DAY_BEFORE = "meeting.day_before"
HOUR_BEFORE = "meeting.hour_before"
RSVP_DUE = "meeting.rsvp_due"
COMING = frozenset({RsvpStatus.HADIR, RsvpStatus.DIWAKILKAN})

Identity = tuple[str, int, datetime]


def clock_time(text: str) -> time:
    """'08:00' → 08:00 (the settings already validated the shape)."""
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def local_day_at(moment: datetime, timezone: str, days: int, at: time) -> datetime:
    """`at` o'clock local time, `days` days from the local date of `moment`, in UTC."""
    zone = ZoneInfo(timezone)
    day = moment.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def still_wanted(planned: Iterable[PlannedReminder], *, now: datetime,
                 pending: Set[Identity] = frozenset()) -> list[PlannedReminder]:
    """Future reminders, plus past-due ones already waiting for the scheduler.

    A reminder whose moment has passed is not created afresh (it would arrive late and out of
    place), but one already pending is kept, so a replan at 08:00:05 cannot cancel it.
    """
    return [p for p in planned if p.due_at > now or p.identity() in pending]


async def pending_identities(session: AsyncSession, *, target_type: str,
                             target_id: int) -> set[Identity]:
    """The identities of the target's reminders still waiting to be sent."""
    rows = (await session.exec(select(Reminder).where(
        Reminder.target_type == target_type, Reminder.target_id == target_id,
        Reminder.status == ReminderStatus.PENDING))).all()
    return {(r.kind, r.recipient_id, ensure_utc(r.due_at)) for r in rows}


def plan_meeting_reminders(meeting: Meeting, invites: Iterable[MeetingInvite], *,
                           now: datetime, day_before_at: str, minutes_before: int,
                           pending: Set[Identity] = frozenset()) -> list[PlannedReminder]:
    """Those coming: the day before and shortly before; the silent: before the deadline."""
    if meeting.status == MeetingStatus.CANCELLED:
        return []
    assert meeting.id is not None
    payload: dict[str, object] = {"meeting_id": meeting.id}
    day_before = local_day_at(meeting.starts_at, meeting.timezone, -1, clock_time(day_before_at))
    shortly_before = meeting.starts_at - timedelta(minutes=minutes_before)
    rsvp_due = meeting.rsvp_deadline - timedelta(days=1)
    planned: list[PlannedReminder] = []
    for invite in invites:
        if invite.rsvp in COMING:
            planned.append(PlannedReminder(DAY_BEFORE, invite.official_id, day_before,
                                           expires_at=meeting.starts_at, payload=payload))
            planned.append(PlannedReminder(HOUR_BEFORE, invite.official_id, shortly_before,
                                           expires_at=meeting.starts_at, payload=payload))
        elif invite.rsvp == RsvpStatus.PENDING:
            planned.append(PlannedReminder(RSVP_DUE, invite.official_id, rsvp_due,
                                           expires_at=meeting.rsvp_deadline, payload=payload))
    return still_wanted(planned, now=now, pending=pending)


async def replan_meeting_reminders(session: AsyncSession, clock: Clock, meeting: Meeting,
                                   rules: ReminderSettings) -> None:
    """Make the stored reminders of the meeting match its current invitations."""
    assert meeting.id is not None
    if meeting.status == MeetingStatus.CANCELLED:
        await cancel_reminders(session, target_type=TARGET_TYPE, target_id=meeting.id)
        return
    invites = (await session.exec(
        select(MeetingInvite).where(MeetingInvite.meeting_id == meeting.id))).all()
    pending = await pending_identities(session, target_type=TARGET_TYPE, target_id=meeting.id)
    planned = plan_meeting_reminders(
        meeting, invites, now=clock.now(), day_before_at=rules.rakor_day_before_at,
        minutes_before=rules.rakor_minutes_before, pending=pending)
    await replace_reminders(session, clock, target_type=TARGET_TYPE, target_id=meeting.id,
                            planned=planned)
