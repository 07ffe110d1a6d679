"""Bulk data for figure 4: a million incident reports and 200,000 complaints in minutes.

Rows are generated (seeded random, so every run has the same data) and written straight to
the tables: executemany on SQLite (with SQLAlchemy's own text format for times, so the bot
reads them as it reads its own rows), COPY on PostgreSQL, followed by VACUUM ANALYZE there,
as autovacuum would soon do, and a CHECKPOINT (so the figures do not share the disk with
one), and on SQLite by the ANALYZE the bot's start-up runs on a database whose statistics
are missing or stale (bot.migrate). Reports are
spread over the last 365 days (in time order, most of the older ones closed) and over the
pilot villages, each filed by a lurah of that village; no status history or media rows are
made (the recap, the lists and the exports do not read them).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlmodel import select

from bench.harness import ScratchDatabase
from bot.db import Database
from bot.migrate import refresh_sqlite_statistics
from bot.services.regions import timezone_for
from models.officials import Official, Role

CHUNK = 50_000
DAYS = 365
INCIDENT_COLUMNS = ("ticket", "category", "urgency", "description", "occurred_at", "latitude",
                    "longitude", "address", "region_code", "reporter_id", "status",
                    "created_at", "updated_at")
COMPLAINT_COLUMNS = ("ticket", "year", "sequence", "region_code", "recorded_by_id",
                     "assignee_id", "citizen_name", "citizen_phone", "citizen_nik", "channel",
                     "category", "description", "location_text", "latitude", "longitude",
                     "status", "forwarded_to", "forwarded_agency", "resolution_note",
                     "received_at", "due_on", "due_at", "closed_at", "updated_at")
_CATEGORIES = ("bencana", "kebakaran", "keamanan", "konflik", "kesehatan", "infrastruktur",
               "pemilu", "lainnya")
_URGENCIES = ("biasa",) * 6 + ("penting",) * 3 + ("darurat",)
# statuses by age (under a week, under a month, older): old reports are mostly closed
_INCIDENT_STATUSES = (
    ("baru",) * 8 + ("diterima",) * 5 + ("ditindaklanjuti",) * 4 + ("selesai",) * 2 + ("ditolak",),
    ("baru",) + ("diterima",) * 2 + ("ditindaklanjuti",) * 4 + ("selesai",) * 11 + ("ditolak",) * 2,
    ("ditindaklanjuti",) + ("selesai",) * 17 + ("ditolak",) * 2,
)
_COMPLAINT_CATEGORIES = ("adminduk", "infrastruktur", "kebersihan", "keamanan", "pelayanan",
                         "pungli", "pertanahan", "sosial", "lainnya")
_COMPLAINT_STATUSES = (
    ("diterima",) * 6 + ("diproses",) * 6 + ("diteruskan",) * 2 + ("selesai",) * 5 + ("ditolak",),
    ("diterima",) + ("diproses",) * 3 + ("diteruskan",) * 2 + ("selesai",) * 12 + ("ditolak",) * 2,
    ("diproses",) + ("selesai",) * 17 + ("ditolak",) * 2,
)
_CHANNELS = ("datang", "telepon", "medsos", "lainnya")
_OPEN = {"diterima", "diproses", "diteruskan"}


async def reporters_by_village(database: Database) -> dict[str, list[int]]:
    async with database.session() as session:
        rows = (await session.exec(select(Official.id, Official.region_code).where(
            Official.role == Role.LURAH))).all()
    villages: dict[str, list[int]] = {}
    for official_id, code in rows:
        villages.setdefault(code, []).append(official_id)
    return villages


def _by_age(tables: tuple[tuple[str, ...], ...], moment: datetime,
            now: datetime) -> tuple[str, ...]:
    age = now - moment
    return tables[0] if age < timedelta(days=7) else \
        tables[1] if age < timedelta(days=30) else tables[2]


def _moments(rng: random.Random, count: int, now: datetime) -> list[datetime]:
    """`count` moments in the last DAYS days, oldest first (rows arrive in time order)."""
    ages = sorted((rng.random() * DAYS * 86_400 for _ in range(count)), reverse=True)
    return [now - timedelta(seconds=age) for age in ages]


def incident_rows(count: int, villages: dict[str, list[int]], now: datetime,
                  seed: int = 11) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    codes = sorted(villages)
    zones = {code: ZoneInfo(timezone_for(code)) for code in codes}
    numbers: dict[int, int] = {}
    for created in _moments(rng, count, now):
        code = rng.choice(codes)
        year = created.astimezone(zones[code]).year
        numbers[year] = numbers.get(year, 0) + 1
        pinned = rng.random() < 0.7
        yield (f"LK-{year}-{numbers[year]:06d}", rng.choice(_CATEGORIES), rng.choice(_URGENCIES),
               (f"Laporan kejadian nomor {numbers[year]} di wilayah {code}: keadaan terkendali, "
                "petugas sudah di lokasi."),
               created - timedelta(minutes=rng.randint(0, 600)),
               -6.8 - rng.random() if pinned else None, 107.5 + rng.random() if pinned else None,
               None if pinned else f"Jl. Merdeka No. {rng.randint(1, 200)}, RT 01",
               code, rng.choice(villages[code]),
               rng.choice(_by_age(_INCIDENT_STATUSES, created, now)), created,
               created + timedelta(hours=rng.randint(0, 72)))


def complaint_rows(count: int, villages: dict[str, list[int]], now: datetime,
                   seed: int = 12) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    codes = sorted(villages)
    zones = {code: ZoneInfo(timezone_for(code)) for code in codes}
    sequences: dict[int, int] = {}
    for received in _moments(rng, count, now):
        code = rng.choice(codes)
        year = received.astimezone(zones[code]).year
        sequences[year] = sequences.get(year, 0) + 1
        recorder = rng.choice(villages[code])
        status = rng.choice(_by_age(_COMPLAINT_STATUSES, received, now))
        due = received + timedelta(days=7)
        closed = None if status in _OPEN else received + timedelta(hours=rng.randint(2, 400))
        forwarded = status == "diteruskan"
        yield (f"ADU-{year}-{sequences[year]:06d}", year, sequences[year], code, recorder,
               recorder, "Warga Pelapor", f"+62813{rng.randint(0, 10**8 - 1):08d}",
               f"{rng.randint(10**15, 10**16 - 1)}", rng.choice(_CHANNELS),
               rng.choice(_COMPLAINT_CATEGORIES),
               "Pengaduan warga tentang layanan di kelurahan; mohon ditindaklanjuti.",
               "Balai warga RW 03", None, None, status, "opd" if forwarded else None,
               "Dinas Pekerjaan Umum" if forwarded else None,
               "Sudah ditangani." if status == "selesai" else None,
               received, due.date(), due, closed, closed or received)


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sqlite_value(value: Any) -> Any:
    """SQLAlchemy's text forms on SQLite: UTC 'YYYY-MM-DD HH:MM:SS.ffffff', 'YYYY-MM-DD'."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _load_sqlite(path: str, table: str, columns: tuple[str, ...],
                 rows: Iterator[tuple[Any, ...]]) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-512000")  # 500 MB: index pages stay in memory
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        for chunk in _chunks(rows):
            connection.executemany(statement, [tuple(_sqlite_value(v) for v in row)
                                               for row in chunk])
            connection.commit()
    finally:
        connection.close()


