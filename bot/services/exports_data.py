"""What an export contains: four datasets, their columns, and their rows streamed in chunks.

Rows come from one streamed SELECT per dataset (server-side cursor on PostgreSQL), so
100,000 rows never sit in memory at once. Times become naive local datetimes of the row's
own zone (a spreadsheet cell has no zone; the "Zona waktu" column names it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import ZONE_ABBREVIATIONS, Translator
from bot.services.complaints_rules import mask
from bot.services.recap import KECAMATAN_CODE_LENGTH, OPEN_COMPLAINTS
from bot.services.recap_format import label
from bot.services.recap_period import Period
from bot.services.regions import timezone_for, within_clause
from models.complaints import Complaint
from models.drives import Drive, DriveStatus, DriveTarget
from models.incidents import Incident
from models.meetings import Meeting, MeetingInvite, MeetingStatus
from models.officials import Official
from models.regions import Region

CHUNK_ROWS = 2000
_VILLAGE_PARTS = 4


class CellKind(StrEnum):
    TEXT = "text"
    DATETIME = "datetime"
    NUMBER = "number"
    DECIMAL = "decimal"
    PERCENT = "percent"


@dataclass(frozen=True)
class Column:
    key: str  # header: reports.columns.<key>
    kind: CellKind = CellKind.TEXT
    width: float = 14


@dataclass(frozen=True)
class ExportScope:
    """Everything a row builder needs: the filter, the reader's language, the region names."""

    area_code: str | None
    period: Period
    now: datetime
    full_identity: bool
    tr: Translator
    names: dict[str, str]

    def kecamatan(self, code: str | None) -> str:
        if not code or len(code) < KECAMATAN_CODE_LENGTH:
            return ""
        return self.names.get(code[:KECAMATAN_CODE_LENGTH], "")

    def village(self, code: str | None) -> str:
        return self.names.get(code, "") if code and code.count(".") + 1 == _VILLAGE_PARTS else ""


Rows = AsyncIterator[list[list[Any]]]


@dataclass(frozen=True)
class Dataset:
    name: str  # sheet: reports.export.sheets.<name>, CSV file: reports.export.files.<name>
    columns: tuple[Column, ...]
    rows: Callable[[AsyncSession, ExportScope], Rows]


