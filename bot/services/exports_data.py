"""What an export contains: four datasets, their columns, and their rows streamed in chunks.

Rows come from one streamed SELECT per dataset (server-side cursor on PostgreSQL), so
100,000 rows never sit in memory at once. Times become naive local datetimes of the row's
own zone (a spreadsheet cell has no zone; the "Zona waktu" column names it).
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
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
    _labels: dict[tuple[str, str | None], str] = field(default_factory=dict, compare=False)

    def kecamatan(self, code: str | None) -> str:
        if not code or len(code) < KECAMATAN_CODE_LENGTH:
            return ""
        return self.names.get(code[:KECAMATAN_CODE_LENGTH], "")

    def village(self, code: str | None) -> str:
        return self.names.get(code, "") if code and code.count(".") + 1 == _VILLAGE_PARTS else ""

    def label(self, group: str, value: str | None) -> str:
        """An enum value's label, looked up once per export rather than once per row."""
        key = (group, value)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = html.unescape(label(self.tr, group, value))
        return found


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


def _table(model: Any) -> sa.Table:
    """The model's Core table: plain column selects skip the ORM's per-row work."""
    return model.__table__  # type: ignore[no-any-return]


def _columns(model: Any) -> Any:
    return _table(model).c


def _within(column: Any, area: str | None) -> Any:
    clause = within_clause(column, area)
    return sa.true() if clause is True else clause


async def region_names(session: AsyncSession, area: str | None) -> dict[str, str]:
    """Names of every region in the area (a kab/kota has a few hundred)."""
    rows = (await session.exec(select(col(Region.code), col(Region.name))
                               .where(_within(Region.code, area)))).all()
    return {code: name for code, name in rows}


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
    i, o = _columns(Incident), _columns(Official)
    query = (
        sa.select(i.ticket, i.created_at, i.occurred_at, i.category, i.urgency, i.status,
                  i.region_code, o.full_name, i.address, i.latitude, i.longitude,
                  i.description, i.updated_at)
        .join_from(_table(Incident), _table(Official), o.id == i.reporter_id)
        .where(i.created_at >= scope.period.start, i.created_at < scope.period.end,
               _within(i.region_code, scope.area_code))
        .order_by(i.created_at, i.id)
    )
    label = scope.label
    async for chunk in _stream(session, query):
        rows = []
        for (ticket, created, occurred, category, urgency, status, code, reporter, address,
             latitude, longitude, description, updated) in chunk:
            tz = timezone_for(code)
            rows.append([
                ticket, local(created, tz), local(occurred, tz), zone(tz),
                label("incident_category", category), label("incident_urgency", urgency),
                label("incident_status", status), scope.kecamatan(code),
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
    c, o = _columns(Complaint), _columns(Official)
    query = (
        sa.select(c.ticket, c.received_at, c.due_at, c.closed_at, c.status, c.category,
                  c.channel, c.citizen_name, c.citizen_nik, c.citizen_phone, c.region_code,
                  o.full_name, c.description, c.location_text, c.forwarded_agency,
                  c.resolution_note)
        .join_from(_table(Complaint), _table(Official), o.id == c.recorded_by_id)
        .where(c.received_at >= scope.period.start, c.received_at < scope.period.end,
               _within(c.region_code, scope.area_code))
        .order_by(c.received_at, c.id)
    )
    label = scope.label
    yes, no = scope.tr("reports.export.yes"), scope.tr("reports.export.no")
    async for chunk in _stream(session, query):
        rows = []
        for (ticket, received, due, closed, status, category, channel, citizen, nik, phone,
             code, recorder, description, location, agency, resolution) in chunk:
            tz = timezone_for(code)
            overdue = status in OPEN_COMPLAINTS and due < scope.now
            hours = round((closed - received).total_seconds() / 3600, 1) if closed else None
            rows.append([
                ticket, local(received, tz), local(due, tz), local(closed, tz), zone(tz),
                label("complaint_status", status), yes if overdue else no,
                label("complaint_category", category), label("complaint_channel", channel),
                citizen,
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
    m, v, o = _columns(Meeting), _columns(MeetingInvite), _columns(Official)
    query = (
        sa.select(m.title, m.starts_at, m.timezone, m.venue, o.full_name, o.role,
                  o.region_code, v.rsvp, v.delegate_name, v.delegate_position, v.reason,
                  v.answered_at, v.checked_in_at)
        .select_from(_table(MeetingInvite).join(_table(Meeting), m.id == v.meeting_id)
                     .join(_table(Official), o.id == v.official_id))
        .where(m.status == MeetingStatus.SCHEDULED, m.starts_at >= scope.period.start,
               m.starts_at < scope.period.end, _within(o.region_code, scope.area_code))
        .order_by(m.starts_at, m.id, o.full_name)
    )
    label = scope.label
    async for chunk in _stream(session, query):
        rows = []
        for (title, starts, tz, venue, invitee, role, code, rsvp, delegate, position, reason,
             answered, checked_in) in chunk:
            rows.append([
                title, local(starts, tz), zone(tz), venue, invitee, label("role", role),
                scope.kecamatan(code), scope.village(code), code, label("rsvp", rsvp),
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
    d, t, o = _columns(Drive), _columns(DriveTarget), _columns(Official)
    query = (
        sa.select(d.starts_at, d.ends_at, d.timezone, d.place, d.target_group, t.region_code,
                  t.target_count, t.realised_count, t.reported_at, o.full_name)
        .select_from(_table(DriveTarget).join(_table(Drive), d.id == t.drive_id)
                     .outerjoin(_table(Official), o.id == t.reported_by_id))
        .where(d.status != DriveStatus.CANCELLED, d.starts_at >= scope.period.start,
               d.starts_at < scope.period.end, _within(t.region_code, scope.area_code))
        .order_by(d.starts_at, d.id, t.region_code)
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
