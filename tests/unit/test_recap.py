"""Recap figures against the hand-counted world of test_recap_data, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from bot.clock import FrozenClock
from bot.db import Database
from bot.errors import NotAllowed
from bot.i18n import Translator
from bot.services import recap as recap_service
from bot.services import recap_format
from bot.services.recap import Recap, compute_recap, scope_for
from bot.services.recap_period import (
    PeriodError,
    PeriodKind,
    from_token,
    parse_range,
    previous_week,
    quick_period,
)
from bot.settings import Settings
from models.incidents import Incident
from models.officials import Official
from tests.unit.test_recap_data import FIRST_DAY, LAST_DAY, SELATAN, UTARA, seed_world

SETTINGS = Settings(telegram={"token": "1:x"})


async def recap_for(db: Database, clock: FrozenClock, official: Official,
                    kind: PeriodKind = PeriodKind.WEEK) -> Recap:
    scope = scope_for(official, SETTINGS)
    period = quick_period(kind, now=clock.now(), timezone=scope.timezone)
    async with db.session() as session:
        return await compute_recap(session, clock, scope=scope, period=period)


def test_quick_periods_are_local_calendar_days() -> None:
    now = datetime(2024, 11, 4, 2, 0, tzinfo=UTC)
    week = quick_period(PeriodKind.WEEK, now=now, timezone="Asia/Jakarta")
    assert (week.first_day, week.last_day) == (FIRST_DAY, LAST_DAY)
    assert week.start == datetime(2024, 10, 28, 17, tzinfo=UTC)
    assert week.end == datetime(2024, 11, 4, 17, tzinfo=UTC)
    today = quick_period(PeriodKind.TODAY, now=now, timezone="Asia/Makassar")
    assert today.start == datetime(2024, 11, 3, 16, tzinfo=UTC) and today.days == 1
    month = quick_period(PeriodKind.THIS_MONTH, now=now, timezone="Asia/Jayapura")
    assert month.first_day == date(2024, 11, 1) and month.start == datetime(
        2024, 10, 31, 15, tzinfo=UTC)
    assert quick_period(PeriodKind.MONTH_30, now=now, timezone="Asia/Jakarta").days == 30
    # 23:30 UTC on 3 November is already the 4th in Jayapura
    late = datetime(2024, 11, 3, 23, 30, tzinfo=UTC)
    assert quick_period(PeriodKind.TODAY, now=late, timezone="Asia/Jayapura").first_day == date(
        2024, 11, 4)


def test_typed_ranges_and_tokens() -> None:
    period = parse_range("1/11/2024-15/11/2024", timezone="Asia/Jakarta")
    assert (period.first_day, period.last_day, period.days) == (
        date(2024, 11, 1), date(2024, 11, 15), 15)
    assert period.end == datetime(2024, 11, 15, 17, tzinfo=UTC)
    assert parse_range(" 01.11.2024 s/d 3.11.2024 ", timezone="Asia/Jakarta").days == 3
    now = datetime(2024, 11, 4, 2, tzinfo=UTC)
    assert from_token(period.token(), now=now, timezone="Asia/Jakarta") == period
    assert from_token("7d", now=now, timezone="Asia/Jakarta").kind == PeriodKind.WEEK
    for text, key in [("kemarin", "reports.errors.range_format"),
                      ("15/11/2024-1/11/2024", "reports.errors.range_order"),
                      ("31/02/2024-1/3/2024", "reports.errors.range_invalid_date"),
                      ("1/1/2023-1/3/2024", "reports.errors.range_too_long")]:
        with pytest.raises(PeriodError) as error:
            parse_range(text, timezone="Asia/Jakarta")
        assert error.value.key == key, text
    for token in ("r2024-1", "yesterday", "r20241399-20241401"):
        with pytest.raises(PeriodError):
            from_token(token, now=now, timezone="Asia/Jakarta")
    week = previous_week(date(2024, 11, 11), timezone="Asia/Jakarta")
    assert (week.first_day, week.last_day) == (date(2024, 11, 4), date(2024, 11, 10))


async def test_admin_recap_of_seven_days(db: Database, clock: FrozenClock) -> None:
    world = await seed_world(db, clock)
    recap = await recap_for(db, clock, world.admin)
    assert recap.area_name == "Kota Cimahi"
    incidents = recap.incidents
    assert incidents.total == 4
    assert incidents.by_category == {"bencana": 2, "keamanan": 1, "kebakaran": 1}
    assert incidents.by_urgency == {"darurat": 1, "biasa": 1, "penting": 2}
    assert incidents.by_status == {"baru": 1, "selesai": 1, "ditindaklanjuti": 1, "diterima": 1}
    assert incidents.by_category_urgency == {"bencana": {"penting": 1, "darurat": 1},
                                             "keamanan": {"biasa": 1}, "kebakaran": {"penting": 1}}
    utara, selatan = recap.incidents_by_kecamatan
    assert (utara.code, utara.name, utara.total) == (UTARA, "Cimahi Utara", 3)
    assert utara.by_urgency == {"darurat": 1, "biasa": 1, "penting": 1}
    assert utara.by_status == {"baru": 1, "selesai": 1, "ditindaklanjuti": 1}
    assert utara.by_category_urgency == {"bencana": {"darurat": 1}, "keamanan": {"biasa": 1},
                                         "kebakaran": {"penting": 1}}
    assert (selatan.code, selatan.total, selatan.by_status) == (SELATAN, 1, {"diterima": 1})

    complaints = recap.complaints
    assert (complaints.received, complaints.open, complaints.overdue, complaints.resolved,
            complaints.rejected) == (7, 2, 1, 4, 1)
    assert complaints.median_resolution_hours == pytest.approx(36.0)  # 12, 24, 48, 72

    assert recap.meetings == 1
    total = recap.attendance
    assert (total.invited, total.hadir, total.diwakilkan, total.tidak_hadir, total.unanswered,
            total.checked_in) == (4, 1, 1, 1, 1, 2)
    assert total.attendance_rate == pytest.approx(0.5)
    by_name = {g.name: g for g in recap.attendance_by_kecamatan}
    assert by_name["Cimahi Utara"].attendance_rate == pytest.approx(2 / 3)
    assert by_name["Cimahi Utara"].check_in_rate == pytest.approx(2 / 3)
    assert by_name["Cimahi Selatan"].attendance_rate == 0

    assert recap.drives == 1
    assert (recap.drive_totals.target, recap.drive_totals.realised, recap.drive_totals.places,
            recap.drive_totals.reported) == (210, 146, 3, 2)
    utara_drive, selatan_drive = recap.drives_by_kecamatan
    assert (utara_drive.name, utara_drive.target, utara_drive.realised) == ("Cimahi Utara", 150, 80)
    assert (selatan_drive.target, selatan_drive.realised) == (60, 66)
    assert Recap.from_dict(recap.to_dict()) == recap


async def test_camat_sees_the_kecamatan_without_sensitive_complaints(
        db: Database, clock: FrozenClock) -> None:
    world = await seed_world(db, clock)
    recap = await recap_for(db, clock, world.camat)
    assert recap.incidents.total == 3
    assert [g.code for g in recap.incidents_by_kecamatan] == [UTARA]
    # the pungli complaint stays out of a camat's figures
    assert (recap.complaints.received, recap.complaints.open, recap.complaints.overdue,
            recap.complaints.resolved) == (3, 0, 0, 3)
    assert recap.complaints.median_resolution_hours == pytest.approx(24.0)  # 12, 24, 72
    assert (recap.attendance.invited, recap.attendance.attending) == (3, 2)
    assert (recap.drive_totals.target, recap.drive_totals.realised) == (150, 80)


async def test_today_follows_the_areas_zone_and_superadmin_sees_all(
        db: Database, clock: FrozenClock) -> None:
    world = await seed_world(db, clock)
    alak = await recap_for(db, clock, world.camat_alak, PeriodKind.TODAY)
    assert alak.period.timezone == "Asia/Makassar"
    assert alak.incidents.by_category == {"lainnya": 1}
    cimahi_today = await recap_for(db, clock, world.admin, PeriodKind.TODAY)
    assert cimahi_today.incidents.by_category == {"bencana": 1}
    everything = await recap_for(db, clock, world.superadmin)
    assert everything.area_code is None
    assert everything.incidents.total == 6
    assert everything.attendance.invited == 5 and everything.meetings == 2


async def test_lurah_gets_no_recap(db: Database, clock: FrozenClock) -> None:
    world = await seed_world(db, clock)
    with pytest.raises(NotAllowed):
        scope_for(world.lurah_cibabat, SETTINGS)


async def test_recap_text_in_both_languages(db: Database, clock: FrozenClock) -> None:
    world = await seed_world(db, clock)
    recap = await recap_for(db, clock, world.admin)
    text = recap_format.recap_text(Translator("id"), recap)
    assert "Kota Cimahi" in text and "29 Oktober" in text and "Cimahi Utara" in text
    assert "1 hari 12 jam" in text  # the 36-hour median
    assert "50%" in text and "146" in text and "210" in text
    english = recap_format.recap_text(Translator("en"), recap)
    assert "Incident reports" in english and "1 day 12 hours" in english
    assert len(text) < 4096


def test_kecamatan_groups_are_written_as_their_index_is() -> None:
    """SQLite reads the recap's groups from ix_incident_kecamatan_cover only if the query's
    kecamatan expression is the indexed one, literally (bound numbers do not match)."""
    [index] = [i for i in Incident.__table__.indexes if i.name == "ix_incident_kecamatan_cover"]
    indexed = str(next(iter(index.expressions)))
    query = sa.select(recap_service._kecamatan(Incident.region_code))
    sql = str(query.compile(dialect=sqlite.dialect()))
    assert indexed == "substr(region_code, 1, 8)"
    assert "substr(incident.region_code, 1, 8)" in sql
