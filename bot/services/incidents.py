"""Incident reports: the draft, its checks, ticket numbering and submission.

Follow-up (status workflow, info requests, who is notified) lives in `incidents_workflow`,
lists and visibility in `incidents_query`, evidence files in `incidents_media`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, ensure_utc
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.regions import timezone_for
from models.incidents import (
    Incident,
    IncidentCategory,
    IncidentMedia,
    IncidentStatus,
    IncidentStatusChange,
    IncidentTicketCounter,
    IncidentUrgency,
    MediaKind,
)
from models.officials import Official, OfficialStatus, Role

MAX_DESCRIPTION_CHARS = 2000
MAX_ADDRESS_CHARS = 500
MAX_MEDIA = 10
TICKET_PREFIX = "LK"
REPORTER_ROLES = frozenset({Role.LURAH, Role.CAMAT})
# Indonesia's bounding box: a pin outside it is a mistake, not a report from the field
LATITUDE_RANGE = (-11.2, 6.3)
LONGITUDE_RANGE = (94.7, 141.1)
# a phone clock a few minutes fast must not make "now" look like the future
FUTURE_TOLERANCE = timedelta(minutes=10)
OLDEST_OCCURRENCE = timedelta(days=365)


# --- refusals -------------------------------------------------------------------------------

class IncidentNotFound(NotFound):
    key = "incidents.errors.not_found"


class IncidentNotAllowed(NotAllowed):
    key = "incidents.errors.not_allowed"


class NotAReporter(NotAllowed):
    key = "incidents.errors.not_a_reporter"


class DraftIncomplete(InvalidInput):
    key = "incidents.errors.draft_incomplete"


class DescriptionEmpty(InvalidInput):
    key = "incidents.errors.description_empty"


class DescriptionTooLong(InvalidInput):
    key = "incidents.errors.description_too_long"


class AddressEmpty(InvalidInput):
    key = "incidents.errors.address_empty"


class AddressTooLong(InvalidInput):
    key = "incidents.errors.address_too_long"


class LocationOutsideIndonesia(InvalidInput):
    key = "incidents.errors.location_outside"


class InvalidTime(InvalidInput):
    key = "incidents.errors.invalid_time"


class OccurredInFuture(InvalidInput):
    key = "incidents.errors.time_in_future"


class OccurredTooLongAgo(InvalidInput):
    key = "incidents.errors.time_too_old"


class TooManyMedia(InvalidInput):
    key = "incidents.errors.too_many_media"


class MediaTooLarge(InvalidInput):
    key = "incidents.errors.media_too_large"


class InvalidTransition(Conflict):
    key = "incidents.errors.invalid_transition"


class ReasonRequired(InvalidInput):
    key = "incidents.errors.reason_required"


class EmptyText(InvalidInput):
    key = "incidents.errors.text_empty"


class NoteTooLong(InvalidInput):
    key = "incidents.errors.note_too_long"


class IncidentClosed(Conflict):
    key = "incidents.errors.closed"


class InfoRequestNotFound(NotFound):
    key = "incidents.errors.info_not_found"


class InfoAlreadyAnswered(Conflict):
    key = "incidents.errors.info_answered"


# --- the draft ------------------------------------------------------------------------------

@dataclass
class DraftMedia:
    """A photo or document attached to a draft; the local copy is already saved."""

    kind: MediaKind
    file_id: str
    file_unique_id: str
    local_path: str | None = None
    size: int | None = None
    file_name: str | None = None


@dataclass
class IncidentDraft:
    """An incident report being written; kept as a plain dict in the user's draft storage."""

    category: IncidentCategory | None = None
    urgency: IncidentUrgency | None = None
    description: str | None = None
    occurred_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    media: list[DraftMedia] = field(default_factory=list)

    @property
    def has_location(self) -> bool:
        return (self.latitude is not None and self.longitude is not None) or bool(self.address)

    def missing(self) -> list[str]:
        """The steps still empty, by name, in the order the flow asks them."""
        steps = {"category": self.category is not None, "urgency": self.urgency is not None,
                 "description": bool(self.description), "time": self.occurred_at is not None,
                 "location": self.has_location}
        return [name for name, done in steps.items() if not done]

    def set_pin(self, latitude: float, longitude: float) -> None:
        check_location(latitude, longitude)
        self.latitude, self.longitude, self.address = latitude, longitude, None

    def set_address(self, text: str) -> None:
        self.address = clean_address(text)
        self.latitude = self.longitude = None

    def has_media(self, file_unique_id: str) -> bool:
        return any(m.file_unique_id == file_unique_id for m in self.media)

    def check_media_room(self) -> None:
        """Refuse an 11th file before it is downloaded."""
        if len(self.media) >= MAX_MEDIA:
            raise TooManyMedia(limit=MAX_MEDIA)

    def add_media(self, item: DraftMedia) -> bool:
        """Attach a file; False when the same file was already attached."""
        if self.has_media(item.file_unique_id):
            return False  # the same file sent twice is one piece of evidence
        self.check_media_room()
        self.media.append(item)
        return True

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for the persisted draft."""
        data = asdict(self)
        data["category"] = self.category.value if self.category else None
        data["urgency"] = self.urgency.value if self.urgency else None
        data["occurred_at"] = self.occurred_at.isoformat() if self.occurred_at else None
        for item in data["media"]:
            item["kind"] = MediaKind(item["kind"]).value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> IncidentDraft:
        if not data:
            return cls()
        occurred = data.get("occurred_at")
        return cls(
            category=IncidentCategory(data["category"]) if data.get("category") else None,
            urgency=IncidentUrgency(data["urgency"]) if data.get("urgency") else None,
            description=data.get("description"),
            occurred_at=datetime.fromisoformat(occurred) if occurred else None,
            latitude=data.get("latitude"), longitude=data.get("longitude"),
            address=data.get("address"),
            media=[DraftMedia(**{**m, "kind": MediaKind(m["kind"])})
                   for m in data.get("media") or []],
        )


# --- checks used both per step and on submit -------------------------------------------------

def clean_description(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise DescriptionEmpty()
    if len(value) > MAX_DESCRIPTION_CHARS:
        raise DescriptionTooLong(limit=MAX_DESCRIPTION_CHARS, length=len(value))
    return value


def clean_address(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise AddressEmpty()
    if len(value) > MAX_ADDRESS_CHARS:
        raise AddressTooLong(limit=MAX_ADDRESS_CHARS, length=len(value))
    return value


def check_location(latitude: float, longitude: float) -> None:
    if not (LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]
            and LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]):
        raise LocationOutsideIndonesia()


def check_occurred_at(moment: datetime, *, now: datetime) -> datetime:
    moment = ensure_utc(moment)
    if moment > now + FUTURE_TOLERANCE:
        raise OccurredInFuture()
    if moment < now - OLDEST_OCCURRENCE:
        raise OccurredTooLongAgo()
    return moment


_TIME = r"(?P<hour>\d{1,2})[.:](?P<minute>\d{2})"
_TIME_ONLY = re.compile(rf"^{_TIME}$")
_DATE_TIME = re.compile(
    rf"^(?P<day>\d{{1,2}})[/\-.](?P<month>\d{{1,2}})(?:[/\-.](?P<year>\d{{2,4}}))?[ ,]+{_TIME}$"
)


def parse_occurred_at(text: str, *, now: datetime, timezone: str,
                      today_only: bool = False) -> datetime:
    """Read '14.30' (today) or '03/11/2024 14.30' in the region's local time; returns UTC."""
    value = " ".join(text.split())
    local_now = now.astimezone(ZoneInfo(timezone))
    match = _TIME_ONLY.match(value) or (None if today_only else _DATE_TIME.match(value))
    if match is None:
        raise InvalidTime()
    parts = match.groupdict()
    year = int(parts["year"]) if parts.get("year") else local_now.year
    if year < 100:
        year += 2000
    try:
        local = datetime(year, int(parts.get("month") or local_now.month),
                         int(parts.get("day") or local_now.day),
                         int(parts["hour"]), int(parts["minute"]), tzinfo=ZoneInfo(timezone))
    except ValueError as exc:
        raise InvalidTime() from exc
    return check_occurred_at(local, now=now)


