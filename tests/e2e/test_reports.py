"""/rekap and /ekspor through the real bot: the chart photo, the document, a large export."""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import insert

from bot.clock import FrozenClock, ShiftableClock
from bot.context import SERVICES_KEY
from bot.services.recap_digest import plan_weekly_digests
from models.incidents import Incident
from models.reporting import DigestPreference
from scheduler.alarm import install
from tests.e2e.harness import Harness
from tests.unit.test_recap_data import CIBABAT, World, seed_world, utc

SEEDED_WEEK = "28/10/2024-4/11/2024"


async def world_with_chats(h: Harness) -> World:
    world = await seed_world(h.db, h.clock)
    for official in (world.admin, world.camat, world.lurah_cibabat):
        await h.sim.add_user(official.telegram_id, official.full_name.split()[0], started=True)
    return world


async def download(h: Harness, file_id: str) -> bytes:
    """Fetch a file the bot sent, the way a client would: getFile, then the file URL."""
    assert h.app is not None
    telegram_file = await h.app.bot.get_file(file_id)
    return bytes(await telegram_file.download_as_bytearray())


async def test_rekap_with_a_typed_range_sends_the_recap_and_a_chart(harness: Harness) -> None:
    h = harness
    world = await world_with_chats(h)
    camat = world.camat.telegram_id
    menu = await h.say(camat, "/rekap", expect="Pilih periode")
    assert "Cimahi Utara" in menu.text
    labels = [label for label, _ in menu.buttons]
    assert "7 hari" in labels and "Ringkasan mingguan: aktif ✅" in labels

    switched = await h.press(camat, "Ringkasan mingguan", expect="Pilih periode")
    assert "Ringkasan mingguan: nonaktif ⛔" in [label for label, _ in switched.buttons]
    async with h.db.session() as session:
        preference = await session.get(DigestPreference, world.camat.id)
    assert preference is not None and not preference.weekly_enabled

    # the seeded data is from 2024: the last 7 days are empty, and then no chart is drawn
    await h.press(camat, "7 hari", expect="Belum ada data")
    await h.press(camat, "Rentang tanggal", expect="Ketik rentang tanggal")
    await h.say(camat, "kemarin", expect="belum saya kenali")
    recap = await h.say(camat, SEEDED_WEEK, expect="Laporan kejadian: 3")
    assert "Pengaduan masyarakat: 3" in recap.text and "Kategori sensitif" in recap.text
    assert "Realisasi 80 dari target 150" in recap.text
    photo = await h.sim.wait_for_bot_message(camat, contains="Grafik rekap", timeout=30)
    assert photo.kind == "photo" and photo.photo
    chart = await download(h, photo.photo[-1])
    assert chart.startswith(b"\x89PNG")

    refused = await h.say(world.lurah_cibabat.telegram_id, "/rekap")
    assert "tidak tersedia" in refused.text
    assert "tidak tersedia" in await h.forge(camat, "w1:exp.go:7d:-:x:1")


async def test_ekspor_sends_an_xlsx_that_opens(harness: Harness) -> None:
    h = harness
    world = await world_with_chats(h)
    admin = world.admin.telegram_id
    await h.say(admin, "/ekspor", expect="Pilih periode")
    await h.press(admin, "Rentang tanggal", expect="Ketik rentang tanggal")
    areas = await h.say(admin, SEEDED_WEEK, expect="Pilih wilayah")
    assert {"Seluruh Kota Cimahi", "Cimahi Utara", "Cimahi Selatan"} <= {
        label for label, _ in areas.buttons}
    assert "di luar wilayah" in await h.forge(admin, "w1:exp.a:7d:53.71")
    await h.press(admin, "Seluruh Kota Cimahi", expect="Pilih format")
    await h.press(admin, "Excel (XLSX)", expect="Sedang disiapkan")
    document = await h.sim.wait_for_bot_message(admin, contains="Ekspor Kota Cimahi", timeout=30)
    assert document.kind == "document" and document.document
    await h.sim.wait_for_bot_message(admin, contains="Ekspor siap: 5 kejadian", timeout=10)

    book = load_workbook(io.BytesIO(await download(h, document.document)))
    assert book.sheetnames == ["Kejadian", "Pengaduan", "Kehadiran Rakor", "Perekaman e-KTP"]
    complaints = book["Pengaduan"]
    nik = [cell.value for cell in complaints[1]].index("NIK")
    assert all(str(row[nik].value).startswith("•") for row in complaints.iter_rows(min_row=2))
    assert complaints.freeze_panes == "A2" and complaints.auto_filter.ref == "A1:U8"


