"""The recap (/rekap, weekly digest): SQL aggregates over an area and a period, as dataclasses.

Every figure comes from GROUP BY queries, so the cost does not grow with Python loops over
rows; what Python folds afterwards is at most one row per kecamatan × category × status.
Groups are per kecamatan: the first 8 characters of a region code ('32.77.03').
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.errors import NotAllowed
from bot.policy import Action, allowed
from bot.services.recap_period import Period
from bot.services.regions import describe, scope_of, timezone_for, within_clause
from bot.settings import Settings
from models.complaints import Complaint, ComplaintStatus
from models.drives import Drive, DriveStatus, DriveTarget
from models.incidents import Incident, IncidentStatus
from models.meetings import Meeting, MeetingInvite, MeetingStatus, RsvpStatus
from models.officials import Official, Role
from models.regions import Region

KECAMATAN_CODE_LENGTH = len("32.77.03")
OPEN_COMPLAINTS = (ComplaintStatus.DITERIMA, ComplaintStatus.DIPROSES, ComplaintStatus.DITERUSKAN)
_RSVP_FIELDS: dict[str, str] = {RsvpStatus.PENDING: "unanswered", RsvpStatus.HADIR: "hadir",
                                 RsvpStatus.TIDAK_HADIR: "tidak_hadir",
                                 RsvpStatus.DIWAKILKAN: "diwakilkan"}


@dataclass(frozen=True)
class RecapScope:
    """Whose figures: an area (None = everywhere), its zone, and categories kept out."""

    area_code: str | None
    timezone: str
    # complaint categories a camat may not see (sensitive ones such as pungli)
    hidden_categories: tuple[str, ...] = ()


def scope_for(official: Official, settings: Settings) -> RecapScope:
    """The camat's kecamatan, the admin's area, or everything for a superadmin."""
    if not allowed(official, Action.RECAP):
        raise NotAllowed("reports.errors.not_allowed")
    area = scope_of(official)
    if area is None and official.role != Role.SUPERADMIN:
        raise NotAllowed("reports.errors.no_area")
    hidden = tuple(settings.complaints.sensitive_categories) if official.role == Role.CAMAT \
        else ()
    zone = timezone_for(area) if area else settings.bot.default_timezone
    return RecapScope(area, zone, hidden)


# ---- figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentGroup:
    code: str
    name: str
    total: int
    by_category: dict[str, int]
    by_urgency: dict[str, int]
    by_status: dict[str, int]
    # category → urgency → count, for the chart's stacked bars
    by_category_urgency: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ComplaintFigures:
    received: int = 0
    open: int = 0
    overdue: int = 0
    resolved: int = 0
    rejected: int = 0
    median_resolution_hours: float | None = None


@dataclass(frozen=True)
class AttendanceGroup:
    code: str
    name: str
    invited: int = 0
    hadir: int = 0
    diwakilkan: int = 0
    tidak_hadir: int = 0
    unanswered: int = 0
    checked_in: int = 0

    @property
    def attending(self) -> int:
        return self.hadir + self.diwakilkan

    @property
    def attendance_rate(self) -> float | None:
        return self.attending / self.invited if self.invited else None

    @property
    def check_in_rate(self) -> float | None:
        return self.checked_in / self.invited if self.invited else None


@dataclass(frozen=True)
class DriveGroup:
    code: str
    name: str
    target: int = 0
    realised: int = 0
    places: int = 0
    reported: int = 0

    @property
    def rate(self) -> float | None:
        return self.realised / self.target if self.target else None


@dataclass(frozen=True)
class Recap:
    area_code: str | None
    area_name: str
    period: Period
    generated_at: datetime
    incidents: IncidentGroup
    incidents_by_kecamatan: tuple[IncidentGroup, ...]
    complaints: ComplaintFigures
    meetings: int
    attendance: AttendanceGroup
    attendance_by_kecamatan: tuple[AttendanceGroup, ...]
    drives: int
    drive_totals: DriveGroup
    drives_by_kecamatan: tuple[DriveGroup, ...]
    hidden_categories: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.incidents.total or self.complaints.received or self.meetings
                    or self.drives)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (the weekly digest keeps it in the reminder's payload)."""
        data = asdict(self)
        data["period"] = self.period.to_dict()
        data["generated_at"] = self.generated_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recap:
        def groups(kind: type[Any], items: list[dict[str, Any]]) -> tuple[Any, ...]:
            return tuple(kind(**item) for item in items)

        return cls(
            area_code=data["area_code"], area_name=data["area_name"],
            period=Period.from_dict(data["period"]),
            generated_at=datetime.fromisoformat(data["generated_at"]),
            incidents=IncidentGroup(**data["incidents"]),
            incidents_by_kecamatan=groups(IncidentGroup, data["incidents_by_kecamatan"]),
            complaints=ComplaintFigures(**data["complaints"]),
            meetings=int(data["meetings"]), attendance=AttendanceGroup(**data["attendance"]),
            attendance_by_kecamatan=groups(AttendanceGroup, data["attendance_by_kecamatan"]),
            drives=int(data["drives"]), drive_totals=DriveGroup(**data["drive_totals"]),
            drives_by_kecamatan=groups(DriveGroup, data["drives_by_kecamatan"]),
            hidden_categories=tuple(data.get("hidden_categories", ())),
        )