def local(moment: datetime | None, timezone: str) -> datetime | None:
    """A naive local datetime for a spreadsheet cell (the zone is in its own column)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)


def zone(timezone: str) -> str:
    return ZONE_ABBREVIATIONS.get(timezone, timezone)


def _within(column: Any, area: str | None) -> Any:
    clause = within_clause(column, area)
    return sa.true() if clause is True else clause


async def region_names(session: AsyncSession, area: str | None) -> dict[str, str]:
    """Names of every region in the area (a kab/kota has a few hundred)."""
    rows = (await session.exec(select(Region.code, Region.name)
                               .where(_within(Region.code, area)))).all()
    return dict(rows)


async def _stream(session: AsyncSession, query: Any) -> AsyncIterator[list[Any]]:
    result = await session.stream(query.execution_options(yield_per=CHUNK_ROWS))
    async for chunk in result.partitions(CHUNK_ROWS):
        yield list(chunk)


# ---- incidents ----------------------------------------------------------------------------

INCIDENT_COLUMNS = (
    Column("ticket", width=17), Column("reported_at", CellKind.DATETIME, 17),
    Column("occurred_at", CellKind.DATETIME, 17), Column("zone", width=8),
    Column("category", width=15), Column("urgency", width=11), Column("status", width=16),
    Column("kecamatan", width=18), Column("village", width=20),
    Column("region_code", width=15), Column("reporter", width=24),
    Column("address", width=32), Column("latitude", CellKind.DECIMAL, 11),
    Column("longitude", CellKind.DECIMAL, 11), Column("description", width=60),
    Column("updated_at", CellKind.DATETIME, 17),
)


async def incident_rows(session: AsyncSession, scope: ExportScope) -> Rows:
    query = (
        select(Incident.ticket, Incident.created_at, Incident.occurred_at, Incident.category,
               Incident.urgency, Incident.status, Incident.region_code, Official.full_name,
               Incident.address, Incident.latitude, Incident.longitude, Incident.description,
               Incident.updated_at)
        .join(Official, col(Official.id) == col(Incident.reporter_id))
        .where(col(Incident.created_at) >= scope.period.start,
               col(Incident.created_at) < scope.period.end,
               _within(Incident.region_code, scope.area_code))
        .order_by(col(Incident.created_at), col(Incident.id))
    )
    tr = scope.tr
    async for chunk in _stream(session, query):
        rows = []
        for (ticket, created, occurred, category, urgency, status, code, reporter, address,
             latitude, longitude, description, updated) in chunk:
            tz = timezone_for(code)
            rows.append([
                ticket, local(created, tz), local(occurred, tz), zone(tz),
                label(tr, "incident_category", category), label(tr, "incident_urgency", urgency),
                label(tr, "incident_status", status), scope.kecamatan(code),
                scope.village(code), code, reporter, address, latitude, longitude,
                description, local(updated, tz),
            ])
        yield rows


# ---- complaints ---------------------------------------------------------------------------

COMPLAINT_COLUMNS = (
    Column("ticket", width=17), Column("received_at", CellKind.DATETIME, 17),
    Column("due_at", CellKind.DATETIME, 17), Column("closed_at", CellKind.DATETIME, 17),
    Column("zone", width=8), Column("status", width=12), Column("overdue", width=10),
    Column("category", width=15), Column("channel", width=15),
    Column("citizen_name", width=22), Column("nik", width=19), Column("phone", width=16),
    Column("kecamatan", width=18), Column("village", width=20),
    Column("region_code", width=15), Column("recorder", width=24),
    Column("description", width=60), Column("location", width=28),
    Column("forwarded_agency", width=24), Column("resolution", width=40),
    Column("resolution_hours", CellKind.DECIMAL, 12),
)


async def complaint_rows(session: AsyncSession, scope: ExportScope) -> Rows:
    query = (
        select(Complaint.ticket, Complaint.received_at, Complaint.due_at, Complaint.closed_at,
               Complaint.status, Complaint.category, Complaint.channel, Complaint.citizen_name,
               Complaint.citizen_nik, Complaint.citizen_phone, Complaint.region_code,
               Official.full_name, Complaint.description, Complaint.location_text,
               Complaint.forwarded_agency, Complaint.resolution_note)
        .join(Official, col(Official.id) == col(Complaint.recorded_by_id))
        .where(col(Complaint.received_at) >= scope.period.start,
               col(Complaint.received_at) < scope.period.end,
               _within(Complaint.region_code, scope.area_code))
        .order_by(col(Complaint.received_at), col(Complaint.id))
    )
    tr = scope.tr
    yes, no = tr("reports.export.yes"), tr("reports.export.no")
    async for chunk in _stream(session, query):
        rows = []
        for (ticket, received, due, closed, status, category, channel, citizen, nik, phone,
             code, recorder, description, location, agency, resolution) in chunk:
            tz = timezone_for(code)
            overdue = status in OPEN_COMPLAINTS and due < scope.now
            hours = round((closed - received).total_seconds() / 3600, 1) if closed else None
            rows.append([
                ticket, local(received, tz), local(due, tz), local(closed, tz), zone(tz),
                label(tr, "complaint_status", status), yes if overdue else no,
                label(tr, "complaint_category", category),
                label(tr, "complaint_channel", channel), citizen,
                nik if scope.full_identity else mask(nik),
                phone if scope.full_identity else mask(phone),
                scope.kecamatan(code), scope.village(code), code, recorder, description,
                location, agency, resolution, hours,
            ])
        yield rows


# ---- rakor attendance ---------------------------------------------------------------------

ATTENDANCE_COLUMNS = (
    Column("meeting", width=32), Column("starts_at", CellKind.DATETIME, 17),
    Column("zone", width=8), Column("venue", width=28), Column("invitee", width=24),
    Column("role", width=18), Column("kecamatan", width=18), Column("village", width=20),
    Column("region_code", width=15), Column("rsvp", width=15), Column("delegate", width=22),
    Column("delegate_position", width=20), Column("reason", width=30),
    Column("answered_at", CellKind.DATETIME, 17), Column("checked_in_at", CellKind.DATETIME, 17),
)


async def attendance_rows(session: AsyncSession, scope: ExportScope) -> Rows:
    query = (
        select(Meeting.title, Meeting.starts_at, Meeting.timezone, Meeting.venue,
               Official.full_name, Official.role, Official.region_code, MeetingInvite.rsvp,
               MeetingInvite.delegate_name, MeetingInvite.delegate_position,
               MeetingInvite.reason, MeetingInvite.answered_at, MeetingInvite.checked_in_at)
        .select_from(MeetingInvite)
        .join(Meeting, col(Meeting.id) == col(MeetingInvite.meeting_id))
        .join(Official, col(Official.id) == col(MeetingInvite.official_id))
        .where(Meeting.status == MeetingStatus.SCHEDULED,
               col(Meeting.starts_at) >= scope.period.start,
               col(Meeting.starts_at) < scope.period.end,
               _within(Official.region_code, scope.area_code))
        .order_by(col(Meeting.starts_at), col(Meeting.id), col(Official.full_name))
    )
    tr = scope.tr
    async for chunk in _stream(session, query):
        rows = []
        for (title, starts, tz, venue, invitee, role, code, rsvp, delegate, position, reason,
             answered, checked_in) in chunk:
            rows.append([
                title, local(starts, tz), zone(tz), venue, invitee, label(tr, "role", role),
                scope.kecamatan(code), scope.village(code), code, label(tr, "rsvp", rsvp),
                delegate, position, reason, local(answered, tz), local(checked_in, tz),
            ])
        yield rows


# ---- e-KTP drives -------------------------------------------------------------------------

DRIVE_COLUMNS = (
    Column("starts_at", CellKind.DATETIME, 17), Column("ends_at", CellKind.DATETIME, 17),
    Column("zone", width=8), Column("venue", width=28), Column("target_group", width=28),
    Column("kecamatan", width=18), Column("village", width=20),
    Column("region_code", width=15), Column("target", CellKind.NUMBER, 10),
    Column("realised", CellKind.NUMBER, 11), Column("rate", CellKind.PERCENT, 11),
    Column("reported_at", CellKind.DATETIME, 17), Column("reporter", width=24),
)


async def drive_rows(session: AsyncSession, scope: ExportScope) -> Rows:
    query = (
        select(Drive.starts_at, Drive.ends_at, Drive.timezone, Drive.place, Drive.target_group,
               DriveTarget.region_code, DriveTarget.target_count, DriveTarget.realised_count,
               DriveTarget.reported_at, Official.full_name)
        .select_from(DriveTarget)
        .join(Drive, col(Drive.id) == col(DriveTarget.drive_id))
        .join(Official, col(Official.id) == col(DriveTarget.reported_by_id), isouter=True)
        .where(Drive.status != DriveStatus.CANCELLED,
               col(Drive.starts_at) >= scope.period.start,
               col(Drive.starts_at) < scope.period.end,
               _within(DriveTarget.region_code, scope.area_code))
        .order_by(col(Drive.starts_at), col(Drive.id), col(DriveTarget.region_code))
    )
    async for chunk in _stream(session, query):
        rows = []
        for (starts, ends, tz, place, group, code, target, realised, reported,
             reporter) in chunk:
            rate = realised / target if realised is not None and target else None
            rows.append([
                local(starts, tz), local(ends, tz), zone(tz), place, group,
                scope.kecamatan(code), scope.village(code), code, target, realised, rate,
                local(reported, tz), reporter,
            ])
        yield rows


DATASETS = (
    Dataset("incidents", INCIDENT_COLUMNS, incident_rows),
    Dataset("complaints", COMPLAINT_COLUMNS, complaint_rows),
    Dataset("attendance", ATTENDANCE_COLUMNS, attendance_rows),
    Dataset("drives", DRIVE_COLUMNS, drive_rows),
)
