"""Perekaman e-KTP through the real bot: plan a drive, tell the lurah, collect realisasi."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.callbacks import pack
from models.drives import Drive
from models.officials import Role
from models.reminders import Reminder, ReminderStatus
from tests.e2e.harness import Harness

WIB = ZoneInfo("Asia/Jakarta")
ADMIN, CAMAT = 1001, 2001
LURAH_CIBABAT, LURAH_PASIRKALIKI, LURAH_ALAK = 3001, 3002, 3003
PLACE = "Aula Kelurahan <RW 05> & Posyandu"


def day(h: Harness, days_ahead: int) -> str:
    return (h.clock.now().astimezone(WIB) + timedelta(days=days_ahead)).strftime("%d/%m/%Y")


async def people(h: Harness) -> None:
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem Cimahi")
    await h.official(CAMAT, Role.CAMAT, "32.77.03", name="Camat Utara")
    await h.official(LURAH_CIBABAT, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
    await h.official(LURAH_PASIRKALIKI, Role.LURAH, "32.77.03.1001", name="Lurah Pasirkaliki",
                     language="en")


async def choose_cimahi_utara(h: Harness, *villages: str) -> None:
    await h.say(ADMIN, "/perekaman_baru", expect="kelurahan/desa sasaran")
    await h.press(ADMIN, "Cimahi Utara", expect="Kecamatan Cimahi Utara")
    for village in villages:
        edited = await h.press(ADMIN, village, expect="Kecamatan Cimahi Utara")
        assert f"☑ {village}" in [label for label, _ in edited.buttons]
    await h.press(ADMIN, "Kembali", expect=f"Terpilih: {len(villages)}")
    await h.press(ADMIN, "Lanjut", expect=f"Sasaran: {len(villages)}")
    await h.sim.wait_for_bot_message(ADMIN, contains="Kapan perekaman dimulai")


async def drive_id(h: Harness) -> int:
    async with h.db.session() as session:
        drive = (await session.exec(select(Drive))).first()
    assert drive is not None and drive.id is not None
    return drive.id


async def test_drive_from_schedule_to_realisasi(harness: Harness) -> None:
    h = harness
    await people(h)
    await h.say(ADMIN, "/perekaman_baru", expect="kelurahan/desa sasaran")
    assert "minimal satu" in await h.press_for_answer(ADMIN, "Lanjut")
    await h.say(ADMIN, "/batal", expect="Dibatalkan")
    await choose_cimahi_utara(h, "Cibabat", "Pasirkaliki", "Citeureup")
    await h.say(ADMIN, "bulan depan", expect="belum bisa saya baca")
    await h.say(ADMIN, f"{day(h, 3)} 08.00", expect="Jam berapa selesai")
    await h.say(ADMIN, "07.00", expect="harus setelah jam mulai")
    await h.say(ADMIN, "14.00", expect="tempat perekamannya")
    await h.say(ADMIN, PLACE, expect="Siapa sasarannya")
    await h.say(ADMIN, "Warga yang genap 17 tahun pada 27 November", expect="target perekaman")
    await h.say(ADMIN, "120, 80", expect="tetapi Anda menulis 2 angka")
    await h.say(ADMIN, "seratus", expect="angka saja")
    preview = await h.say(ADMIN, "120, 80, 60", expect="Periksa jadwal")
    assert "Total target: 260" in preview.text and PLACE in preview.text
    await h.press(ADMIN, "Kirim jadwal", expect="disimpan")
    await h.sim.wait_for_bot_message(ADMIN, contains="terkirim ke 2 lurah")
    await h.sim.wait_for_bot_message(ADMIN, contains="Citeureup")

    schedule = await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="Jadwal perekaman")
    assert "Target Kelurahan Cibabat: 120 orang" in schedule.text and PLACE in schedule.text
    notice = await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="PENGUMUMAN")
    assert "Kelurahan Cibabat" in notice.text and PLACE in notice.text and not notice.entities
    english = await h.sim.wait_for_bot_message(LURAH_PASIRKALIKI, contains="recording schedule")
    assert "Target for Kelurahan Pasirkaliki: 60 people" in english.text
    await h.sim.wait_for_bot_message(LURAH_PASIRKALIKI, contains="PENGUMUMAN")

    # too early to report; others cannot report at all
    assert "setelah perekaman dimulai" in await h.press_for_answer(LURAH_CIBABAT, "Laporkan")
    await h.say(LURAH_CIBABAT, "/realisasi", expect="Tidak ada perekaman")
    await h.say(CAMAT, "/realisasi", expect="tidak tersedia untuk peran Anda")
    await h.official(LURAH_ALAK, Role.LURAH, "53.71.01.1008", name="Lurah Alak")
    identifier = await drive_id(h)
    await h.say(LURAH_ALAK, "/perekaman", expect="Belum ada jadwal")
    assert "tidak ditemukan" in await h.forge(LURAH_ALAK, pack("drv.rl", identifier))
    assert "tidak tersedia" in await h.forge(LURAH_CIBABAT, pack("drv.cxy", identifier))

    # after the drive
    async with h.db.session() as session:
        drive = await session.get(Drive, identifier)
    assert drive is not None
    h.clock.shift(drive.ends_at + timedelta(hours=1) - h.clock.now())
    await h.say(LURAH_CIBABAT, "/realisasi", expect="Berapa warga yang berhasil direkam")
    await h.say(LURAH_CIBABAT, "sembilan puluh", expect="dalam angka")
    await h.say(LURAH_CIBABAT, "97", expect="Realisasi tercatat: 97")
    told = await h.sim.wait_for_bot_message(ADMIN, contains="Realisasi perekaman e-KTP")
    assert "Kelurahan Cibabat: 97 dari target 120 (81%)" in told.text
    assert "dilaporkan oleh Lurah Cibabat" in told.text
    recap = await h.say(ADMIN, "/perekaman", expect="Perekaman e-KTP keliling")
    assert "Cibabat (Kec. Cimahi Utara): 97 dari 120 (81%)" in recap.text
    assert "Total: 97 dari 260 (37%)" in recap.text
    assert "Pasirkaliki — Lurah Pasirkaliki" in recap.text
    assert "Citeureup — belum ada lurah terdaftar" in recap.text

    await h.press(LURAH_PASIRKALIKI, "Report realisasi", expect="How many residents")
    await h.say(LURAH_PASIRKALIKI, "55", expect="55 of target 60 (92%)")
    await h.press(LURAH_CIBABAT, "Laporkan realisasi", expect="sudah dilaporkan 97")
    await h.say(LURAH_CIBABAT, "98", expect="Realisasi tercatat: 98")
    updated = await h.press(ADMIN, "Perbarui", expect="Total: 153 dari 260")
    assert "Pasirkaliki — " not in updated.text and "Citeureup — " in updated.text
    own = await h.say(LURAH_CIBABAT, "/perekaman", expect="Perekaman e-KTP keliling")
    assert "Cibabat" in own.text and "Pasirkaliki" not in own.text
    camat_view = await h.say(CAMAT, "/perekaman", expect="Perekaman e-KTP keliling")
    assert "Total: 153 dari 260" in camat_view.text


async def test_a_cancelled_drive_is_announced_and_closed(harness: Harness) -> None:
    h = harness
    await people(h)
    await choose_cimahi_utara(h, "Cibabat")
    await h.say(ADMIN, f"{day(h, 2)} 9 pagi", expect="Jam berapa selesai")
    await h.say(ADMIN, "12.00", expect="tempat perekamannya")
    await h.restart_bot()
    await h.say(ADMIN, "Kantor Kelurahan", expect="Siapa sasarannya")
    await h.say(ADMIN, "Pemilih pemula", expect="target perekaman")
    await h.say(ADMIN, "50", expect="Total target: 50")
    await h.press(ADMIN, "Kirim jadwal", expect="disimpan")
    await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="PENGUMUMAN")
    await h.say(ADMIN, "/perekaman", expect="Perekaman belum dimulai")
    await h.press(ADMIN, "Batalkan", expect="akan diberi tahu")
    await h.press(ADMIN, "Ya, batalkan", expect="1 lurah/kepala desa sudah diberi tahu")
    await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="dibatalkan")
    identifier = await drive_id(h)
    assert "dibatalkan" in await h.forge(ADMIN, pack("drv.cxy", identifier))
    await h.say(ADMIN, "/perekaman", expect="Belum ada jadwal")


async def plan_one_drive(h: Harness, days_ahead: int) -> None:
    """Cibabat only, 08.00–12.00 in `days_ahead` days, sent to its lurah."""
    await choose_cimahi_utara(h, "Cibabat")
    await h.say(ADMIN, f"{day(h, days_ahead)} 08.00", expect="Jam berapa selesai")
    await h.say(ADMIN, "12.00", expect="tempat perekamannya")
    await h.say(ADMIN, "Kantor Kelurahan", expect="Siapa sasarannya")
    await h.say(ADMIN, "Pemilih pemula", expect="target perekaman")
    await h.say(ADMIN, "50", expect="Total target: 50")
    await h.press(ADMIN, "Kirim jadwal", expect="disimpan")
    await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="PENGUMUMAN")


async def test_an_admin_moves_a_drive_and_the_lurah_hear_the_new_time(harness: Harness
                                                                      ) -> None:
    h = harness
    await people(h)
    await plan_one_drive(h, 3)
    identifier = await drive_id(h)
    assert "tidak tersedia" in await h.forge(LURAH_CIBABAT, pack("drv.mv", identifier))
    await h.say(ADMIN, "/perekaman", expect="Perekaman belum dimulai")
    await h.press(ADMIN, "Ubah jadwal", expect="Jadwal sekarang")
    await h.say(ADMIN, f"{day(h, -1)} 08.00", expect="sudah lewat")
    new_day = day(h, 6)
    await h.say(ADMIN, f"{new_day} 09.00", expect="Jam berapa selesai")
    await h.say(ADMIN, "08.00", expect="harus setelah jam mulai")
    confirm = await h.say(ADMIN, "13.00", expect="Ubah jadwal perekaman?")
    assert "09.00–13.00 WIB" in confirm.text and "08.00–12.00 WIB" in confirm.text
    await h.press(ADMIN, "Ya, ubah", expect="1 lurah/kepala desa sudah diberi tahu")

    moved = await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="diubah")
    assert "09.00–13.00 WIB" in moved.text and "Laporkan realisasi" in str(moved.buttons)
    notice = await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="PENGUMUMAN")
    assert "09.00–13.00" in notice.text
    async with h.db.session() as session:
        drive = await session.get(Drive, identifier)
        assert drive is not None
        pending = (await session.exec(select(Reminder).where(
            Reminder.target_type == "drive", Reminder.target_id == identifier,
            Reminder.status == ReminderStatus.PENDING))).all()
    assert drive.starts_at.astimezone(WIB).strftime("%d/%m/%Y %H.%M") == f"{new_day} 09.00"
    assert pending and all(r.due_at > h.clock.now() for r in pending)
    assert max(r.due_at for r in pending) > drive.ends_at  # the realisasi request follows


async def test_the_organiser_hears_of_a_report_with_names_shown_as_typed(harness: Harness
                                                                         ) -> None:
    h = harness
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem Cimahi")
    await h.official(LURAH_CIBABAT, Role.LURAH, "32.77.03.1002", name="Lurah <Cibabat> & Co")
    await plan_one_drive(h, 2)
    async with h.db.session() as session:
        drive = await session.get(Drive, await drive_id(h))
    assert drive is not None
    h.clock.shift(drive.starts_at + timedelta(hours=1) - h.clock.now())
    await h.say(LURAH_CIBABAT, "/realisasi", expect="Berapa warga")
    await h.say(LURAH_CIBABAT, "45", expect="Realisasi tercatat: 45")
    told = await h.sim.wait_for_bot_message(ADMIN, contains="Realisasi perekaman e-KTP")
    assert "dilaporkan oleh Lurah <Cibabat> & Co" in told.text
    assert "45 dari target 50 (90%)" in told.text