# ---- queries ------------------------------------------------------------------------------


def _kecamatan(column: Any) -> Any:
    # literal numbers, not bound ones: SQLite matches the query's expression to the one
    # indexed by ix_incident_kecamatan_cover only when they are written the same
    return func.substr(column, sa.literal_column("1"),
                       sa.literal_column(str(KECAMATAN_CODE_LENGTH)))


def _within(column: Any, area: str | None) -> Any:
    clause = within_clause(column, area)
    return sa.true() if clause is True else clause


def _hours_between(session: AsyncSession, start: Any, end: Any) -> Any:
    """end − start in hours, in the dialect's own date arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def _add(counter: dict[str, int], key: str, amount: int) -> None:
    counter[key] = counter.get(key, 0) + amount


async def _incidents(session: AsyncSession, scope: RecapScope, period: Period,
                     ) -> tuple[IncidentGroup, list[IncidentGroup]]:
    """One pass over the period's reports, grouped by kecamatan × category × urgency with
    the statuses counted alongside (a fourth key would make five times the groups to fold).

    SQLite has no hash aggregate: it reads the groups in ix_incident_kecamatan_cover's order,
    seeking each one's period, where sorting the period's rows would take three times as long.
    """
    kecamatan = _kecamatan(Incident.region_code).label("kecamatan")
    statuses = list(IncidentStatus)
    query = (
        select(kecamatan, Incident.category, Incident.urgency, func.count(),
               *(func.count(case((Incident.status == status, 1))) for status in statuses))
        .where(col(Incident.created_at) >= period.start, col(Incident.created_at) < period.end,
               _within(Incident.region_code, scope.area_code))
        .group_by(kecamatan, Incident.category, Incident.urgency)
    )
    totals: dict[str, IncidentGroup] = {}
    for code, category, urgency, count, *by_status in (await session.exec(query)).all():
        category, urgency = str(category), str(urgency)
        for key in (code or "-", ""):  # "" collects the whole area
            group = totals.get(key)
            if group is None:
                group = totals[key] = IncidentGroup(key, "", 0, {}, {}, {}, {})
            _add(group.by_category, category, count)
            _add(group.by_urgency, urgency, count)
            _add(group.by_category_urgency.setdefault(category, {}), urgency, count)
            for status, counted in zip(statuses, by_status, strict=True):
                if counted:
                    _add(group.by_status, str(status), counted)
    groups = [replace(g, total=sum(g.by_category.values())) for g in totals.values()]
    whole = next((g for g in groups if g.code == ""), IncidentGroup("", "", 0, {}, {}, {}, {}))
    return whole, [g for g in groups if g.code != ""]


async def _complaints(session: AsyncSession, clock: Clock, scope: RecapScope,
                      period: Period) -> ComplaintFigures:
    now = clock.now()
    is_open = col(Complaint.status).in_(list(OPEN_COMPLAINTS))
    conditions = [col(Complaint.received_at) >= period.start,
                  col(Complaint.received_at) < period.end,
                  _within(Complaint.region_code, scope.area_code)]
    if scope.hidden_categories:
        conditions.append(col(Complaint.category).not_in(list(scope.hidden_categories)))

    def counted(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    is_resolved = Complaint.status == ComplaintStatus.SELESAI
    row = (await session.exec(select(
        func.count(), counted(is_open), counted(is_open & (col(Complaint.due_at) < now)),
        counted(is_resolved), counted(Complaint.status == ComplaintStatus.DITOLAK),
        counted(is_resolved & col(Complaint.closed_at).is_not(None)),
    ).where(*conditions))).one()
    received, open_, overdue, resolved, rejected, timed = (int(value or 0) for value in row)
    median = await _median_resolution(session, conditions, timed) if timed else None
    return ComplaintFigures(received, open_, overdue, resolved, rejected, median)


async def _median_resolution(session: AsyncSession, conditions: list[Any],
                             count: int) -> float:
    """The median hours from receipt to 'selesai' of the `count` resolved complaints with a
    closing time, by ORDER BY/OFFSET (works on both DBs)."""
    hours = _hours_between(session, Complaint.received_at, Complaint.closed_at)
    resolved = [*conditions, Complaint.status == ComplaintStatus.SELESAI,
                col(Complaint.closed_at).is_not(None)]
    middle = (await session.exec(select(hours).where(*resolved).order_by(hours)
                                 .offset((count - 1) // 2).limit(2 - count % 2))).all()
    values = [float(value) for value in middle]
    return sum(values) / len(values)


async def _attendance(session: AsyncSession, clock: Clock, scope: RecapScope,
                      period: Period) -> tuple[int, AttendanceGroup, list[AttendanceGroup]]:
    """Invitations to rakor held in the period, by the invitee's kecamatan."""
    held_before = min(period.end, clock.now())
    conditions = [Meeting.status == MeetingStatus.SCHEDULED,
                  col(Meeting.starts_at) >= period.start, col(Meeting.starts_at) < held_before,
                  _within(Official.region_code, scope.area_code)]
    def joined(query: Any) -> Any:
        return (query.select_from(MeetingInvite)
                .join(Meeting, col(Meeting.id) == col(MeetingInvite.meeting_id))
                .join(Official, col(Official.id) == col(MeetingInvite.official_id))
                .where(*conditions))

    meetings = int((await session.exec(joined(select(func.count(func.distinct(Meeting.id))))
                                       )).one())
    kecamatan = _kecamatan(Official.region_code).label("kecamatan")
    query = joined(select(kecamatan, MeetingInvite.rsvp, func.count(),
                          func.count(col(MeetingInvite.checked_in_at)))
                   ).group_by(kecamatan, MeetingInvite.rsvp)
    counts: dict[str, dict[str, int]] = {}
    for code, rsvp, invited, checked_in in (await session.exec(query)).all():
        for key in (code or "-", ""):
            entry = counts.setdefault(key, {})
            _add(entry, "invited", invited)
            _add(entry, "checked_in", checked_in)
            answer = _RSVP_FIELDS.get(str(rsvp))
            if answer is not None:
                _add(entry, answer, invited)

    def group(code: str, entry: dict[str, int]) -> AttendanceGroup:
        return AttendanceGroup(code, "", **entry)

    whole = counts.pop("", {})
    return meetings, group("", whole), [group(code, entry) for code, entry in counts.items()]


