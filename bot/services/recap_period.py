"""Recap periods: today, 7 or 30 days, this month, or a typed range — in the area's local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput

MAX_RANGE_DAYS = 366
_DAY = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
_RANGE = re.compile(rf"^\s*{_DAY}\s*(?:-|–|—|s/?d|sampai|to|until)\s*{_DAY}\s*$", re.IGNORECASE)
_TOKEN_RANGE = re.compile(r"^r(\d{8})-(\d{8})$")


class PeriodKind(StrEnum):
    TODAY = "today"
    WEEK = "7d"
    MONTH_30 = "30d"
    THIS_MONTH = "month"
    RANGE = "range"


QUICK_PERIODS = (PeriodKind.TODAY, PeriodKind.WEEK, PeriodKind.MONTH_30, PeriodKind.THIS_MONTH)


class PeriodError(InvalidInput):
    """A range we cannot read; the key shows the expected format."""

    key = "reports.errors.range_format"


@dataclass(frozen=True)
class Period:
    """Local calendar days [first_day, last_day] of one zone, with their UTC bounds."""

    kind: PeriodKind
    first_day: date
    last_day: date
    timezone: str

    @property
    def start(self) -> datetime:
        """The first instant, UTC (local midnight of the first day)."""
        return _local_midnight(self.first_day, self.timezone)

    @property
    def end(self) -> datetime:
        """The instant after the period, UTC (local midnight after the last day)."""
        return _local_midnight(self.last_day + timedelta(days=1), self.timezone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def token(self) -> str:
        """A short form for callback data; `from_token` reads it back."""
        if self.kind == PeriodKind.RANGE:
            return f"r{self.first_day:%Y%m%d}-{self.last_day:%Y%m%d}"
        return str(self.kind)

    def to_dict(self) -> dict[str, str]:
        return {"kind": str(self.kind), "first_day": self.first_day.isoformat(),
                "last_day": self.last_day.isoformat(), "timezone": self.timezone}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Period:
        return cls(PeriodKind(data["kind"]), date.fromisoformat(data["first_day"]),
                   date.fromisoformat(data["last_day"]), data["timezone"])


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def quick_period(kind: PeriodKind, *, now: datetime, timezone: str) -> Period:
    """A period ending today (local): today, the last 7 or 30 days, or this month so far."""
    today = local_today(now, timezone)
    first = {
        PeriodKind.TODAY: today,
        PeriodKind.WEEK: today - timedelta(days=6),
        PeriodKind.MONTH_30: today - timedelta(days=29),
        PeriodKind.THIS_MONTH: today.replace(day=1),
    }.get(kind)
    if first is None:
        raise PeriodError()
    return Period(kind, first, today, timezone)


def date_range(first: date, last: date, *, timezone: str) -> Period:
    """A range of whole local days, checked: in order and at most a year long."""
    if last < first:
        raise PeriodError("reports.errors.range_order")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise PeriodError("reports.errors.range_too_long", days=MAX_RANGE_DAYS)
    return Period(PeriodKind.RANGE, first, last, timezone)


def parse_range(text: str, *, timezone: str) -> Period:
    """'1/11/2024-15/11/2024' (also with '.', 's/d' or 'sampai') → a range period."""
    match = _RANGE.match(text or "")
    if match is None:
        raise PeriodError()
    numbers = [int(part) for part in match.groups()]
    try:
        first = date(numbers[2], numbers[1], numbers[0])
        last = date(numbers[5], numbers[4], numbers[3])
    except ValueError as error:
        raise PeriodError("reports.errors.range_invalid_date") from error
    return date_range(first, last, timezone=timezone)


def from_token(token: str, *, now: datetime, timezone: str) -> Period:
    """Read a period back from callback data; anything odd is refused."""
    match = _TOKEN_RANGE.match(token)
    if match is not None:
        try:
            first = datetime.strptime(match[1], "%Y%m%d").date()
            last = datetime.strptime(match[2], "%Y%m%d").date()
        except ValueError as error:
            raise PeriodError() from error
        return date_range(first, last, timezone=timezone)
    try:
        kind = PeriodKind(token)
    except ValueError as error:
        raise PeriodError() from error
    return quick_period(kind, now=now, timezone=timezone)


def previous_week(monday: date, *, timezone: str) -> Period:
    """Monday to Sunday of the week before `monday` (the weekly digest's period)."""
    first = monday - timedelta(days=7 + monday.weekday())
    return Period(PeriodKind.RANGE, first, first + timedelta(days=6), timezone)
