"""Citizen complaints: recording, status changes, SLA reminders and the detail view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.policy import Action, allowed
from bot.services import complaints_rules as rules_
from bot.services.regions import is_within, kecamatan_of, timezone_for
from bot.services.reminders import cancel_reminders, replace_reminders
from bot.services.workdays import local_date
from bot.settings import ComplaintSettings
from models.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintMedia,
    ComplaintStatus,
    ComplaintStatusChange,
    ComplaintTicketCounter,
    ForwardTarget,
)
from models.officials import AuditEntry, Official, OfficialStatus, Role

AUDIT_VIEW_NIK = "complaint.view_nik"


@dataclass(frozen=True)
class PhotoRef:
    file_id: str
    file_unique_id: str


@dataclass(frozen=True)
class ComplaintDraft:
    """What the recording official typed, before it is checked and stored."""

    citizen_name: str
    channel: ComplaintChannel
    category: ComplaintCategory
    description: str
    citizen_phone: str | None = None
    citizen_nik: str | None = None
    location_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photos: tuple[PhotoRef, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """What the citizen may be told: no NIK, no phone, no internal notes."""

    ticket: str
    category: ComplaintCategory
    timezone: str
    received_at: datetime
    due_on: date


@dataclass(frozen=True)
class ComplaintDetail:
    complaint: Complaint
    history: list[ComplaintStatusChange]
    photos: list[ComplaintMedia]
    identity_revealed: bool
    nik: str | None
    phone: str | None
    overdue: bool
    sensitive: bool
    names: dict[int, str] = field(default_factory=dict)


def validate_draft(draft: ComplaintDraft) -> ComplaintDraft:
    """The draft with every field checked and normalised; InvalidInput names the first bad one."""
    if len(draft.photos) > rules_.MAX_PHOTOS:
        raise InvalidInput("complaints.errors.too_many_photos", maximum=rules_.MAX_PHOTOS)
    if (draft.latitude is None) != (draft.longitude is None):
        raise InvalidInput("complaints.errors.location_length", maximum=rules_.MAX_LOCATION)
    if draft.latitude is not None and draft.longitude is not None:
        rules_.check_coordinates(draft.latitude, draft.longitude)
    return ComplaintDraft(
        citizen_name=rules_.check_citizen_name(draft.citizen_name),
        channel=ComplaintChannel(draft.channel),
        category=rules_.category_of(draft.category),
        description=rules_.check_description(draft.description),
        citizen_phone=rules_.check_phone(draft.citizen_phone) if draft.citizen_phone else None,
        citizen_nik=rules_.check_nik(draft.citizen_nik) if draft.citizen_nik else None,
        location_text=rules_.check_location(draft.location_text) if draft.location_text else None,
        latitude=draft.latitude,
        longitude=draft.longitude,
        photos=draft.photos,
    )


async def _next_sequence(session: AsyncSession, year: int) -> int:
    """Bump the year's counter in one atomic upsert: the row lock serialises concurrent callers."""
    connection = await session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = ComplaintTicketCounter.__table__  # type: ignore[attr-defined]
    statement = (
        dialect.insert(table).values(year=year, last_sequence=1)
        .on_conflict_do_update(index_elements=[table.c.year],
                               set_={"last_sequence": table.c.last_sequence + 1})
        .returning(table.c.last_sequence)
    )
    return int((await session.exec(statement)).scalar_one())  # type: ignore[call-overload]


async def _active_officials(session: AsyncSession, role: Role) -> list[Official]:
    query = select(Official).where(Official.role == role,
                                   Official.status == OfficialStatus.ACTIVE)
    return list((await session.exec(query)).all())


async def camats_of(session: AsyncSession, region_code: str) -> list[Official]:
    """Active camats of the kecamatan a region lies in."""
    kecamatan = kecamatan_of(region_code)
    return [o for o in await _active_officials(session, Role.CAMAT) if o.region_code == kecamatan]


async def admins_of(session: AsyncSession, region_code: str) -> list[Official]:
    """Active admins whose area holds the region; superadmins when no admin covers it."""
    admins = [o for o in await _active_officials(session, Role.ADMIN)
              if o.region_code is not None and is_within(region_code, o.region_code)]
    return admins or await _active_officials(session, Role.SUPERADMIN)


