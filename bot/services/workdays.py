"""Working days (hari kerja): Monday to Friday, minus Indonesia's public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

_SATURDAY = 5


@cache
def holidays_in(year: int) -> frozenset[date]:
    """Indonesia's national public holidays of one year (cached: the lookup is slow)."""
    return frozenset(holidays.country_holidays("ID", years=year).keys())


def is_holiday(day: date) -> bool:
    return day in holidays_in(day.year)


def is_working_day(day: date) -> bool:
    """True on a weekday that is not a national public holiday."""
    return day.weekday() < _SATURDAY and not is_holiday(day)


def next_working_day(day: date) -> date:
    """The day itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (before it when negative).

    `start` itself never counts; zero gives `start` moved forward to a working day.
    """
    if days == 0:
        return next_working_day(start)
    step = timedelta(days=1 if days > 0 else -1)
    remaining = abs(days)
    day = start
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative when `end` is before `start`.

    The inverse of add_working_days: working_days_between(d, add_working_days(d, n)) == n.
    """
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day a UTC moment falls on in a region's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def local_moment(day: date, at: time, timezone: str) -> datetime:
    """The UTC moment of a local wall-clock time on a given day in a region's time zone."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)
