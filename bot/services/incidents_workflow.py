"""Follow-up of incident reports: who may act, status transitions, info requests, recipients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.services.incidents import (
    EmptyText,
    IncidentClosed,
    IncidentNotAllowed,
    IncidentNotFound,
    InfoAlreadyAnswered,
    InfoRequestNotFound,
    InvalidTransition,
    NoteTooLong,
    ReasonRequired,
)
from bot.services.regions import is_within, kecamatan_of
from models.incidents import Incident, IncidentInfoRequest, IncidentStatus, IncidentStatusChange
from models.officials import Official, OfficialStatus, Role

S = IncidentStatus
# forward steps may be skipped (a small matter can be closed at once); closed is final
ALLOWED_TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.BARU: frozenset({S.DITERIMA, S.DITINDAKLANJUTI, S.SELESAI, S.DITOLAK}),
    S.DITERIMA: frozenset({S.DITINDAKLANJUTI, S.SELESAI, S.DITOLAK}),
    S.DITINDAKLANJUTI: frozenset({S.SELESAI}),
    S.SELESAI: frozenset(),
    S.DITOLAK: frozenset(),
}
CLOSED_STATUSES = frozenset({S.SELESAI, S.DITOLAK})
# who may move a report, on top of being in its chain (see can_follow_up)
TRANSITION_ROLES: dict[IncidentStatus, frozenset[Role]] = {
    status: frozenset({Role.CAMAT, Role.ADMIN, Role.SUPERADMIN})
    for status in (S.DITERIMA, S.DITINDAKLANJUTI, S.SELESAI, S.DITOLAK)
}
NOTE_REQUIRED = frozenset({S.DITOLAK})
FOLLOW_UP_ROLES = frozenset({Role.CAMAT, Role.ADMIN, Role.SUPERADMIN})
MAX_NOTE_CHARS = 1000
MAX_QUESTION_CHARS = 1000
MAX_ANSWER_CHARS = 2000


def _active(official: Official | None) -> bool:
    return official is not None and official.status == OfficialStatus.ACTIVE


def oversees(official: Official, region_code: str) -> bool:
    """A superadmin oversees everything; anyone else only inside their own region."""
    if official.role == Role.SUPERADMIN:
        return True
    return official.region_code is not None and is_within(region_code, official.region_code)


def can_follow_up(official: Official | None, incident: Incident) -> bool:
    """The reporter's chain: the camat of that kecamatan, admins of its area, superadmins."""
    if not _active(official) or official is None or official.role not in FOLLOW_UP_ROLES:
        return False
    if official.id == incident.reporter_id:
        return False  # nobody closes their own report
    return oversees(official, incident.region_code)


def can_view(official: Official | None, incident: Incident) -> bool:
    """The reporter and their chain; nobody else, whatever callback data says."""
    if not _active(official) or official is None:
        return False
    if official.id == incident.reporter_id:
        return True
    if official.role == Role.LURAH:
        return False
    return oversees(official, incident.region_code)


def next_statuses(official: Official | None, incident: Incident) -> list[IncidentStatus]:
    """The statuses this official may move the report to now, in workflow order."""
    if not can_follow_up(official, incident) or official is None:
        return []
    allowed = ALLOWED_TRANSITIONS[IncidentStatus(incident.status)]
    return [s for s in IncidentStatus if s in allowed and official.role in TRANSITION_ROLES[s]]


async def _locked_incident(session: AsyncSession, incident_id: int) -> Incident:
    """Load the report with a row lock (PostgreSQL), so two presses cannot both apply."""
    query = (select(Incident).where(Incident.id == incident_id).with_for_update()
             .execution_options(populate_existing=True))
    incident = (await session.exec(query)).first()
    if incident is None:
        raise IncidentNotFound()
    return incident


@dataclass(frozen=True)
class StatusChanged:
    incident: Incident
    change: IncidentStatusChange


