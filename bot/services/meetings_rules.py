"""What a rakor's texts and times must satisfy; every check raises a refusal naming the fault.

Used by `meetings` when storing and by the conversations while the admin types each answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import ensure_utc
from bot.errors import InvalidInput

MAX_TITLE_CHARS = 200
MAX_AGENDA_CHARS = 2000
MAX_VENUE_CHARS = 300
MAX_DURATION = timedelta(hours=24)
LATITUDE_RANGE = (-11.2, 6.3)
LONGITUDE_RANGE = (94.7, 141.1)


class InvalidSchedule(InvalidInput):
    key = "meetings.errors.start_in_past"


class InvalidMeetingText(InvalidInput):
    key = "meetings.errors.title_empty"


def check_texts(title: str, venue: str, agenda: str = "") -> tuple[str, str, str]:
    """Trimmed title, venue and agenda, or a refusal naming what is wrong."""
    return check_title(title), check_venue(venue), check_agenda(agenda)


def check_title(title: str) -> str:
    """The trimmed title, not empty and not too long."""
    title = title.strip()
    if not title:
        raise InvalidMeetingText("meetings.errors.title_empty")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidMeetingText("meetings.errors.title_too_long", limit=MAX_TITLE_CHARS)
    return title


def check_agenda(agenda: str) -> str:
    """The trimmed agenda (may be empty), not too long."""
    agenda = agenda.strip()
    if len(agenda) > MAX_AGENDA_CHARS:
        raise InvalidMeetingText("meetings.errors.agenda_too_long", limit=MAX_AGENDA_CHARS)
    return agenda


def check_venue(venue: str, latitude: float | None = None,
                longitude: float | None = None) -> str:
    """The trimmed venue; a pin, when given, must be complete and in Indonesia."""
    venue = venue.strip()
    if not venue:
        raise InvalidMeetingText("meetings.errors.venue_empty")
    if len(venue) > MAX_VENUE_CHARS:
        raise InvalidMeetingText("meetings.errors.venue_too_long", limit=MAX_VENUE_CHARS)
    if (latitude is None) != (longitude is None):
        raise InvalidInput("meetings.errors.pin_outside")
    if latitude is not None and longitude is not None and not (
            LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]
            and LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]):
        raise InvalidInput("meetings.errors.pin_outside")
    return venue


def check_start(now: datetime, starts_at: datetime) -> None:
    """The start must lie in the future."""
    if ensure_utc(starts_at) <= now:
        raise InvalidSchedule("meetings.errors.start_in_past")


def check_end(starts_at: datetime, ends_at: datetime) -> None:
    """The end must follow the start, within a day."""
    if ensure_utc(ends_at) <= ensure_utc(starts_at):
        raise InvalidSchedule("meetings.errors.end_before_start")
    if ensure_utc(ends_at) - ensure_utc(starts_at) > MAX_DURATION:
        raise InvalidSchedule("meetings.errors.too_long")


def check_deadline(now: datetime, starts_at: datetime, deadline: datetime) -> None:
    """Answers close after now and no later than the start."""
    if not now < ensure_utc(deadline) <= ensure_utc(starts_at):
        raise InvalidSchedule("meetings.errors.deadline_invalid")


def check_schedule(now: datetime, starts_at: datetime, ends_at: datetime,
                   deadline: datetime) -> None:
    """Start in the future, end after start, RSVP deadline between now and the start."""
    check_start(now, starts_at)
    check_end(starts_at, ends_at)
    check_deadline(now, starts_at, deadline)
