"""Finding complaints: scoped listing with filters, search, and the NIK-view audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.errors import InvalidInput, NotAllowed
from bot.policy import Action, allowed
from bot.services import complaints_rules as rules_
from bot.services.complaints import AUDIT_VIEW_NIK
from bot.services.regions import within_clause
from bot.settings import ComplaintSettings
from models.complaints import Complaint, ComplaintCategory, ComplaintStatus
from models.officials import AuditEntry, Official, Role

MIN_NAME_QUERY = 3
PAGE_SIZE = 5


@dataclass(frozen=True)
class ComplaintFilter:
    status: ComplaintStatus | None = None
    overdue: bool = False
    category: ComplaintCategory | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class ComplaintPage:
    items: list[Complaint]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total


class SearchKind(StrEnum):
    TICKET = "ticket"
    NIK = "nik"
    NAME = "name"


@dataclass(frozen=True)
class SearchResult:
    kind: SearchKind
    items: list[Complaint]


@dataclass(frozen=True)
class NikView:
    at: datetime
    actor_name: str
    ticket: str


def _as_clause(condition: object) -> Any:
    return sa.true() if condition is True else condition


def visibility_clause(viewer: Official, rules: ComplaintSettings) -> Any:
    """SQL twin of complaints_rules.can_view, so lists and detail views agree."""
    mine = col(Complaint.recorded_by_id) == viewer.id
    role = Role(viewer.role)
    if role == Role.SUPERADMIN:
        return sa.true()
    if role == Role.ADMIN:
        return sa.or_(mine, _as_clause(within_clause(Complaint.region_code, viewer.region_code)))
    if role == Role.CAMAT and viewer.region_code is not None:
        area = _as_clause(within_clause(Complaint.region_code, viewer.region_code))
        not_sensitive = col(Complaint.category).not_in(list(rules.sensitive_categories))
        return sa.or_(mine, sa.and_(area, not_sensitive))
    return mine


def _require_list(viewer: Official) -> None:
    if not allowed(viewer, Action.COMPLAINT_LIST):
        raise NotAllowed("complaints.errors.not_allowed")


def _filtered(query: Any, filters: ComplaintFilter, now: datetime) -> Any:
    if filters.status is not None:
        query = query.where(col(Complaint.status) == filters.status)
    if filters.overdue:
        query = query.where(col(Complaint.status).in_(list(rules_.OPEN_STATUSES)),
                            col(Complaint.due_at) < now)
    if filters.category is not None:
        query = query.where(col(Complaint.category) == filters.category)
    if filters.since is not None:
        query = query.where(col(Complaint.received_at) >= filters.since)
    if filters.until is not None:
        query = query.where(col(Complaint.received_at) < filters.until)
    return query


async def list_complaints(
    session: AsyncSession, clock: Clock, *, viewer: Official, rules: ComplaintSettings,
    filters: ComplaintFilter | None = None, limit: int = PAGE_SIZE, offset: int = 0,
) -> ComplaintPage:
    """Complaints the viewer may see, newest first, narrowed by status/overdue/category/period."""
    _require_list(viewer)
    filters = filters or ComplaintFilter()
    now = clock.now()
    visible = visibility_clause(viewer, rules)
    count_query = _filtered(select(func.count()).select_from(Complaint).where(visible),
                            filters, now)
    total = int((await session.exec(count_query)).one())
    query = _filtered(select(Complaint).where(visible), filters, now)
    query = query.order_by(col(Complaint.received_at).desc(), col(Complaint.id).desc())
    items = list((await session.exec(query.offset(max(offset, 0)).limit(limit))).all())
    return ComplaintPage(items=items, total=total, offset=max(offset, 0), limit=limit)


def search_kind(text: str) -> tuple[SearchKind, str]:
    """Tell a ticket number, a NIK and a name apart; refuse what can be none of them."""
    query = " ".join(text.split())
    if rules_.TICKET_PATTERN.match(query.upper()):
        return SearchKind.TICKET, query.upper()
    compact = query.replace(" ", "")
    if compact.isascii() and compact.isdigit():
        if len(compact) != rules_.NIK_DIGITS:
            raise InvalidInput("complaints.errors.search_nik_length", digits=rules_.NIK_DIGITS)
        return SearchKind.NIK, compact
    if len(query) < MIN_NAME_QUERY:
        raise InvalidInput("complaints.errors.search_too_short", minimum=MIN_NAME_QUERY)
    return SearchKind.NAME, query.lower()


async def search_complaints(
    session: AsyncSession, clock: Clock, *, viewer: Official, rules: ComplaintSettings,
    text: str, limit: int = 10,
) -> SearchResult:
    """By ticket number, by NIK (exact) or by part of the citizen's name, within scope."""
    _require_list(viewer)
    kind, needle = search_kind(text)
    query = select(Complaint).where(visibility_clause(viewer, rules))
    if kind == SearchKind.TICKET:
        query = query.where(col(Complaint.ticket) == needle)
    elif kind == SearchKind.NIK:
        query = query.where(col(Complaint.citizen_nik) == needle)
    else:
        query = query.where(func.lower(Complaint.citizen_name).contains(needle, autoescape=True))
    query = query.order_by(col(Complaint.received_at).desc(), col(Complaint.id).desc())
    return SearchResult(kind, list((await session.exec(query.limit(limit))).all()))


async def nik_views(session: AsyncSession, *, viewer: Official, limit: int = 20,
                    offset: int = 0) -> list[NikView]:
    """Who saw which complaint's full NIK and when, for admins, within their area."""
    if not allowed(viewer, Action.AUDIT_READ):
        raise NotAllowed("complaints.errors.not_allowed")
    area: Any = sa.true()
    if Role(viewer.role) != Role.SUPERADMIN:
        area = _as_clause(within_clause(Complaint.region_code, viewer.region_code))
    query = (
        select(AuditEntry, Official.full_name)
        .join(Complaint, col(Complaint.ticket) == col(AuditEntry.subject))
        .outerjoin(Official, col(Official.id) == col(AuditEntry.actor_id))
        .where(col(AuditEntry.action) == AUDIT_VIEW_NIK, area)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset(offset).limit(limit)
    )
    rows = (await session.exec(query)).all()
    return [NikView(at=entry.at, actor_name=name or "?", ticket=entry.subject)
            for entry, name in rows]
