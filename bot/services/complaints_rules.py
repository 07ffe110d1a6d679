"""Complaint rules without a database: input checks, masking, status machine, SLA, escalation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from bot.errors import Conflict, InvalidInput
from bot.services.regions import is_within, kecamatan_of, timezone_for
from bot.services.reminders import PlannedReminder
from bot.services.workdays import add_working_days, local_date, local_moment
from bot.settings import ComplaintSettings
from models.complaints import Complaint, ComplaintCategory, ComplaintStatus
from models.officials import Official, Role

MAX_NAME = 120
MIN_NAME = 2
MAX_DESCRIPTION = 2000
MAX_LOCATION = 200
MAX_AGENCY = 120
MAX_NOTE = 1000
MAX_PHOTOS = 5
PHONE_DIGITS = (8, 15)
NIK_DIGITS = 16
VISIBLE_TAIL = 4
MASK_CHAR = "•"
REMINDER_TIME = time(8, 0)
END_OF_DAY = time(23, 59, 59)
ADMIN_ESCALATION_AFTER_BREACH = 3

KIND_DUE_SOON = "complaint.due_soon"
KIND_ESCALATE_CAMAT = "complaint.escalate_camat"
KIND_ESCALATE_ADMIN = "complaint.escalate_admin"
REMINDER_KINDS = (KIND_DUE_SOON, KIND_ESCALATE_CAMAT, KIND_ESCALATE_ADMIN)
TARGET_TYPE = "complaint"

TICKET_PATTERN = re.compile(r"^ADU-(\d{4})-(\d{6})$")

OPEN_STATUSES = frozenset({
    ComplaintStatus.DITERIMA, ComplaintStatus.DIPROSES, ComplaintStatus.DITERUSKAN,
})
CLOSED_STATUSES = frozenset({ComplaintStatus.SELESAI, ComplaintStatus.DITOLAK})
TRANSITIONS: dict[ComplaintStatus, frozenset[ComplaintStatus]] = {
    ComplaintStatus.DITERIMA: frozenset({ComplaintStatus.DIPROSES, ComplaintStatus.DITERUSKAN,
                                         ComplaintStatus.SELESAI, ComplaintStatus.DITOLAK}),
    ComplaintStatus.DIPROSES: frozenset({ComplaintStatus.DITERUSKAN, ComplaintStatus.SELESAI,
                                         ComplaintStatus.DITOLAK}),
    # forwarded again (camat → OPD), taken back into processing, or closed
    ComplaintStatus.DITERUSKAN: frozenset({ComplaintStatus.DIPROSES, ComplaintStatus.DITERUSKAN,
                                           ComplaintStatus.SELESAI, ComplaintStatus.DITOLAK}),
    ComplaintStatus.SELESAI: frozenset(),
    ComplaintStatus.DITOLAK: frozenset(),
}

# Kemendagri province codes: the first two digits of every genuine NIK.
_PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35",
    "36", "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76",
    "81", "82", "91", "92", "93", "94", "95", "96",
})
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_SPACES = re.compile(r"\s+")


def format_ticket(year: int, sequence: int) -> str:
    return f"ADU-{year}-{sequence:06d}"


def _single_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def check_citizen_name(text: str) -> str:
    name = _single_line(text)
    if not MIN_NAME <= len(name) <= MAX_NAME:
        raise InvalidInput("complaints.errors.name_length", minimum=MIN_NAME, maximum=MAX_NAME)
    return name


def check_phone(text: str) -> str:
    """Digits only, optionally after '+'; 8–15 digits. Spaces, dashes and dots are dropped."""
    phone = _PHONE_SEPARATORS.sub("", text)
    if any(ch.isalpha() for ch in phone):
        raise InvalidInput("complaints.errors.phone_letters")
    digits = phone.removeprefix("+")
    low, high = PHONE_DIGITS
    if not (digits.isascii() and digits.isdigit() and low <= len(digits) <= high):
        raise InvalidInput("complaints.errors.phone_invalid", minimum=low, maximum=high)
    return phone


def check_nik(text: str) -> str:
    """Exactly 16 digits shaped like a NIK: province, birth date (+40 for women), serial."""
    nik = _SPACES.sub("", text)
    if not (nik.isascii() and nik.isdigit()):
        raise InvalidInput("complaints.errors.nik_digits")
    if len(nik) != NIK_DIGITS:
        raise InvalidInput("complaints.errors.nik_length", digits=NIK_DIGITS, found=len(nik))
    day, month = int(nik[6:8]), int(nik[8:10])
    plausible = (
        nik[:2] in _PROVINCES
        and (1 <= day <= 31 or 41 <= day <= 71)
        and 1 <= month <= 12
        and nik[12:] != "0000"
    )
    if not plausible:
        raise InvalidInput("complaints.errors.nik_invalid")
    return nik


def check_description(text: str) -> str:
    description = text.strip()
    if not description:
        raise InvalidInput("complaints.errors.description_empty")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput("complaints.errors.description_too_long", limit=MAX_DESCRIPTION,
                           length=len(description))
    return description


def check_location(text: str) -> str:
    location = _single_line(text)
    if not location or len(location) > MAX_LOCATION:
        raise InvalidInput("complaints.errors.location_length", maximum=MAX_LOCATION)
    return location


def check_agency(text: str) -> str:
    agency = _single_line(text)
    if not MIN_NAME <= len(agency) <= MAX_AGENCY:
        raise InvalidInput("complaints.errors.agency_length", minimum=MIN_NAME,
                           maximum=MAX_AGENCY)
    return agency


def check_note(text: str | None, *, required: bool) -> str | None:
    note = (text or "").strip()
    if not note:
        if required:
            raise InvalidInput("complaints.errors.note_required")
        return None
    if len(note) > MAX_NOTE:
        raise InvalidInput("complaints.errors.note_too_long", limit=MAX_NOTE, length=len(note))
    return note


def check_coordinates(latitude: float, longitude: float) -> tuple[float, float]:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("complaints.errors.location_length", maximum=MAX_LOCATION)
    return latitude, longitude


def mask(value: str | None) -> str | None:
    """Hide all but the last four characters: '••••••••••••3456'."""
    if value is None:
        return None
    if len(value) <= VISIBLE_TAIL:
        return MASK_CHAR * len(value)
    return MASK_CHAR * (len(value) - VISIBLE_TAIL) + value[-VISIBLE_TAIL:]


def check_transition(current: ComplaintStatus, target: ComplaintStatus) -> None:
    if target not in TRANSITIONS[ComplaintStatus(current)]:
        raise Conflict("complaints.errors.bad_transition", current=str(current),
                       target=str(target))


def is_sensitive(category: str, rules: ComplaintSettings) -> bool:
    return str(category) in rules.sensitive_categories


def sla_working_days(category: str, rules: ComplaintSettings) -> int:
    return rules.sla_working_days.get(str(category), rules.default_sla_working_days)


@dataclass(frozen=True)
class Deadline:
    due_on: date
    due_at: datetime


def deadline_for(received_at: datetime, region_code: str, category: str,
                 rules: ComplaintSettings) -> Deadline:
    """Expected answer date: N working days after the local receiving day; due until its end."""
    timezone = timezone_for(region_code)
    due_on = add_working_days(local_date(received_at, timezone),
                              sla_working_days(category, rules))
    return Deadline(due_on, local_moment(due_on, END_OF_DAY, timezone))


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    return complaint.status in OPEN_STATUSES and now > complaint.due_at


def can_view(viewer: Official, complaint: Complaint, rules: ComplaintSettings) -> bool:
    """Recorder always; camat in their kecamatan unless sensitive; admins in their area."""
    if viewer.id == complaint.recorded_by_id:
        return True
    role = Role(viewer.role)
    if role == Role.SUPERADMIN:
        return True
    if role == Role.ADMIN:
        return is_within(complaint.region_code, viewer.region_code)
    if role == Role.CAMAT:
        return (viewer.region_code is not None
                and is_within(complaint.region_code, viewer.region_code)
                and not is_sensitive(complaint.category, rules))
    return False


def can_reveal_identity(viewer: Official, complaint: Complaint) -> bool:
    """Full NIK and phone: only the recording official and admins (scope checked before)."""
    return viewer.id == complaint.recorded_by_id or Role(viewer.role) in {
        Role.ADMIN, Role.SUPERADMIN}


def camat_region_for(complaint: Complaint) -> str | None:
    return kecamatan_of(complaint.region_code)


def escalation_plan(complaint: Complaint, *, camat_ids: list[int], admin_ids: list[int],
                    rules: ComplaintSettings) -> list[PlannedReminder]:
    """Due-soon to the assignee, breach to the camat (else admins), +3 working days to admins.

    Every reminder is at 08:00 local time on a working day. A due-soon moment that already
    passed when the complaint came in is left out; nothing here depends on the current time,
    so replanning later never drops a pending escalation.
    """
    assert complaint.id is not None
    timezone = timezone_for(complaint.region_code)
    payload: dict[str, object] = {"complaint_id": complaint.id, "ticket": complaint.ticket}

    def at_eight(day: date) -> datetime:
        return local_moment(day, REMINDER_TIME, timezone)

    planned: list[PlannedReminder] = []
    due_soon = at_eight(add_working_days(complaint.due_on, -1))
    if due_soon >= complaint.received_at:
        planned.append(PlannedReminder(KIND_DUE_SOON, complaint.assignee_id, due_soon,
                                       expires_at=complaint.due_at, payload=payload))
    breach_day = add_working_days(complaint.due_on, 1)
    # sensitive complaints never reach the camat; without a camat the admins hear at once
    to_camat = bool(camat_ids) and not is_sensitive(complaint.category, rules)
    breach_recipients = camat_ids if to_camat else admin_ids
    breach_kind = KIND_ESCALATE_CAMAT if to_camat else KIND_ESCALATE_ADMIN
    for recipient in sorted(set(breach_recipients)):
        planned.append(PlannedReminder(breach_kind, recipient, at_eight(breach_day),
                                       payload=payload))
    admin_day = add_working_days(breach_day, ADMIN_ESCALATION_AFTER_BREACH)
    for recipient in sorted(set(admin_ids)):
        planned.append(PlannedReminder(KIND_ESCALATE_ADMIN, recipient, at_eight(admin_day),
                                       payload=payload))
    return planned


def category_of(value: str) -> ComplaintCategory:
    try:
        return ComplaintCategory(value)
    except ValueError:
        raise InvalidInput("complaints.errors.unknown_category") from None