async def _load_postgres(url: str, table: str, columns: tuple[str, ...],
                         rows: Iterator[tuple[Any, ...]]) -> None:
    connection = await asyncpg.connect(url)
    try:
        for chunk in _chunks(rows):
            await connection.copy_records_to_table(table, records=chunk, columns=list(columns))
    finally:
        await connection.close()


async def _vacuum_analyze(scratch: ScratchDatabase) -> None:
    """What autovacuum does to a settled database: statistics and the visibility map; then a
    CHECKPOINT, so the gigabyte of pages the load and the vacuum dirtied is written now and
    not by a checkpoint spread over the minutes the figures are measured in."""
    connection = await asyncpg.connect(scratch.url)
    try:
        await connection.execute("VACUUM ANALYZE")
        try:
            await connection.execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError:  # needs a superuser or pg_checkpoint
            pass
    finally:
        await connection.close()


async def seed_reports(scratch: ScratchDatabase, database: Database, *, incidents: int,
                       complaints: int, now: datetime) -> dict[str, float]:
    """Load the rows; returns the seconds each part took."""
    villages = await reporters_by_village(database)
    timings: dict[str, float] = {}
    for table, columns, rows, count in (
            ("incident", INCIDENT_COLUMNS, incident_rows, incidents),
            ("complaint", COMPLAINT_COLUMNS, complaint_rows, complaints)):
        started = time.perf_counter()
        generated = rows(count, villages, now)
        if scratch.backend == "sqlite":
            await asyncio.to_thread(_load_sqlite, scratch.name, table, columns, generated)
        else:
            await _load_postgres(scratch.url, table, columns, generated)
        timings[f"{table}_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    if scratch.backend == "postgres":
        await _vacuum_analyze(scratch)
        timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
    else:
        await asyncio.to_thread(refresh_sqlite_statistics, scratch.async_url)
        timings["analyze_s"] = round(time.perf_counter() - started, 1)
    return timings
