"""Working-day arithmetic with weekends and Indonesian public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.workdays import (
    add_working_days,
    is_working_day,
    local_date,
    local_moment,
    next_working_day,
    working_days_between,
)

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=0, max_value=60)
fast = settings(max_examples=150, deadline=None)


def test_weekends_and_holidays_are_not_working_days() -> None:
    assert is_working_day(date(2024, 11, 4))  # Monday
    assert not is_working_day(date(2024, 11, 9))  # Saturday
    assert not is_working_day(date(2024, 11, 10))  # Sunday
    assert not is_working_day(date(2024, 12, 25))  # Natal
    assert not is_working_day(date(2024, 4, 10))  # Idul Fitri
    assert not is_working_day(date(2024, 4, 11))  # Idul Fitri, second day
    assert not is_working_day(date(2024, 8, 17))  # Hari Kemerdekaan (a Saturday anyway)


def test_adding_skips_christmas_and_the_weekend() -> None:
    # Friday 20 December 2024 + 3: Mon 23, Tue 24, (Wed 25 Natal), Thu 26
    assert add_working_days(date(2024, 12, 20), 3) == date(2024, 12, 26)
    assert working_days_between(date(2024, 12, 20), date(2024, 12, 26)) == 3


def test_adding_skips_idul_fitri() -> None:
    # Tuesday 9 April 2024 + 1: Wed 10 and Thu 11 are Idul Fitri → Friday 12
    assert add_working_days(date(2024, 4, 9), 1) == date(2024, 4, 12)
    assert add_working_days(date(2024, 4, 12), -1) == date(2024, 4, 9)


def test_zero_moves_to_the_next_working_day() -> None:
    assert add_working_days(date(2024, 11, 9), 0) == date(2024, 11, 11)
    assert add_working_days(date(2024, 11, 4), 0) == date(2024, 11, 4)
    assert next_working_day(date(2024, 12, 25)) == date(2024, 12, 26)


def test_local_dates_follow_the_region_zone() -> None:
    # 16:30 UTC is already the next day in Jayapura (WIT, UTC+9) but not in Jakarta
    moment = datetime(2024, 11, 4, 16, 30, tzinfo=UTC)
    assert local_date(moment, "Asia/Jakarta") == date(2024, 11, 4)
    assert local_date(moment, "Asia/Jayapura") == date(2024, 11, 5)
    eight = local_moment(date(2024, 11, 8), time(8, 0), "Asia/Makassar")
    assert eight == datetime(2024, 11, 8, 0, 0, tzinfo=UTC)


@fast
@given(days, st.integers(min_value=1, max_value=60))
def test_adding_lands_on_a_working_day(start: date, count: int) -> None:
    assert is_working_day(add_working_days(start, count))
    assert is_working_day(add_working_days(start, -count))


@fast
@given(days, counts)
def test_adding_is_monotonic(start: date, count: int) -> None:
    here = add_working_days(start, count)
    further = add_working_days(start, count + 1)
    # zero only rolls a non-working start forward, so it may meet the first working day
    assert further > here if count else further >= here
    assert add_working_days(start + timedelta(days=1), count) >= here


@fast
@given(days, counts)
def test_between_inverts_adding(start: date, count: int) -> None:
    assert working_days_between(start, add_working_days(start, count + 1)) == count + 1
    assert working_days_between(add_working_days(start, count + 1), start) == -(count + 1)


@fast
@given(days, st.integers(min_value=1, max_value=40))
def test_never_lands_on_a_holiday_or_weekend_in_between_count(start: date, count: int) -> None:
    end = add_working_days(start, count)
    skipped = [start + timedelta(days=i) for i in range(1, (end - start).days)]
    assert sum(1 for day in skipped if is_working_day(day)) == count - 1
