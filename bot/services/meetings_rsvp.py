"""Answering an invitation (Hadir / Tidak hadir / Diwakilkan), checking in, and the recap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.services.meetings import (
    Invitation,
    MeetingCancelled,
    MeetingNotAllowed,
    get_managed_meeting,
    invitations,
)
from bot.services.meetings_reminders import replan_meeting_reminders
from bot.services.regions import kecamatan_of
from bot.settings import ReminderSettings
from models.meetings import Meeting, MeetingInvite, MeetingStatus, RsvpStatus
from models.officials import Official, OfficialStatus
from models.regions import Region

CHECK_IN_OPENS_BEFORE = timedelta(minutes=30)
MAX_DELEGATE_CHARS = 120
MAX_REASON_CHARS = 300


class NotInvited(NotFound):
    key = "meetings.errors.not_invited"


class RsvpClosed(InvalidInput):
    key = "meetings.errors.rsvp_closed"


class CheckInNotOpen(InvalidInput):
    key = "meetings.errors.checkin_not_open"


class CheckInClosed(InvalidInput):
    key = "meetings.errors.checkin_closed"


async def my_invitation(session: AsyncSession, *, meeting_id: int,
                        official: Official) -> tuple[Meeting, MeetingInvite]:
    """The official's own invitation to the meeting, or a refusal."""
    if official.status != OfficialStatus.ACTIVE:
        raise MeetingNotAllowed()
    meeting = await session.get(Meeting, meeting_id)
    invite = (await session.exec(select(MeetingInvite).where(
        MeetingInvite.meeting_id == meeting_id,
        MeetingInvite.official_id == official.id))).first()
    if meeting is None or invite is None:
        raise NotInvited()
    return meeting, invite


def rsvp_open(meeting: Meeting, now: datetime) -> bool:
    """True while answers are accepted."""
    return meeting.status == MeetingStatus.SCHEDULED and now <= meeting.rsvp_deadline


async def ensure_can_answer(session: AsyncSession, clock: Clock, *, meeting_id: int,
                            official: Official) -> tuple[Meeting, MeetingInvite]:
    """Refuse early (before asking for a delegate or a reason) when answers are closed."""
    meeting, invite = await my_invitation(session, meeting_id=meeting_id, official=official)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingCancelled()
    if not rsvp_open(meeting, clock.now()):
        raise RsvpClosed()
    return meeting, invite


def check_delegate(name: str | None, position: str | None) -> tuple[str, str]:
    """The delegate's name and position, both needed for Diwakilkan."""
    name, position = (name or "").strip(), (position or "").strip()
    if not name or not position:
        raise InvalidInput("meetings.errors.delegate_required")
    if len(name) > MAX_DELEGATE_CHARS or len(position) > MAX_DELEGATE_CHARS:
        raise InvalidInput("meetings.errors.delegate_too_long", limit=MAX_DELEGATE_CHARS)
    return name, position


def check_reason(reason: str | None) -> str | None:
    """The optional reason for Tidak hadir, trimmed; None when blank."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput("meetings.errors.reason_too_long", limit=MAX_REASON_CHARS)
    return reason or None


async def answer_invitation(session: AsyncSession, clock: Clock, *, meeting_id: int,
                            official: Official, answer: RsvpStatus, rules: ReminderSettings,
                            delegate_name: str | None = None,
                            delegate_position: str | None = None,
                            reason: str | None = None) -> tuple[Meeting, MeetingInvite]:
    """Record (or change) the answer until the deadline; replan that person's reminders."""
    if answer == RsvpStatus.PENDING:
        raise InvalidInput()
    meeting, invite = await ensure_can_answer(session, clock, meeting_id=meeting_id,
                                              official=official)
    invite.delegate_name = invite.delegate_position = invite.reason = None
    if answer == RsvpStatus.DIWAKILKAN:
        invite.delegate_name, invite.delegate_position = check_delegate(
            delegate_name, delegate_position)
    elif answer == RsvpStatus.TIDAK_HADIR:
        invite.reason = check_reason(reason)
    invite.rsvp = answer
    invite.answered_at = clock.now()
    session.add(invite)
    await session.flush()
    await replan_meeting_reminders(session, clock, meeting, rules)
    return meeting, invite


def check_in_window(meeting: Meeting) -> tuple[datetime, datetime]:
    """From 30 minutes before the start until the end."""
    return meeting.starts_at - CHECK_IN_OPENS_BEFORE, meeting.ends_at


def _require_window(meeting: Meeting, now: datetime, *, until_end: bool = True) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingCancelled()
    opens, closes = check_in_window(meeting)
    if now < opens:
        raise CheckInNotOpen()
    if until_end and now > closes:
        raise CheckInClosed()


