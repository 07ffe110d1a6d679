"""Read the dates and times officials type ('12/11/2024 09.00', 'besok 9:00', 'Senin 13.30').

The text is local time in the area's zone (WIB/WITA/WIT) unless it names a zone itself; the
result is an aware UTC datetime. Anything not understood raises `DateParseError` whose
catalog key explains the accepted formats, so the handler can simply show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.errors import InvalidInput

ZONES_BY_ABBREVIATION = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}

MONTHS = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "february": 2, "feb": 2, "peb": 2,
    "maret": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agu": 8, "ags": 8, "agt": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}
WEEKDAYS = {
    "senin": 0, "monday": 0, "selasa": 1, "tuesday": 1, "rabu": 2, "wednesday": 2,
    "kamis": 3, "thursday": 3, "jumat": 4, "friday": 4, "sabtu": 5, "saturday": 5,
    "minggu": 6, "ahad": 6, "sunday": 6,
}
RELATIVE_DAYS = {
    "hari ini": 0, "today": 0, "besok": 1, "esok": 1, "tomorrow": 1, "lusa": 2,
}

_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_WORD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_RELATIVE_WORD = "|".join(sorted(RELATIVE_DAYS, key=len, reverse=True))

_ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_DOTTED_DATE = re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})\b")
_NUMERIC_DATE = re.compile(
    r"\b(?P<d>\d{1,2})(?P<sep>[/-])(?P<m>\d{1,2})(?:(?P=sep)(?P<y>\d{4}|\d{2}))?\b")
_DAY_MONTH = re.compile(rf"\b(?P<d>\d{{1,2}})\s+(?P<mon>{_MONTH_WORD})\b\.?(?:\s+(?P<y>20\d\d)\b)?")
_MONTH_DAY = re.compile(rf"\b(?P<mon>{_MONTH_WORD})\.?\s+(?P<d>\d{{1,2}})\b(?:\s+(?P<y>20\d\d)\b)?")
_RELATIVE = re.compile(rf"\b(?P<rel>{_RELATIVE_WORD})\b")
_WEEKDAY = re.compile(
    rf"\b(?:(?P<next_en>next)\s+)?(?P<wd>{_WEEKDAY_WORD})\b(?:\s+(?P<next_id>depan)\b)?")
_ZONE = re.compile(r"\b(?P<zone>wita|wib|wit)\b")
_FILLERS = re.compile(r"\b(?:tanggal|tgl|hari|on|the)\b")
_TIME = re.compile(
    r"^(?:(?P<marker>pukul|pkl|jam|at)\s*)?(?P<h>\d{1,2})(?:[.:](?P<min>\d{2}))?"
    r"\s*(?P<period>pagi|siang|sore|malam|am|pm)?$")


class DateParseError(InvalidInput):
    """The text is not a date/time we can read; the key explains the accepted formats."""

    key = "meetings.dateparse.unrecognised"


@dataclass(frozen=True)
class _DatePart:
    day: date | None = None
    weekday: int | None = None
    weekday_strictly_next: bool = False
    year_given: bool = True


def parse_datetime(text: str, clock: Clock, timezone: str, *,
                   default_time: time | None = None) -> datetime:
    """The moment `text` names, read in `timezone` relative to the clock; aware UTC."""
    zone_name, rest = _take_zone(_normalise(text), timezone)
    zone = ZoneInfo(zone_name)
    now_local = clock.now().astimezone(zone)
    date_part, rest = _take_date(rest, now_local.date())
    rest = _FILLERS.sub(" ", rest).strip()
    moment_time = parse_time_of_day(rest) if rest else default_time
    if moment_time is None:
        raise DateParseError("meetings.dateparse.time_missing")
    day = _resolve_day(date_part, now_local, moment_time)
    return datetime.combine(day, moment_time, tzinfo=zone).astimezone(UTC)


def parse_time_of_day(text: str) -> time:
    """'09.00', '9:30', 'pukul 14', '3 sore' → a time of day."""
    match = _TIME.match(_normalise(text))
    if match is None:
        raise DateParseError()
    hour = int(match["h"])
    minute = int(match["min"]) if match["min"] is not None else 0
    if match["min"] is None and match["marker"] is None and match["period"] is None:
        # a lone number is more likely a day than an hour; refuse rather than guess
        raise DateParseError()
    hour = _apply_period(hour, match["period"])
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DateParseError("meetings.dateparse.invalid_time")
    return time(hour, minute)


def _normalise(text: str) -> str:
    lowered = text.lower().replace("jum'at", "jumat").replace("’", "'")
    lowered = re.sub(r"[,;]", " ", lowered)
    return re.sub(r"\s+", " ", lowered).strip().rstrip(".").strip()


def _take_zone(text: str, default_zone: str) -> tuple[str, str]:
    match = _ZONE.search(text)
    if match is None:
        return default_zone, text
    return ZONES_BY_ABBREVIATION[match["zone"]], _cut(text, match)


def _cut(text: str, match: re.Match[str]) -> str:
    return re.sub(r"\s+", " ", text[: match.start()] + " " + text[match.end():]).strip()


def _take_date(text: str, today: date) -> tuple[_DatePart, str]:
    """Find and remove the date words; also a weekday name, which may stand alone."""
    day: date | None = None
    year_given = True
    for pattern in (_ISO_DATE, _DOTTED_DATE, _NUMERIC_DATE, _DAY_MONTH, _MONTH_DAY):
        match = pattern.search(text)
        if match is None:
            continue
        groups = match.groupdict()
        month = MONTHS[groups["mon"]] if groups.get("mon") else int(groups["m"])
        year_given = groups.get("y") is not None
        year = _full_year(groups["y"]) if year_given else today.year
        day = _make_date(year, month, int(groups["d"]))
        text = _cut(text, match)
        break
    else:
        relative = _RELATIVE.search(text)
        if relative is not None:
            day = today + timedelta(days=RELATIVE_DAYS[relative["rel"]])
            text = _cut(text, relative)
    weekday_match = _WEEKDAY.search(text)
    if weekday_match is None:
        return _DatePart(day=day, year_given=year_given), text
    weekday = WEEKDAYS[weekday_match["wd"]]
    strictly_next = bool(weekday_match["next_en"] or weekday_match["next_id"])
    text = _cut(text, weekday_match)
    return _DatePart(day=day, weekday=weekday, weekday_strictly_next=strictly_next,
                     year_given=year_given), text


def _full_year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateParseError("meetings.dateparse.invalid_date") from None


def _resolve_day(part: _DatePart, now_local: datetime, moment_time: time) -> date:
    today = now_local.date()
    if part.day is not None:
        day = part.day
        if not part.year_given and day < today:
            # '12/01 09.00' typed in December means next January
            day = _make_date(day.year + 1, day.month, day.day)
        if part.weekday is not None and day.weekday() != part.weekday:
            raise DateParseError("meetings.dateparse.weekday_mismatch")
        return day
    if part.weekday is not None:
        ahead = (part.weekday - today.weekday()) % 7
        naive_now = now_local.replace(tzinfo=None)
        if ahead == 0 and (part.weekday_strictly_next
                           or datetime.combine(today, moment_time) <= naive_now):
            ahead = 7
        return today + timedelta(days=ahead)
    raise DateParseError("meetings.dateparse.date_missing")


def _apply_period(hour: int, period: str | None) -> int:
    """Indonesian day parts: '1 siang' is 13.00, '4 sore' is 16.00, '8 malam' is 20.00."""
    if period is None or hour > 12:
        return hour
    if period == "am":
        return 0 if hour == 12 else hour
    if period == "pm":
        return hour if hour == 12 else hour + 12
    if period == "siang" and 1 <= hour <= 5:
        return hour + 12
    if period == "sore" and 1 <= hour <= 11:
        return hour + 12
    if period == "malam" and 6 <= hour <= 11:
        return hour + 12
    return hour