async def _replan(session: AsyncSession, clock: Clock, complaint: Complaint,
                  rules: ComplaintSettings) -> None:
    assert complaint.id is not None
    if complaint.status in rules_.CLOSED_STATUSES:
        await cancel_reminders(session, target_type=rules_.TARGET_TYPE, target_id=complaint.id)
        return
    camat_ids = [o.id for o in await camats_of(session, complaint.region_code) if o.id]
    admin_ids = [o.id for o in await admins_of(session, complaint.region_code) if o.id]
    planned = rules_.escalation_plan(complaint, camat_ids=camat_ids, admin_ids=admin_ids,
                                     rules=rules)
    await replace_reminders(session, clock, target_type=rules_.TARGET_TYPE,
                            target_id=complaint.id, planned=planned)


async def record_complaint(session: AsyncSession, clock: Clock, *, recorder: Official,
                           draft: ComplaintDraft, rules: ComplaintSettings) -> Complaint:
    """Store a new complaint with its ticket number, first history entry and SLA reminders."""
    if not allowed(recorder, Action.COMPLAINT_RECORD) or recorder.region_code is None:
        raise NotAllowed("complaints.errors.not_allowed")
    assert recorder.id is not None
    checked = validate_draft(draft)
    now = clock.now()
    region_code = recorder.region_code
    year = local_date(now, timezone_for(region_code)).year
    sequence = await _next_sequence(session, year)
    deadline = rules_.deadline_for(now, region_code, checked.category, rules)
    complaint = Complaint(
        ticket=rules_.format_ticket(year, sequence), year=year, sequence=sequence,
        region_code=region_code, recorded_by_id=recorder.id, assignee_id=recorder.id,
        citizen_name=checked.citizen_name, citizen_phone=checked.citizen_phone,
        citizen_nik=checked.citizen_nik, channel=checked.channel, category=checked.category,
        description=checked.description, location_text=checked.location_text,
        latitude=checked.latitude, longitude=checked.longitude,
        status=ComplaintStatus.DITERIMA, received_at=now, due_on=deadline.due_on,
        due_at=deadline.due_at, updated_at=now,
    )
    session.add(complaint)
    await session.flush()
    assert complaint.id is not None
    session.add(ComplaintStatusChange(complaint_id=complaint.id, from_status=None,
                                      to_status=ComplaintStatus.DITERIMA,
                                      actor_id=recorder.id, at=now))
    for photo in checked.photos:
        session.add(ComplaintMedia(complaint_id=complaint.id, file_id=photo.file_id,
                                   file_unique_id=photo.file_unique_id,
                                   added_by_id=recorder.id, added_at=now))
    await session.flush()
    await _replan(session, clock, complaint, rules)
    return complaint


def receipt_for(complaint: Complaint) -> Receipt:
    return Receipt(ticket=complaint.ticket, category=ComplaintCategory(complaint.category),
                   timezone=timezone_for(complaint.region_code),
                   received_at=complaint.received_at, due_on=complaint.due_on)


async def load_visible(session: AsyncSession, *, viewer: Official, complaint_id: int,
                       rules: ComplaintSettings, for_update: bool = False) -> Complaint:
    """The complaint if the viewer may see it; otherwise NotFound (existence is not leaked)."""
    if not allowed(viewer, Action.COMPLAINT_LIST):
        raise NotAllowed("complaints.errors.not_allowed")
    query = select(Complaint).where(Complaint.id == complaint_id)
    if for_update:
        query = query.with_for_update()
    complaint = (await session.exec(query)).first()
    if complaint is None or not rules_.can_view(viewer, complaint, rules):
        raise NotFound("complaints.errors.not_found")
    return complaint


async def change_status(
    session: AsyncSession, clock: Clock, *, actor: Official, complaint_id: int,
    target: ComplaintStatus, rules: ComplaintSettings, note: str | None = None,
    forward_to: ForwardTarget | None = None, agency: str | None = None,
    expected_status: ComplaintStatus | None = None,
) -> Complaint:
    """Move a complaint along diterima → diproses → diteruskan → selesai/ditolak, with history.

    `expected_status` is the status the actor saw: a stale button is refused, not applied.
    """
    if not allowed(actor, Action.COMPLAINT_HANDLE):
        raise NotAllowed("complaints.errors.not_allowed")
    assert actor.id is not None
    complaint = await load_visible(session, viewer=actor, complaint_id=complaint_id,
                                   rules=rules, for_update=True)
    current = ComplaintStatus(complaint.status)
    if expected_status is not None and current != expected_status:
        raise Conflict("complaints.errors.stale", ticket=complaint.ticket)
    target = ComplaintStatus(target)
    rules_.check_transition(current, target)
    closing = target in rules_.CLOSED_STATUSES
    checked_note = rules_.check_note(note, required=closing)
    now = clock.now()
    change = ComplaintStatusChange(complaint_id=complaint_id, from_status=current,
                                   to_status=target, actor_id=actor.id, at=now,
                                   note=checked_note)
    if target == ComplaintStatus.DITERUSKAN:
        await _forward(session, complaint, change, forward_to=forward_to, agency=agency,
                       rules=rules)
    if closing:
        complaint.resolution_note = checked_note
        complaint.closed_at = now
    complaint.status = target
    complaint.updated_at = now
    session.add(complaint)
    session.add(change)
    await session.flush()
    await _replan(session, clock, complaint, rules)
    return complaint


