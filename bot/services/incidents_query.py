"""Reading incident reports: visibility by scope, filtered paginated lists, one report's detail."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, not_, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.incidents import IncidentNotAllowed, IncidentNotFound
from bot.services.incidents_workflow import (
    can_follow_up,
    can_view,
    info_requests,
    next_statuses,
    status_history,
)
from bot.services.regions import describe, within_clause
from models.incidents import (
    Incident,
    IncidentCategory,
    IncidentInfoRequest,
    IncidentMedia,
    IncidentStatus,
    IncidentStatusChange,
    IncidentUrgency,
)
from models.officials import Official, OfficialStatus, Role

DEFAULT_PAGE_SIZE = 5
MAX_PAGE_SIZE = 50
OPEN_STATUSES = (IncidentStatus.BARU, IncidentStatus.DITERIMA, IncidentStatus.DITINDAKLANJUTI)


class Period(StrEnum):
    ALL = "all"
    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"


def period_start(period: Period, *, now: datetime, timezone: str) -> datetime | None:
    """When a list period begins; 'today' starts at local midnight of the viewer's zone."""
    if period == Period.TODAY:
        local = now.astimezone(ZoneInfo(timezone))
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == Period.WEEK:
        return now - timedelta(days=7)
    if period == Period.MONTH:
        return now - timedelta(days=30)
    return None


@dataclass(frozen=True)
class IncidentFilter:
    status: IncidentStatus | None = None
    category: IncidentCategory | None = None
    urgency: IncidentUrgency | None = None
    since: datetime | None = None
    until: datetime | None = None
    # lists for follow-up can ask for open reports only
    open_only: bool = False


@dataclass(frozen=True)
class IncidentPage:
    items: list[Incident]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def visibility_clause(viewer: Official, *, by_area_index: bool = True) -> Any:
    """SQL twin of can_view: own reports for a lurah, the region's reports for the chain.

    Without `by_area_index` the area condition is kept from choosing an index, for lists
    bounded by a period: the time index then reads at most the period's rows, while SQLite,
    which keeps no histograms, takes a kab/kota's code range for a narrow one and would read
    most of the table through the area's index (an admin's 30-day list: 190 ms against 10).
    """
    if viewer.status != OfficialStatus.ACTIVE:
        return false()
    own = Incident.reporter_id == viewer.id
    if viewer.role == Role.SUPERADMIN:
        return true()
    if viewer.role == Role.LURAH or viewer.region_code is None:
        return own
    region = Incident.region_code if by_area_index else Incident.region_code.concat("")
    return or_(own, within_clause(region, viewer.region_code))


def _filter_clauses(filters: IncidentFilter) -> list[Any]:
    clauses: list[Any] = []
    if filters.status is not None:
        clauses.append(Incident.status == filters.status)
    if filters.open_only:
        clauses.append(col(Incident.status).in_(OPEN_STATUSES))
    if filters.category is not None:
        clauses.append(Incident.category == filters.category)
    if filters.urgency is not None:
        clauses.append(Incident.urgency == filters.urgency)
    if filters.since is not None:
        clauses.append(col(Incident.created_at) >= filters.since)
    if filters.until is not None:
        clauses.append(col(Incident.created_at) < filters.until)
    return clauses


async def list_incidents(session: AsyncSession, *, viewer: Official,
                         filters: IncidentFilter | None = None, page: int = 1,
                         page_size: int = DEFAULT_PAGE_SIZE,
                         urgent_first: bool = False) -> IncidentPage:
    """One page of the reports the viewer may see, newest first (open emergencies on top when
    asked); a page past the end shows the last one, since buttons may be stale."""
    filters = filters or IncidentFilter()
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    clauses = [visibility_clause(viewer, by_area_index=filters.since is None),
               *_filter_clauses(filters)]
    total = (await session.exec(select(func.count()).select_from(Incident)
                                .where(*clauses))).one()
    pages = max(1, math.ceil(total / page_size))
    page = max(1, min(page, pages))
    offset = (page - 1) * page_size
    if not urgent_first:
        items = await _newest(session, clauses, offset, page_size)
        return IncidentPage(items=items, total=int(total), page=page, page_size=page_size)
    # Open emergencies come first. Read as two lists, each in the time index's order, rather
    # than sorted by a CASE over every matching row: the emergencies are few.
    open_emergency = and_(Incident.urgency == IncidentUrgency.DARURAT,
                          col(Incident.status).in_(OPEN_STATUSES))
    urgent = [*clauses, open_emergency]
    urgent_total = int((await session.exec(select(func.count()).select_from(Incident)
                                           .where(*urgent))).one())
    items: list[Incident] = []
    if offset < urgent_total:
        items = await _newest(session, urgent, offset, page_size)
    if len(items) < page_size:
        items += await _newest(session, [*clauses, not_(open_emergency)],
                               max(0, offset - urgent_total), page_size - len(items))
    return IncidentPage(items=items, total=int(total), page=page, page_size=page_size)


async def _newest(session: AsyncSession, clauses: list[Any], offset: int,
                  limit: int) -> list[Incident]:
    query = (select(Incident).where(*clauses)
             .order_by(col(Incident.created_at).desc(), col(Incident.id).desc())
             .offset(offset).limit(limit))
    return list((await session.exec(query)).all())


async def get_visible(session: AsyncSession, *, incident_id: int, viewer: Official) -> Incident:
    """The report if the viewer may see it; refuses forged or foreign ids alike."""
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise IncidentNotFound()
    if not can_view(viewer, incident):
        raise IncidentNotAllowed()
    return incident


async def find_by_ticket(session: AsyncSession, *, ticket: str, viewer: Official) -> Incident:
    query = select(Incident).where(Incident.ticket == ticket.strip().upper())
    incident = (await session.exec(query)).first()
    if incident is None:
        raise IncidentNotFound()
    if not can_view(viewer, incident):
        raise IncidentNotAllowed()
    return incident


async def incident_media(session: AsyncSession, incident_id: int) -> Sequence[IncidentMedia]:
    query = (select(IncidentMedia).where(IncidentMedia.incident_id == incident_id)
             .order_by(col(IncidentMedia.position), col(IncidentMedia.id)))
    return (await session.exec(query)).all()


@dataclass(frozen=True)
class IncidentDetail:
    """Everything a report's page shows, already checked against the viewer's rights."""

    incident: Incident
    reporter: Official
    region_name: str
    media: Sequence[IncidentMedia]
    history: Sequence[IncidentStatusChange]
    questions: Sequence[IncidentInfoRequest]
    actors: dict[int, Official] = field(default_factory=dict)
    can_follow_up: bool = False
    next_statuses: list[IncidentStatus] = field(default_factory=list)


async def incident_detail(session: AsyncSession, *, incident_id: int,
                          viewer: Official) -> IncidentDetail:
    incident = await get_visible(session, incident_id=incident_id, viewer=viewer)
    history = await status_history(session, incident_id)
    questions = await info_requests(session, incident_id)
    people = ({c.actor_id for c in history} | {q.asked_by_id for q in questions}
              | {incident.reporter_id})
    actors = {o.id: o for o in (await session.exec(
        select(Official).where(col(Official.id).in_(people)))).all() if o.id is not None}
    return IncidentDetail(
        incident=incident, reporter=actors[incident.reporter_id],
        region_name=await describe(session, incident.region_code),
        media=await incident_media(session, incident_id), history=history,
        questions=questions, actors=actors,
        can_follow_up=can_follow_up(viewer, incident),
        next_statuses=next_statuses(viewer, incident),
    )
