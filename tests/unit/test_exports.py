"""Exports opened back with openpyxl/csv: types, headers, panes, filters, masking, audit."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.clock import FrozenClock
from bot.db import Database
from bot.errors import NotAllowed
from bot.services.exports import (
    AUDIT_FULL_NIK,
    ExportFormat,
    ExportResult,
    prepare_export,
    run_export,
)
from bot.services.recap_period import PeriodKind, quick_period
from models.officials import AuditEntry, Official
from tests.unit.test_recap_data import MELONG, seed_world

SHEETS = ["Kejadian", "Pengaduan", "Kehadiran Rakor", "Perekaman e-KTP"]


async def export(db: Database, clock: FrozenClock, actor: Official, tmp_path: Path, *,
                 area: str | None = None, format: ExportFormat = ExportFormat.XLSX,
                 full: bool = False) -> ExportResult:
    period = quick_period(PeriodKind.WEEK, now=clock.now(), timezone="Asia/Jakarta")
    async with db.session() as session:
        request = await prepare_export(session, clock, actor=actor, area_code=area,
                                       period=period, format=format, full_identity=full)
    return await run_export(request, database_url=db.url, data_dir=tmp_path)


async def audit_entries(db: Database) -> list[AuditEntry]:
    async with db.session() as session:
        return list((await session.exec(select(AuditEntry)
                                        .where(AuditEntry.action == AUDIT_FULL_NIK))).all())


async def test_xlsx_has_real_dates_frozen_headers_filters_and_masked_nik(
        db: Database, clock: FrozenClock, tmp_path: Path) -> None:
    world = await seed_world(db, clock)
    result = await export(db, clock, world.admin, tmp_path)
    assert result.path.parent == tmp_path / "exports" and result.path.suffix == ".xlsx"
    assert result.rows == {"incidents": 4, "complaints": 7, "attendance": 4, "drives": 3}
    book = load_workbook(result.path)
    assert book.sheetnames == SHEETS

    incidents = book["Kejadian"]
    headers = [cell.value for cell in incidents[1]]
    assert headers[:4] == ["Nomor tiket", "Waktu lapor", "Waktu kejadian", "Zona waktu"]
    assert incidents.freeze_panes == "A2"
    assert incidents.auto_filter.ref == f"A1:P{4 + 1}"
    assert incidents.column_dimensions["A"].width == 17
    assert incidents.column_dimensions["O"].width == 60  # the description
    first = [cell.value for cell in incidents[2]]
    # 28 Oct 17:00 UTC is the first minute of 29 October in WIB: a real datetime cell
    assert first[0] == "LK-2024-000004"
    assert first[1] == datetime(2024, 10, 29, 0, 0) and isinstance(first[1], datetime)
    assert incidents["B2"].number_format == "dd/mm/yyyy hh:mm"
    assert first[3:7] == ["WIB", "Bencana", "Penting", "Diterima"]
    assert first[7:10] == ["Cimahi Selatan", "Melong", MELONG]
    assert isinstance(first[12], float)  # latitude stays a number

    complaints = book["Pengaduan"]
    columns = {cell.value: index for index, cell in enumerate(complaints[1])}
    niks = [row[columns["NIK"]].value for row in complaints.iter_rows(min_row=2)]
    assert len(niks) == 7
    assert all(nik.startswith("•" * 12) and nik[-4:].isdigit() for nik in niks)
    phones = {row[columns["Telepon"]].value for row in complaints.iter_rows(min_row=2)}
    assert phones == {"••••••••7890"}
    overdue = [row[columns["Terlambat"]].value for row in complaints.iter_rows(min_row=2)]
    assert overdue.count("Ya") == 1
    hours = [row[columns["Lama penyelesaian (jam)"]].value
             for row in complaints.iter_rows(min_row=2)]
    assert sorted(h for h in hours if h is not None) == [3.0, 12.0, 24.0, 48.0, 72.0]

    drives = book["Perekaman e-KTP"]
    rates = {row[7].value: row[10] for row in drives.iter_rows(min_row=2)}
    assert rates["32.77.03.1002"].value == pytest.approx(0.8)
    assert rates["32.77.03.1002"].number_format == "0%"
    assert rates["32.77.03.1003"].value is None

    attendance = book["Kehadiran Rakor"]
    answers = sorted(row[9].value for row in attendance.iter_rows(min_row=2))
    assert answers == ["Belum menjawab", "Diwakilkan", "Hadir", "Tidak hadir"]
    assert await audit_entries(db) == []


async def test_full_nik_export_is_audited(db: Database, clock: FrozenClock,
                                         tmp_path: Path) -> None:
    world = await seed_world(db, clock)
    result = await export(db, clock, world.admin, tmp_path, full=True)
    complaints = load_workbook(result.path, read_only=True)["Pengaduan"]
    rows = list(complaints.iter_rows(values_only=True))
    nik = rows[0].index("NIK")
    assert {row[nik] for row in rows[1:]} >= {"3277031234500001", "3277031234500004"}
    entries = await audit_entries(db)
    assert len(entries) == 1
    assert entries[0].actor_id == world.admin.id and entries[0].subject == "export:32.77"
    assert "2024-10-29..2024-11-04" in entries[0].detail


async def test_scope_narrowing_and_refusals(db: Database, clock: FrozenClock,
                                           tmp_path: Path) -> None:
    world = await seed_world(db, clock)
    narrowed = await export(db, clock, world.admin, tmp_path, area="32.77.01")
    assert narrowed.rows == {"incidents": 1, "complaints": 3, "attendance": 1, "drives": 1}
    everything = await export(db, clock, world.superadmin, tmp_path)
    assert everything.rows["incidents"] == 6  # incl. Kota Kupang (WITA) this week
    for actor, area in [(world.admin, "53.71"), (world.camat, None),
                        (world.lurah_cibabat, None)]:
        with pytest.raises(NotAllowed):
            await export(db, clock, actor, tmp_path, area=area)
    assert await audit_entries(db) == []


async def test_csv_zip_with_one_file_per_dataset(db: Database, clock: FrozenClock,
                                                 tmp_path: Path) -> None:
    world = await seed_world(db, clock)
    result = await export(db, clock, world.admin, tmp_path, format=ExportFormat.CSV)
    assert result.path.suffix == ".zip"
    with zipfile.ZipFile(result.path) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["kejadian.csv", "pengaduan.csv", "kehadiran_rakor.csv", "perekaman_ektp.csv"])
        raw = archive.read("kejadian.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Nomor tiket", "Waktu lapor"] and len(rows) == 5
    assert rows[1][1] == "2024-10-29 00:00"