async def _forward(session: AsyncSession, complaint: Complaint, change: ComplaintStatusChange,
                   *, forward_to: ForwardTarget | None, agency: str | None,
                   rules: ComplaintSettings) -> None:
    """Hand the complaint to the camat (who becomes its assignee) or note the agency (OPD)."""
    if forward_to is None:
        raise InvalidInput("complaints.errors.forward_target")
    target = ForwardTarget(forward_to)
    if target == ForwardTarget.AGENCY:
        complaint.forwarded_to = target
        complaint.forwarded_agency = rules_.check_agency(agency or "")
    else:
        if rules_.is_sensitive(complaint.category, rules):
            raise NotAllowed("complaints.errors.sensitive_to_camat")
        assignee = await session.get(Official, complaint.assignee_id)
        if assignee is not None and assignee.role == Role.CAMAT:
            raise Conflict("complaints.errors.already_with_camat")
        camats = await camats_of(session, complaint.region_code)
        if not camats or camats[0].id is None:
            raise NotFound("complaints.errors.no_camat")
        complaint.forwarded_to = target
        complaint.forwarded_agency = None
        complaint.assignee_id = camats[0].id
    change.forwarded_to = complaint.forwarded_to
    change.forwarded_agency = complaint.forwarded_agency


async def open_complaint(session: AsyncSession, clock: Clock, *, viewer: Official,
                         complaint_id: int, rules: ComplaintSettings) -> ComplaintDetail:
    """The detail view; a full NIK shown to its recorder or an admin is written to the audit log."""
    complaint = await load_visible(session, viewer=viewer, complaint_id=complaint_id,
                                   rules=rules)
    reveal = rules_.can_reveal_identity(viewer, complaint)
    history = list((await session.exec(
        select(ComplaintStatusChange).where(ComplaintStatusChange.complaint_id == complaint_id)
        .order_by(col(ComplaintStatusChange.at), col(ComplaintStatusChange.id))
    )).all())
    photos = list((await session.exec(
        select(ComplaintMedia).where(ComplaintMedia.complaint_id == complaint_id)
        .order_by(col(ComplaintMedia.id))
    )).all())
    people = {complaint.recorded_by_id, complaint.assignee_id} | {h.actor_id for h in history}
    officials = (await session.exec(select(Official).where(col(Official.id).in_(people)))).all()
    now = clock.now()
    if reveal and complaint.citizen_nik:
        assert viewer.id is not None
        session.add(AuditEntry(at=now, actor_id=viewer.id, action=AUDIT_VIEW_NIK,
                               subject=complaint.ticket))
        await session.flush()
    return ComplaintDetail(
        complaint=complaint, history=history, photos=photos, identity_revealed=reveal,
        nik=complaint.citizen_nik if reveal else rules_.mask(complaint.citizen_nik),
        phone=complaint.citizen_phone if reveal else rules_.mask(complaint.citizen_phone),
        overdue=rules_.is_overdue(complaint, now),
        sensitive=rules_.is_sensitive(complaint.category, rules),
        names={o.id: o.full_name for o in officials if o.id is not None},
    )


async def photos_of(session: AsyncSession, *, viewer: Official, complaint_id: int,
                    rules: ComplaintSettings) -> list[ComplaintMedia]:
    """The photos of a complaint the viewer may see (no identity shown, so nothing audited)."""
    await load_visible(session, viewer=viewer, complaint_id=complaint_id, rules=rules)
    query = select(ComplaintMedia).where(ComplaintMedia.complaint_id == complaint_id)
    return list((await session.exec(query.order_by(col(ComplaintMedia.id)))).all())


async def people_to_tell(session: AsyncSession, complaint: Complaint, *,
                         actor: Official) -> list[Official]:
    """Who should hear about a status change: recorder and assignee, never the actor."""
    ids = {complaint.recorded_by_id, complaint.assignee_id} - {actor.id}
    officials = [await session.get(Official, official_id) for official_id in sorted(ids)]
    return [o for o in officials if o is not None and o.status == OfficialStatus.ACTIVE]