async def change_status(session: AsyncSession, clock: Clock, *, incident_id: int,
                        actor: Official, to_status: IncidentStatus,
                        note: str = "") -> StatusChanged:
    """Move a report along the workflow, recording who, when and why in its history."""
    incident = await _locked_incident(session, incident_id)
    if not can_follow_up(actor, incident):
        raise IncidentNotAllowed()
    current = IncidentStatus(incident.status)
    if to_status not in ALLOWED_TRANSITIONS[current] or actor.role not in TRANSITION_ROLES.get(
            to_status, frozenset()):
        raise InvalidTransition(current=current.value, wanted=to_status.value)
    note = note.strip()
    if to_status in NOTE_REQUIRED and not note:
        raise ReasonRequired()
    if len(note) > MAX_NOTE_CHARS:
        raise NoteTooLong(limit=MAX_NOTE_CHARS)
    now = clock.now()
    assert actor.id is not None
    # compare-and-set: SQLite has no row locks, so the status we checked must still hold
    moved = await session.exec(
        update(Incident).where(col(Incident.id) == incident_id, col(Incident.status) == current)
        .values(status=to_status, updated_at=now))
    if moved.rowcount != 1:
        raise InvalidTransition(current=current.value, wanted=to_status.value)
    change = IncidentStatusChange(incident_id=incident_id, from_status=current,
                                  to_status=to_status, actor_id=actor.id, at=now, note=note)
    session.add(change)
    await session.flush()
    await session.refresh(incident)
    return StatusChanged(incident, change)


async def status_history(session: AsyncSession, incident_id: int
                         ) -> Sequence[IncidentStatusChange]:
    query = (select(IncidentStatusChange).where(IncidentStatusChange.incident_id == incident_id)
             .order_by(col(IncidentStatusChange.at), col(IncidentStatusChange.id)))
    return (await session.exec(query)).all()


async def request_info(session: AsyncSession, clock: Clock, *, incident_id: int,
                       actor: Official, question: str) -> IncidentInfoRequest:
    """Ask the reporter a question about an open report."""
    incident = await _locked_incident(session, incident_id)
    if not can_follow_up(actor, incident):
        raise IncidentNotAllowed()
    if incident.status in CLOSED_STATUSES:
        raise IncidentClosed(status=incident.status)
    question = question.strip()
    if not question:
        raise EmptyText()
    if len(question) > MAX_QUESTION_CHARS:
        raise NoteTooLong(limit=MAX_QUESTION_CHARS)
    assert actor.id is not None
    request = IncidentInfoRequest(incident_id=incident_id, question=question,
                                  asked_by_id=actor.id, asked_at=clock.now())
    session.add(request)
    await session.flush()
    return request


async def answer_info(session: AsyncSession, clock: Clock, *, request_id: int,
                      reporter: Official, answer: str) -> tuple[IncidentInfoRequest, Incident]:
    """Attach the reporter's answer to the report; only once, only by the reporter."""
    query = (select(IncidentInfoRequest).where(IncidentInfoRequest.id == request_id)
             .with_for_update().execution_options(populate_existing=True))
    request = (await session.exec(query)).first()
    if request is None:
        raise InfoRequestNotFound()
    incident = await session.get(Incident, request.incident_id)
    if incident is None or incident.reporter_id != reporter.id or not _active(reporter):
        raise IncidentNotAllowed()
    if request.answered_at is not None:
        raise InfoAlreadyAnswered()
    answer = answer.strip()
    if not answer:
        raise EmptyText()
    if len(answer) > MAX_ANSWER_CHARS:
        raise NoteTooLong(limit=MAX_ANSWER_CHARS)
    now = clock.now()
    saved = await session.exec(
        update(IncidentInfoRequest)
        .where(col(IncidentInfoRequest.id) == request_id,
               col(IncidentInfoRequest.answered_at).is_(None))
        .values(answer=answer, answered_at=now))
    if saved.rowcount != 1:
        raise InfoAlreadyAnswered()
    incident.updated_at = now
    session.add(incident)
    await session.flush()
    await session.refresh(request)
    return request, incident


async def info_requests(session: AsyncSession, incident_id: int
                        ) -> Sequence[IncidentInfoRequest]:
    query = (select(IncidentInfoRequest).where(IncidentInfoRequest.incident_id == incident_id)
             .order_by(col(IncidentInfoRequest.asked_at), col(IncidentInfoRequest.id)))
    return (await session.exec(query)).all()


def _ancestors(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


async def recipients_for_notification(session: AsyncSession, incident: Incident
                                      ) -> list[Official]:
    """Active camat of the kecamatan, admins whose region contains it, then superadmins."""
    kecamatan = kecamatan_of(incident.region_code)
    query = select(Official).where(
        Official.status == OfficialStatus.ACTIVE,
        Official.id != incident.reporter_id,
        or_(
            and_(Official.role == Role.CAMAT, Official.region_code == kecamatan),
            and_(Official.role == Role.ADMIN,
                 col(Official.region_code).in_(_ancestors(incident.region_code))),
            Official.role == Role.SUPERADMIN,
        ),
    )
    rank = {Role.CAMAT: 0, Role.ADMIN: 1, Role.SUPERADMIN: 2}
    officials = (await session.exec(query)).all()
    return sorted(officials, key=lambda o: (rank[Role(o.role)], o.id or 0))