def check_media_size(size: int | None, *, max_bytes: int) -> None:
    if size is not None and size > max_bytes:
        raise MediaTooLarge(limit=human_size(max_bytes))


def human_size(size: int) -> str:
    """'20 MB', '512 KB' — for refusals that name a limit."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{max(1, size // 1024)} KB"


def ensure_reporter(official: Official) -> None:
    """Only an active lurah or camat with a region may file a report."""
    if (official.status != OfficialStatus.ACTIVE or official.role not in REPORTER_ROLES
            or not official.region_code):
        raise NotAReporter()


# --- numbering ------------------------------------------------------------------------------

def format_ticket(year: int, number: int) -> str:
    return f"{TICKET_PREFIX}-{year}-{number:06d}"


async def next_ticket_number(session: AsyncSession, *, year: int) -> int:
    """Bump the year's counter in one atomic upsert, so concurrent submits never collide."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    counter = IncidentTicketCounter.__table__  # type: ignore[attr-defined]
    statement = (
        insert(counter).values(year=year, last_number=1)
        .on_conflict_do_update(index_elements=[counter.c.year],
                               set_={"last_number": counter.c.last_number + 1})
        .returning(counter.c.last_number)
    )
    return int((await session.exec(statement)).scalar_one())


async def next_ticket(session: AsyncSession, clock: Clock, *, region_code: str) -> str:
    """The next ticket; the year is the reporter's local year, as people would expect."""
    year = clock.now().astimezone(ZoneInfo(timezone_for(region_code))).year
    return format_ticket(year, await next_ticket_number(session, year=year))