async def test_a_large_export_does_not_hold_up_anyone(harness: Harness) -> None:
    h = harness
    world = await world_with_chats(h)
    rows = 20_000
    async with h.db.session() as session:
        for start in range(0, rows, 5_000):
            await session.exec(insert(Incident), params=[
                {"ticket": f"LK-2024-{100_000 + n:06d}", "category": "bencana",
                 "urgency": "biasa", "description": "Banjir", "region_code": CIBABAT,
                 "occurred_at": utc(2, 1) + timedelta(seconds=n),
                 "created_at": utc(2, 1) + timedelta(seconds=n),
                 "updated_at": utc(2, 1) + timedelta(seconds=n),
                 "reporter_id": world.lurah_cibabat.id, "status": "baru"}
                for n in range(start, start + 5_000)])
    admin, camat = world.admin.telegram_id, world.camat.telegram_id
    await h.say(admin, "/ekspor 2/11/2024-2/11/2024", expect="Pilih wilayah")
    await h.press(admin, "Seluruh Kota Cimahi", expect="Pilih format")
    await h.press(admin, "Excel (XLSX)", expect="Sedang disiapkan")

    started = time.monotonic()
    await h.say(camat, "/rekap", expect="Pilih periode", timeout=5)
    assert time.monotonic() - started < 1.0
    assert not [m for m in h.sim.bot_messages(admin) if m.kind == "document"], \
        "the export finished before the other user was answered: the test proves nothing"

    document = await h.sim.wait_for_bot_message(admin, contains="Ekspor Kota Cimahi", timeout=120)
    book = load_workbook(io.BytesIO(await download(h, document.document or "")), read_only=True)
    assert book["Kejadian"].max_row == rows + 1


async def test_the_weekly_digest_arrives_on_monday_at_seven(harness: Harness) -> None:
    h = harness
    world = await world_with_chats(h)
    for official in (world.camat_alak, world.superadmin):
        await h.sim.add_user(official.telegram_id, official.full_name.split()[0], started=True)
    async with h.db.session() as session:
        session.add(DigestPreference(official_id=world.camat.id, weekly_enabled=False,
                                     updated_at=h.clock.now()))
    wib = ZoneInfo("Asia/Jakarta")
    today = h.clock.now().astimezone(wib).date()
    monday = today + timedelta(days=7 - today.weekday())
    # planned (with last week's figures) in the small hours, then the clock reaches 07:01
    planner = FrozenClock(datetime.combine(monday, clock_time(0, 30), tzinfo=wib))
    async with h.db.session() as session:
        await plan_weekly_digests(session, planner, h.settings)
    assert isinstance(h.clock, ShiftableClock) and h.app is not None
    h.clock.shift(datetime.combine(monday, clock_time(7, 1), tzinfo=wib) - h.clock.now())
    install(h.app, database=h.app.bot_data[SERVICES_KEY].db, settings=h.settings,
            clock=h.clock)
    digest = await h.sim.wait_for_bot_message(world.admin.telegram_id,
                                              contains="Ringkasan mingguan", timeout=15)
    assert "Kota Cimahi" in digest.text and "/rekap" in digest.text
    await h.sim.wait_for_bot_message(world.camat_alak.telegram_id,
                                     contains="Ringkasan mingguan Alak", timeout=15)
    await h.settle(0.5)
    assert not [m for m in h.sim.bot_messages(world.camat.telegram_id)
                if "Ringkasan mingguan" in (m.text or "")]  # switched off
