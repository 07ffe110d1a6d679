"""Rakor: creating a meeting, choosing invitees, and the changes every invitee hears about.

Answers, check-in and the recap live in `meetings_rsvp`; the checks of texts and times in
`meetings_rules`; reminder plans in `meetings_reminders`; listings in `meetings_query`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, ensure_utc
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.services.meetings_reminders import replan_meeting_reminders
from bot.services.meetings_rules import check_schedule, check_texts, check_venue
from bot.services.regions import is_within, level_for, scope_of, timezone_for, within_clause
from bot.services.reminders import cancel_reminders
from bot.settings import ReminderSettings
from models.meetings import (
    Meeting,
    MeetingChange,
    MeetingChangeKind,
    MeetingInvite,
    MeetingStatus,
    RsvpStatus,
)
from models.officials import Official, OfficialStatus, Role
from models.regions import RegionLevel

ADMIN_ROLES = frozenset({Role.ADMIN, Role.SUPERADMIN})
INVITEE_ROLES = frozenset({Role.CAMAT, Role.LURAH})


class MeetingNotFound(NotFound):
    key = "meetings.errors.not_found"


class MeetingNotAllowed(NotAllowed):
    key = "meetings.errors.not_allowed"


class MeetingCancelled(InvalidInput):
    key = "meetings.errors.cancelled"


@dataclass(frozen=True)
class InviteeSelection:
    """Who is invited: combinable groups, all inside the organising area."""

    all_camat: bool = False
    all_lurah: bool = False
    kecamatan_codes: frozenset[str] = field(default_factory=frozenset)
    official_ids: frozenset[int] = field(default_factory=frozenset)

    def is_empty(self) -> bool:
        """True when nobody would be invited."""
        return not (self.all_camat or self.all_lurah or self.kecamatan_codes
                    or self.official_ids)


@dataclass(frozen=True)
class MeetingDraft:
    """What an admin fills in for a new rakor."""

    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    rsvp_deadline: datetime
    agenda: str = ""
    venue_latitude: float | None = None
    venue_longitude: float | None = None


Invitation = tuple[MeetingInvite, Official]


# --- access -------------------------------------------------------------------------------

def require_admin(actor: Official) -> None:
    """Only active admins organise meetings."""
    if actor.status != OfficialStatus.ACTIVE or actor.role not in ADMIN_ROLES:
        raise MeetingNotAllowed()


def organising_area(actor: Official, area_code: str | None = None) -> str:
    """The kab/kota the meeting belongs to: the admin's own, or one a superadmin names."""
    require_admin(actor)
    area = area_code or actor.region_code
    if area is None:
        raise InvalidInput("meetings.errors.area_required")
    if not is_within(area, scope_of(actor)) or level_for(area) in (
            RegionLevel.PROVINSI, RegionLevel.KELURAHAN, RegionLevel.DESA):
        raise MeetingNotAllowed()
    return area


async def get_managed_meeting(session: AsyncSession, *, actor: Official,
                              meeting_id: int) -> Meeting:
    """A meeting the admin may manage (inside their scope)."""
    require_admin(actor)
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingNotFound()
    if not is_within(meeting.region_code, scope_of(actor)):
        raise MeetingNotAllowed()
    return meeting


async def invitations(session: AsyncSession, meeting_id: int) -> list[Invitation]:
    """Every invitation of a meeting with its official, by region then name."""
    query = (select(MeetingInvite, Official)
             .join(Official, col(Official.id) == col(MeetingInvite.official_id))
             .where(MeetingInvite.meeting_id == meeting_id)
             .order_by(col(Official.region_code), col(Official.full_name)))
    return list((await session.exec(query)).all())


# --- invitees -----------------------------------------------------------------------------

async def resolve_invitees(session: AsyncSession, *, actor: Official, area_code: str,
                           selection: InviteeSelection) -> list[Official]:
    """The active camat and lurah the selection names, all within the area; no duplicates."""
    require_admin(actor)
    if selection.is_empty():
        raise InvalidInput("meetings.errors.no_invitees")
    for code in selection.kecamatan_codes:
        if not is_within(code, area_code) or level_for(code) != RegionLevel.KECAMATAN:
            raise MeetingNotAllowed("meetings.errors.invitee_out_of_scope")
    query = select(Official).where(
        Official.status == OfficialStatus.ACTIVE,
        col(Official.role).in_([r.value for r in INVITEE_ROLES]),
        within_clause(Official.region_code, area_code),
    )
    candidates = (await session.exec(query)).all()
    chosen: dict[int, Official] = {}
    for official in candidates:
        assert official.id is not None
        if (
            (selection.all_camat and official.role == Role.CAMAT)
            or (selection.all_lurah and official.role == Role.LURAH)
            or any(is_within(official.region_code, k) for k in selection.kecamatan_codes)
            or official.id in selection.official_ids
        ):
            chosen[official.id] = official
    if not selection.official_ids <= {o.id for o in candidates}:
        raise MeetingNotAllowed("meetings.errors.invitee_out_of_scope")
    if not chosen:
        raise InvalidInput("meetings.errors.no_invitees")
    return sorted(chosen.values(), key=lambda o: (o.region_code or "", o.full_name))