async def _drives(session: AsyncSession, clock: Clock, scope: RecapScope,
                  period: Period) -> tuple[int, DriveGroup, list[DriveGroup]]:
    """e-KTP target versus realisasi of drives that began in the period, per kecamatan."""
    began_before = min(period.end, clock.now())
    conditions = [Drive.status != DriveStatus.CANCELLED,
                  col(Drive.starts_at) >= period.start, col(Drive.starts_at) < began_before,
                  _within(DriveTarget.region_code, scope.area_code)]
    def joined(query: Any) -> Any:
        return (query.select_from(DriveTarget)
                .join(Drive, col(Drive.id) == col(DriveTarget.drive_id)).where(*conditions))

    drives = int((await session.exec(joined(select(func.count(func.distinct(Drive.id))))
                                     )).one())
    kecamatan = _kecamatan(DriveTarget.region_code).label("kecamatan")
    query = joined(select(
        kecamatan, func.coalesce(func.sum(DriveTarget.target_count), 0),
        func.coalesce(func.sum(DriveTarget.realised_count), 0), func.count(),
        func.count(col(DriveTarget.reported_at)),
    )).group_by(kecamatan)
    groups = [DriveGroup(code, "", int(target), int(realised), places, reported)
              for code, target, realised, places, reported in (await session.exec(query)).all()]
    whole = DriveGroup("", "", sum(g.target for g in groups), sum(g.realised for g in groups),
                       sum(g.places for g in groups), sum(g.reported for g in groups))
    return drives, whole, groups


async def _names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = (await session.exec(select(Region.code, Region.name)
                               .where(col(Region.code).in_(sorted(codes))))).all()
    return dict(rows)


def _named(groups: list[Any], names: dict[str, str], weight: Any) -> tuple[Any, ...]:
    """Groups with their region names, the heaviest first (ties by name)."""
    named = [replace(g, name=names.get(g.code, g.code)) for g in groups]
    return tuple(sorted(named, key=lambda g: (-weight(g), g.name)))


async def compute_recap(session: AsyncSession, clock: Clock, *, scope: RecapScope,
                        period: Period) -> Recap:
    """Every figure of the recap for one area and period."""
    incidents, incident_groups = await _incidents(session, scope, period)
    complaints = await _complaints(session, clock, scope, period)
    meetings, attendance, attendance_groups = await _attendance(session, clock, scope, period)
    drives, drive_totals, drive_groups = await _drives(session, clock, scope, period)
    codes = {g.code for g in incident_groups} | {g.code for g in attendance_groups} | {
        g.code for g in drive_groups}
    names = await _names(session, codes)
    area_name = await describe(session, scope.area_code) if scope.area_code else ""
    return Recap(
        area_code=scope.area_code, area_name=area_name, period=period,
        generated_at=clock.now(), incidents=incidents,
        incidents_by_kecamatan=_named(incident_groups, names, lambda g: g.total),
        complaints=complaints, meetings=meetings, attendance=attendance,
        attendance_by_kecamatan=_named(attendance_groups, names, lambda g: g.invited),
        drives=drives, drive_totals=drive_totals,
        drives_by_kecamatan=_named(drive_groups, names, lambda g: g.target),
        hidden_categories=scope.hidden_categories,
    )