# --- submission -----------------------------------------------------------------------------

async def submit_incident(session: AsyncSession, clock: Clock, *, reporter: Official,
                          draft: IncidentDraft) -> Incident:
    """Store a complete draft as a new report (status baru) with its media and first history."""
    ensure_reporter(reporter)
    missing = draft.missing()
    if missing:
        raise DraftIncomplete(steps=", ".join(missing))
    assert draft.category and draft.urgency and draft.occurred_at and reporter.region_code
    now = clock.now()
    description = clean_description(draft.description)
    occurred_at = check_occurred_at(draft.occurred_at, now=now)
    address = None
    if draft.latitude is not None and draft.longitude is not None:
        check_location(draft.latitude, draft.longitude)
    else:
        address = clean_address(draft.address)
    if len(draft.media) > MAX_MEDIA:
        raise TooManyMedia(limit=MAX_MEDIA)

    incident = Incident(
        ticket=await next_ticket(session, clock, region_code=reporter.region_code),
        category=IncidentCategory(draft.category), urgency=IncidentUrgency(draft.urgency),
        description=description, occurred_at=occurred_at,
        latitude=draft.latitude if address is None else None,
        longitude=draft.longitude if address is None else None, address=address,
        region_code=reporter.region_code, reporter_id=reporter.id,
        status=IncidentStatus.BARU, created_at=now, updated_at=now,
    )
    session.add(incident)
    await session.flush()
    for position, item in enumerate(draft.media):
        session.add(IncidentMedia(
            incident_id=incident.id, position=position, kind=MediaKind(item.kind),
            file_id=item.file_id, file_unique_id=item.file_unique_id,
            local_path=item.local_path, size=item.size, file_name=item.file_name,
        ))
    session.add(IncidentStatusChange(incident_id=incident.id, from_status=None,
                                     to_status=IncidentStatus.BARU, actor_id=reporter.id,
                                     at=now))
    await session.flush()
    return incident


async def get_incident(session: AsyncSession, incident_id: int) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise IncidentNotFound()
    return incident