async def invitee_candidates(session: AsyncSession, *, actor: Official, area_code: str,
                             name_filter: str = "", limit: int = 20) -> Sequence[Official]:
    """Camat and lurah in the area whose name contains the filter (for picking people)."""
    require_admin(actor)
    query = select(Official).where(
        Official.status == OfficialStatus.ACTIVE,
        col(Official.role).in_([r.value for r in INVITEE_ROLES]),
        within_clause(Official.region_code, area_code),
    )
    if name_filter.strip():
        query = query.where(col(Official.full_name).ilike(f"%{name_filter.strip()}%"))
    query = query.order_by(col(Official.full_name)).limit(limit)
    return (await session.exec(query)).all()


# --- lifecycle ----------------------------------------------------------------------------

async def create_meeting(session: AsyncSession, clock: Clock, *, actor: Official,
                         draft: MeetingDraft, selection: InviteeSelection,
                         rules: ReminderSettings, area_code: str | None = None,
                         ) -> tuple[Meeting, list[Invitation]]:
    """Store the meeting and one pending invitation per invitee; plan the reminders."""
    area = organising_area(actor, area_code)
    now = clock.now()
    title, venue, agenda = check_texts(draft.title, draft.venue, draft.agenda)
    check_venue(venue, draft.venue_latitude, draft.venue_longitude)
    check_schedule(now, draft.starts_at, draft.ends_at, draft.rsvp_deadline)
    invitees = await resolve_invitees(session, actor=actor, area_code=area, selection=selection)
    assert actor.id is not None
    meeting = Meeting(
        title=title, agenda=agenda, region_code=area, timezone=timezone_for(area),
        starts_at=ensure_utc(draft.starts_at), ends_at=ensure_utc(draft.ends_at),
        venue=venue, venue_latitude=draft.venue_latitude,
        venue_longitude=draft.venue_longitude, rsvp_deadline=ensure_utc(draft.rsvp_deadline),
        status=MeetingStatus.SCHEDULED, created_by_id=actor.id, created_at=now, updated_at=now,
    )
    session.add(meeting)
    await session.flush()
    assert meeting.id is not None
    for official in invitees:
        assert official.id is not None
        session.add(MeetingInvite(meeting_id=meeting.id, official_id=official.id))
    _log(session, meeting, actor, MeetingChangeKind.CREATED, now, f"{len(invitees)} invitees")
    await session.flush()
    await replan_meeting_reminders(session, clock, meeting, rules)
    return meeting, await invitations(session, meeting.id)


async def reschedule_meeting(session: AsyncSession, clock: Clock, *, actor: Official,
                             meeting_id: int, starts_at: datetime, ends_at: datetime,
                             rules: ReminderSettings, rsvp_deadline: datetime | None = None,
                             ) -> tuple[Meeting, list[Invitation]]:
    """Move the meeting; every answer is reset so everyone confirms again."""
    now = clock.now()
    meeting = await changeable_meeting(session, actor=actor, meeting_id=meeting_id, now=now)
    if rsvp_deadline is None:
        # keep the same notice before the start; if that is already over, allow until the start
        shifted = meeting.rsvp_deadline + (ensure_utc(starts_at) - meeting.starts_at)
        rsvp_deadline = shifted if shifted > now else ensure_utc(starts_at)
    check_schedule(now, starts_at, ends_at, rsvp_deadline)
    old_start = meeting.starts_at
    meeting.starts_at, meeting.ends_at = ensure_utc(starts_at), ensure_utc(ends_at)
    meeting.rsvp_deadline = ensure_utc(rsvp_deadline)
    meeting.updated_at = now
    session.add(meeting)
    assert meeting.id is not None
    rows = await invitations(session, meeting.id)
    for invite, _official in rows:
        reset_answer(invite)
        session.add(invite)
    _log(session, meeting, actor, MeetingChangeKind.RESCHEDULED, now,
         f"{old_start.isoformat()} -> {meeting.starts_at.isoformat()}")
    await session.flush()
    await replan_meeting_reminders(session, clock, meeting, rules)
    return meeting, rows


