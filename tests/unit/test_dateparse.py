"""Reading Indonesian dates and times: formats round-trip in WIB, WITA and WIT."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import FrozenClock
from bot.i18n import catalog
from bot.services.dateparse import DateParseError, parse_datetime, parse_time_of_day

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
ABBREVIATION = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
ID_MONTHS = ["", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember"]
EN_MONTHS = ["", "January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
ID_DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]

ABSOLUTE_FORMATS: dict[str, Callable[[datetime], str]] = {
    "slash": lambda d: f"{d:%d/%m/%Y %H.%M}",
    "dash-colon": lambda d: f"{d.day}-{d.month}-{d.year} {d.hour}:{d.minute:02d}",
    "dots-pukul": lambda d: f"{d:%d.%m.%Y} pukul {d:%H.%M}",
    "iso": lambda d: f"{d:%Y-%m-%d %H:%M}",
    "two-digit-year": lambda d: f"{d:%d/%m/%y} jam {d:%H.%M}",
    "month-name": lambda d: f"{d.day} {ID_MONTHS[d.month]} {d.year} {d:%H.%M}",
    "month-abbrev": lambda d: f"{d.day} {ID_MONTHS[d.month][:3]} {d.year}, {d:%H:%M}",
    "with-weekday": lambda d: (f"{ID_DAYS[d.weekday()]}, {d.day} {ID_MONTHS[d.month]} "
                               f"{d.year} pukul {d:%H.%M}"),
    "english": lambda d: f"{EN_MONTHS[d.month]} {d.day}, {d.year} at {d:%H:%M}",
}

zones = st.sampled_from(ZONES)
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31))
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


def local(moment: datetime, zone: str) -> datetime:
    return moment.replace(second=0, microsecond=0, tzinfo=ZoneInfo(zone))


def clock_at(moment: datetime) -> FrozenClock:
    return FrozenClock(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


@given(moment=moments, zone=zones, name=st.sampled_from(sorted(ABSOLUTE_FORMATS)),
       now=moments)
def test_absolute_formats_round_trip_in_every_zone(moment: datetime, zone: str, name: str,
                                                    now: datetime) -> None:
    wanted = local(moment, zone)
    text = ABSOLUTE_FORMATS[name](wanted)
    parsed = parse_datetime(text, clock_at(now), zone)
    assert parsed == wanted and parsed.tzinfo is not None
    assert parsed.utcoffset() == timedelta(0)


@given(moment=moments, area_zone=zones, written_zone=zones)
def test_a_written_zone_wins_over_the_area_zone(moment: datetime, area_zone: str,
                                                 written_zone: str) -> None:
    wanted = local(moment, written_zone)
    text = f"{wanted:%d/%m/%Y %H.%M} {ABBREVIATION[written_zone]}"
    assert parse_datetime(text, clock_at(moment), area_zone) == wanted


@given(now=moments, zone=zones, at=times,
       word=st.sampled_from([("hari ini", 0), ("besok", 1), ("lusa", 2), ("Besok", 1),
                             ("tomorrow", 1)]),
       style=st.sampled_from(["{w} {h:02d}.{m:02d}", "{w} {h}:{m:02d}",
                              "{w} pukul {h:02d}.{m:02d}", "{h:02d}.{m:02d} {w}"]))
def test_relative_days_count_from_the_local_date(now: datetime, zone: str, at: time,
                                                  word: tuple[str, int], style: str) -> None:
    clock = clock_at(now)
    today = clock.now().astimezone(ZoneInfo(zone)).date()
    text = style.format(w=word[0], h=at.hour, m=at.minute)
    expected = datetime.combine(today + timedelta(days=word[1]), at, tzinfo=ZoneInfo(zone))
    assert parse_datetime(text, clock, zone) == expected


@given(now=moments, zone=zones, at=times, weekday=st.integers(0, 6),
       depan=st.booleans())
def test_a_weekday_means_its_next_occurrence(now: datetime, zone: str, at: time,
                                             weekday: int, depan: bool) -> None:
    clock = clock_at(now)
    text = f"{ID_DAYS[weekday]}{' depan' if depan else ''} {at:%H.%M}"
    parsed = parse_datetime(text, clock, zone).astimezone(ZoneInfo(zone))
    today = clock.now().astimezone(ZoneInfo(zone)).date()
    assert parsed.weekday() == weekday and parsed.time() == at
    assert 0 <= (parsed.date() - today).days <= 7
    if depan:
        assert parsed.date() > today
    else:
        assert clock.now() < parsed <= clock.now() + timedelta(days=7)


@given(now=moments, zone=zones, days_ahead=st.integers(0, 360), at=times)
def test_a_date_without_year_is_the_next_such_date(now: datetime, zone: str,
                                                   days_ahead: int, at: time) -> None:
    clock = clock_at(now)
    target_day = clock.now().astimezone(ZoneInfo(zone)).date() + timedelta(days=days_ahead)
    if (target_day.month, target_day.day) == (2, 29):
        return
    text = f"{target_day.day}/{target_day.month} {at:%H.%M}"
    expected = datetime.combine(target_day, at, tzinfo=ZoneInfo(zone))
    assert parse_datetime(text, clock, zone) == expected


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=30))
def test_text_without_digits_is_refused_with_a_catalog_key(text: str) -> None:
    clock = clock_at(datetime(2024, 11, 4, 2, 0))
    try:
        parse_datetime(text, clock, "Asia/Jakarta")
    except DateParseError as error:
        assert error.key in catalog("id") and error.key in catalog("en")
    else:
        pytest.fail(f"{text!r} should not parse")


@pytest.mark.parametrize(("text", "key"), [
    ("31/02/2025 09.00", "meetings.dateparse.invalid_date"),
    ("12/11/2024 25.00", "meetings.dateparse.invalid_time"),
    ("12/11/2024", "meetings.dateparse.time_missing"),
    ("09.00", "meetings.dateparse.date_missing"),
    ("Rabu, 12/11/2024 09.00", "meetings.dateparse.weekday_mismatch"),
    ("12/11/2024 9", "meetings.dateparse.unrecognised"),
    ("besok pagi-pagi sekali", "meetings.dateparse.unrecognised"),
    ("", "meetings.dateparse.time_missing"),
])
def test_mistakes_name_what_is_wrong(text: str, key: str) -> None:
    clock = clock_at(datetime(2024, 11, 4, 2, 0))
    with pytest.raises(DateParseError) as error:
        parse_datetime(text, clock, "Asia/Jakarta")
    assert error.value.key == key
    assert key in catalog("id") and key in catalog("en")


@pytest.mark.parametrize(("text", "expected"), [
    ("besok jam 9", time(9, 0)),
    ("besok 3 sore", time(15, 0)),
    ("besok 1 siang", time(13, 0)),
    ("besok 8 malam", time(20, 0)),
    ("besok pukul 7 pagi", time(7, 0)),
    ("besok 2 pm", time(14, 0)),
])
def test_day_parts_turn_into_24_hour_times(text: str, expected: time) -> None:
    clock = clock_at(datetime(2024, 11, 4, 2, 0))  # Monday 09.00 WIB
    parsed = parse_datetime(text, clock, "Asia/Jakarta").astimezone(ZoneInfo("Asia/Jakarta"))
    assert parsed.date().isoformat() == "2024-11-05" and parsed.time() == expected


def test_the_examples_from_the_issue() -> None:
    clock = clock_at(datetime(2024, 11, 4, 2, 0))  # Monday 4 November 2024, 09.00 WIB
    wib = ZoneInfo("Asia/Jakarta")
    assert parse_datetime("12/11/2024 09.00", clock, "Asia/Jakarta") == datetime(
        2024, 11, 12, 9, 0, tzinfo=wib)
    assert parse_datetime("12-11-2024 9:00", clock, "Asia/Jakarta") == datetime(
        2024, 11, 12, 9, 0, tzinfo=wib)
    assert parse_datetime("besok 09.00", clock, "Asia/Jakarta") == datetime(
        2024, 11, 5, 9, 0, tzinfo=wib)
    assert parse_datetime("lusa 13.30", clock, "Asia/Makassar") == datetime(
        2024, 11, 6, 13, 30, tzinfo=ZoneInfo("Asia/Makassar"))
    # on Monday at 09.00 'Senin 09.00' is no longer ahead today, so it means next Monday
    assert parse_datetime("Senin 09.00", clock, "Asia/Jakarta") == datetime(
        2024, 11, 11, 9, 0, tzinfo=wib)
    assert parse_datetime("Senin 10.00", clock, "Asia/Jakarta") == datetime(
        2024, 11, 4, 10, 0, tzinfo=wib)
    assert parse_datetime("12/11/2024", clock, "Asia/Jakarta", default_time=time(23, 59)) == (
        datetime(2024, 11, 12, 23, 59, tzinfo=wib))


def test_time_of_day_alone() -> None:
    assert parse_time_of_day("12.00") == time(12, 0)
    assert parse_time_of_day("pukul 9") == time(9, 0)
    with pytest.raises(DateParseError):
        parse_time_of_day("12")
