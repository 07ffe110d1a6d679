"""The recap chart: a real PNG, phone-sized, drawn for full and for empty recaps."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime

from bot.i18n import Translator
from bot.services.charts import render_recap_chart
from bot.services.recap import (
    AttendanceGroup,
    ComplaintFigures,
    DriveGroup,
    IncidentGroup,
    Recap,
)
from bot.services.recap_period import Period, PeriodKind

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always comes first."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def recap(*, empty: bool = False) -> Recap:
    period = Period(PeriodKind.WEEK, date(2024, 10, 29), date(2024, 11, 4), "Asia/Jakarta")
    incidents = IncidentGroup("", "", 0, {}, {}, {}) if empty else IncidentGroup(
        "", "", 6, {"bencana": 4, "kebakaran": 2}, {"darurat": 1, "biasa": 5},
        {"baru": 6}, {"bencana": {"darurat": 1, "biasa": 3}, "kebakaran": {"biasa": 2}})
    kecamatan = [("32.77.03", "Cimahi Utara"), ("32.77.01", "Cimahi Selatan & Sekitarnya $")]
    return Recap(
        area_code="32.77", area_name="Kota Cimahi", period=period,
        generated_at=datetime(2024, 11, 4, 2, tzinfo=UTC), incidents=incidents,
        incidents_by_kecamatan=(),
        complaints=ComplaintFigures() if empty else ComplaintFigures(9, 4, 2, 4, 1, 36.0),
        meetings=0 if empty else 2,
        attendance=AttendanceGroup("", "") if empty else AttendanceGroup("", "", 10, 6, 1, 2, 1, 5),
        attendance_by_kecamatan=() if empty else tuple(
            AttendanceGroup(code, name, 5, 3, 1, 1, 0, 2) for code, name in kecamatan),
        drives=0 if empty else 1,
        drive_totals=DriveGroup("", "") if empty else DriveGroup("", "", 300, 240, 4, 3),
        drives_by_kecamatan=() if empty else tuple(
            DriveGroup(code, name, 150, 120, 2, 1) for code, name in kecamatan),
    )


def test_chart_is_a_phone_sized_png() -> None:
    data = render_recap_chart(recap(), Translator("id"))
    assert data.startswith(PNG_SIGNATURE)
    assert png_size(data) == (900, 1600)
    assert len(data) > 40_000  # four panels of bars and labels, not a blank canvas


def test_empty_recap_still_draws_and_english_works() -> None:
    data = render_recap_chart(recap(empty=True), Translator("en"))
    assert png_size(data) == (900, 1600) and len(data) > 10_000