async def change_venue(session: AsyncSession, clock: Clock, *, actor: Official,
                       meeting_id: int, venue: str, latitude: float | None = None,
                       longitude: float | None = None) -> tuple[Meeting, list[Invitation]]:
    """A new venue (answers stay); every invitee is told."""
    now = clock.now()
    meeting = await changeable_meeting(session, actor=actor, meeting_id=meeting_id, now=now)
    venue = check_venue(venue, latitude, longitude)
    meeting.venue, meeting.venue_latitude, meeting.venue_longitude = venue, latitude, longitude
    meeting.updated_at = now
    session.add(meeting)
    _log(session, meeting, actor, MeetingChangeKind.VENUE, now, venue[:500])
    await session.flush()
    assert meeting.id is not None
    return meeting, await invitations(session, meeting.id)


async def cancel_meeting(session: AsyncSession, clock: Clock, *, actor: Official,
                         meeting_id: int, reason: str = "") -> tuple[Meeting, list[Invitation]]:
    """Cancel the meeting and every pending reminder of it."""
    now = clock.now()
    meeting = await changeable_meeting(session, actor=actor, meeting_id=meeting_id, now=now)
    meeting.status = MeetingStatus.CANCELLED
    meeting.updated_at = now
    session.add(meeting)
    _log(session, meeting, actor, MeetingChangeKind.CANCELLED, now, reason.strip()[:500])
    assert meeting.id is not None
    await cancel_reminders(session, target_type="meeting", target_id=meeting.id)
    return meeting, await invitations(session, meeting.id)


async def attach_minutes(session: AsyncSession, clock: Clock, *, actor: Official,
                         meeting_id: int, file_id: str, file_name: str | None,
                         mime_type: str | None) -> tuple[Meeting, list[Invitation]]:
    """Keep the notulen (a PDF) once the meeting has started; it goes to every invitee."""
    meeting = await get_managed_meeting(session, actor=actor, meeting_id=meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingCancelled()
    now = clock.now()
    if now < meeting.starts_at:
        raise InvalidInput("meetings.errors.minutes_too_early")
    if (mime_type or "").lower() != "application/pdf":
        raise InvalidInput("meetings.errors.minutes_not_pdf")
    meeting.minutes_file_id = file_id[:200]
    meeting.minutes_file_name = (file_name or "notulen.pdf")[:200]
    meeting.minutes_added_at = now
    meeting.updated_at = now
    session.add(meeting)
    _log(session, meeting, actor, MeetingChangeKind.MINUTES, now, meeting.minutes_file_name)
    await session.flush()
    assert meeting.id is not None
    return meeting, await invitations(session, meeting.id)


async def record_invitation_message(session: AsyncSession, *, invite_id: int, chat_id: int,
                                    message_id: int) -> None:
    """Remember where the invitation was delivered, to edit it when the answer changes."""
    invite = await session.get(MeetingInvite, invite_id)
    if invite is None:
        raise MeetingNotFound()
    invite.chat_id, invite.message_id = chat_id, message_id
    session.add(invite)
    await session.flush()


def reset_answer(invite: MeetingInvite) -> None:
    """Back to 'belum menjawab', as after a reschedule."""
    invite.rsvp = RsvpStatus.PENDING
    invite.delegate_name = invite.delegate_position = invite.reason = None
    invite.answered_at = invite.checked_in_at = None
    invite.checked_in_by_id = None


async def changeable_meeting(session: AsyncSession, *, actor: Official, meeting_id: int,
                        now: datetime) -> Meeting:
    """A managed meeting that can still change: not cancelled, not over."""
    meeting = await get_managed_meeting(session, actor=actor, meeting_id=meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingCancelled()
    if meeting.ends_at <= now:
        raise InvalidInput("meetings.errors.already_over")
    return meeting


def _log(session: AsyncSession, meeting: Meeting, actor: Official, kind: MeetingChangeKind,
         now: datetime, detail: str) -> None:
    assert meeting.id is not None and actor.id is not None
    session.add(MeetingChange(meeting_id=meeting.id, at=now, actor_id=actor.id, kind=kind,
                              detail=detail[:500]))