async def check_in(session: AsyncSession, clock: Clock, *, meeting_id: int,
                   official: Official) -> tuple[Meeting, MeetingInvite, bool]:
    """'Saya sudah hadir'; returns whether this press recorded it (False if already in)."""
    meeting, invite = await my_invitation(session, meeting_id=meeting_id, official=official)
    now = clock.now()
    _require_window(meeting, now)
    if invite.checked_in_at is not None:
        return meeting, invite, False
    invite.checked_in_at, invite.checked_in_by_id = now, official.id
    session.add(invite)
    await session.flush()
    return meeting, invite, True


async def mark_attendance(session: AsyncSession, clock: Clock, *, actor: Official,
                          meeting_id: int, official_id: int,
                          present: bool = True) -> MeetingInvite:
    """An admin records (or withdraws) someone's attendance, from 30 minutes before start."""
    meeting = await get_managed_meeting(session, actor=actor, meeting_id=meeting_id)
    now = clock.now()
    # admins may fill in the attendance list after the meeting too
    _require_window(meeting, now, until_end=False)
    invite = (await session.exec(select(MeetingInvite).where(
        MeetingInvite.meeting_id == meeting_id,
        MeetingInvite.official_id == official_id))).first()
    if invite is None:
        raise NotInvited()
    if present and invite.checked_in_at is None:
        invite.checked_in_at, invite.checked_in_by_id = now, actor.id
    elif not present:
        invite.checked_in_at = invite.checked_in_by_id = None
    session.add(invite)
    await session.flush()
    return invite


async def unanswered(session: AsyncSession, clock: Clock, *, actor: Official,
                     meeting_id: int) -> tuple[Meeting, list[Invitation]]:
    """Invitees who have not answered yet, for the admin's 'remind them' button."""
    meeting = await get_managed_meeting(session, actor=actor, meeting_id=meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingCancelled()
    if not rsvp_open(meeting, clock.now()):
        raise RsvpClosed()
    assert meeting.id is not None
    rows = await invitations(session, meeting.id)
    return meeting, [(i, o) for i, o in rows if i.rsvp == RsvpStatus.PENDING]


# --- recap --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecapEntry:
    official_id: int
    name: str
    role: str
    region_name: str
    rsvp: RsvpStatus
    delegate_name: str | None
    delegate_position: str | None
    reason: str | None
    present: bool


@dataclass(frozen=True)
class RecapGroup:
    """The invitees of one kecamatan with one answer."""

    kecamatan_code: str
    kecamatan_name: str
    entries: tuple[RecapEntry, ...]


@dataclass(frozen=True)
class MeetingRecap:
    meeting: Meeting
    counts: dict[RsvpStatus, int]
    confirmed: int
    present: int
    total: int
    groups: dict[RsvpStatus, tuple[RecapGroup, ...]]
    entries: tuple[RecapEntry, ...]


RECAP_ORDER = (RsvpStatus.HADIR, RsvpStatus.DIWAKILKAN, RsvpStatus.TIDAK_HADIR,
               RsvpStatus.PENDING)


async def meeting_recap(session: AsyncSession, *, actor: Official,
                        meeting_id: int) -> MeetingRecap:
    """Answers by kind and kecamatan, with names; confirmed versus actually present."""
    meeting = await get_managed_meeting(session, actor=actor, meeting_id=meeting_id)
    assert meeting.id is not None
    rows = await invitations(session, meeting.id)
    names = await _region_names(session, {o.region_code for _, o in rows if o.region_code})
    entries: list[tuple[str, RecapEntry]] = []
    for invite, official in rows:
        assert official.id is not None
        code = official.region_code or ""
        entries.append((kecamatan_of(code) or code, RecapEntry(
            official_id=official.id, name=official.full_name, role=official.role,
            region_name=names.get(code, code), rsvp=RsvpStatus(invite.rsvp),
            delegate_name=invite.delegate_name, delegate_position=invite.delegate_position,
            reason=invite.reason, present=invite.checked_in_at is not None)))
    kecamatan_names = await _region_names(session, {k for k, _ in entries})
    groups: dict[RsvpStatus, tuple[RecapGroup, ...]] = {}
    for status in RECAP_ORDER:
        by_kecamatan: dict[str, list[RecapEntry]] = {}
        for kecamatan, entry in entries:
            if entry.rsvp == status:
                by_kecamatan.setdefault(kecamatan, []).append(entry)
        groups[status] = tuple(
            RecapGroup(code, kecamatan_names.get(code, code),
                       tuple(sorted(members, key=lambda e: e.name)))
            for code, members in sorted(by_kecamatan.items(),
                                        key=lambda kv: kecamatan_names.get(kv[0], kv[0])))
    counts = {s: sum(1 for _, e in entries if e.rsvp == s) for s in RECAP_ORDER}
    return MeetingRecap(
        meeting=meeting, counts=counts,
        confirmed=counts[RsvpStatus.HADIR] + counts[RsvpStatus.DIWAKILKAN],
        present=sum(1 for _, e in entries if e.present), total=len(entries),
        groups=groups, entries=tuple(e for _, e in entries))


async def _region_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    regions = (await session.exec(select(Region).where(col(Region.code).in_(codes)))).all()
    return {r.code: r.name for r in regions}
