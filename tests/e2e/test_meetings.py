"""Rakor through the real bot: invite, answer, recap, reschedule, check-in, notulen."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.callbacks import pack
from models.meetings import Meeting
from models.officials import Role
from tests.e2e.harness import Harness

WIB = ZoneInfo("Asia/Jakarta")
ADMIN, KUPANG_ADMIN, SUPERADMIN = 1001, 1002, 1003
CAMAT_UTARA, CAMAT_SELATAN = 2001, 2002
LURAH_CIBABAT, LURAH_PASIRKALIKI, LURAH_ALAK = 3001, 3002, 3003


def day(h: Harness, days_ahead: int) -> str:
    """'dd/mm/yyyy' of a day ahead, in WIB."""
    return (h.clock.now().astimezone(WIB) + timedelta(days=days_ahead)).strftime("%d/%m/%Y")


async def people(h: Harness) -> None:
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem Cimahi")
    await h.official(CAMAT_UTARA, Role.CAMAT, "32.77.03", name="Camat Utara")
    await h.official(CAMAT_SELATAN, Role.CAMAT, "32.77.01", name="Camat Selatan",
                     language="en")
    await h.official(LURAH_CIBABAT, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
    await h.official(LURAH_PASIRKALIKI, Role.LURAH, "32.77.03.1001", name="Lurah Pasirkaliki")


async def create_meeting(h: Harness, title: str = "Rakor <Pilkada> & Logistik") -> int:
    """Walk /rapat_baru to the end, with a few mistakes on the way; returns the meeting id."""
    await h.say(ADMIN, "/rapat_baru", expect="judul rapat")
    await h.say(ADMIN, title, expect="agendanya")
    await h.say(ADMIN, "1. Distribusi logistik\n2. Keamanan TPS", expect="Kapan rapat dimulai")
    await h.say(ADMIN, "kemarin sore", expect="belum bisa saya baca")
    await h.say(ADMIN, "31/02/2031 09.00", expect="tidak ada di kalender")
    reply = await h.say(ADMIN, f"{day(h, 3)} 09.00", expect="Jam berapa selesai")
    assert "pukul 09.00 WIB" in reply.text
    await h.say(ADMIN, "08.00", expect="harus setelah waktu mulai")
    await h.say(ADMIN, "12.00", expect="Di mana tempatnya")
    await h.say(ADMIN, "Aula Pemkot Cimahi", expect="titik lokasinya")
    await h.sim.send_location(ADMIN, -6.872, 107.542)
    await h.sim.wait_for_bot_message(ADMIN, contains="Siapa yang diundang")
    assert "Belum ada peserta" in await h.press_for_answer(ADMIN, "Lanjut")
    await h.press(ADMIN, "Semua camat", expect="2 peserta")
    await h.press(ADMIN, "Per kecamatan", expect="Pilih kecamatan")
    await h.press(ADMIN, "Cimahi Utara", expect="Dipilih: 1")
    await h.press(ADMIN, "Kembali", expect="4 peserta")
    await h.press(ADMIN, "Lanjut", expect="Peserta dipilih")
    await h.sim.wait_for_bot_message(ADMIN, contains="Sampai kapan")
    await h.say(ADMIN, f"{day(h, 4)} 09.00", expect="Batas konfirmasi harus")
    preview = await h.press(ADMIN, "Pakai:", expect="Periksa undangan")
    assert "Peserta: 4 orang" in preview.text and title in preview.text
    assert "Dengan titik lokasi" in preview.text
    await h.press(ADMIN, "Kirim undangan", expect="Mengirim undangan")
    await h.sim.wait_for_bot_message(ADMIN, contains="terkirim ke 4 dari 4")
    async with h.db.session() as session:
        meeting = (await session.exec(select(Meeting).where(Meeting.title == title))).one()
    assert meeting.id is not None
    return meeting.id


async def test_rakor_from_invitation_to_notulen(harness: Harness) -> None:
    h = harness
    await people(h)
    meeting_id = await create_meeting(h)
    invitation = await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="Undangan Rapat")
    assert "Rakor <Pilkada> & Logistik" in invitation.text and "Aula Pemkot" in invitation.text
    english = await h.sim.wait_for_bot_message(CAMAT_SELATAN, contains="meeting invitation")
    assert "Not answered" in english.text

    # the three kinds of answer, and a change of mind
    popup = await h.press_for_answer(LURAH_CIBABAT, "Hadir")
    assert "Hadir" in popup
    edited = await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="Jawaban Anda: Hadir")
    assert edited.message_id == invitation.message_id
    await h.press(CAMAT_UTARA, "Diwakilkan", expect="nama perwakilan")
    await h.sim.send_sticker(CAMAT_UTARA)
    await h.sim.wait_for_bot_message(CAMAT_UTARA, contains="jawab dengan teks")
    await h.say(CAMAT_UTARA, "Dedi <Sekcam>", expect="Apa jabatan Dedi <Sekcam>")
    await h.say(CAMAT_UTARA, "Sekretaris Kecamatan", expect="Terima kasih")
    camat_invitation = h.sim.bot_messages(CAMAT_UTARA)[0]
    assert "Perwakilan: Dedi <Sekcam> (Sekretaris Kecamatan)" in (camat_invitation.text or "")
    await h.press(LURAH_PASIRKALIKI, "Tidak hadir", expect="alasannya")
    await h.say(LURAH_PASIRKALIKI, "Banjir di wilayah", expect="Tidak hadir")
    await h.press_for_answer(LURAH_PASIRKALIKI, "Hadir")
    await h.sim.wait_for_bot_message(LURAH_PASIRKALIKI, contains="Jawaban Anda: Hadir")

    # the admin's recap, and a reminder for the one who has not answered
    recap = await h.say(ADMIN, "/rapat", expect="Rekap kehadiran")
    assert "Hadir: 2 · Diwakilkan: 1 · Tidak hadir: 0 · Belum menjawab: 1" in recap.text
    assert "Kec. Cimahi Selatan" in recap.text and "Camat Selatan" in recap.text
    assert "diwakili Dedi <Sekcam>, Sekretaris Kecamatan" in recap.text
    assert "1 peserta" in await h.press_for_answer(ADMIN, "Ingatkan")
    await h.sim.wait_for_bot_message(CAMAT_SELATAN, contains="Please confirm your attendance")

    # outsiders and forged buttons are refused
    await h.official(LURAH_ALAK, Role.LURAH, "53.71.01.1008", name="Lurah Alak")
    await h.official(KUPANG_ADMIN, Role.ADMIN, "53.71", name="Admin Kupang")
    await h.say(LURAH_ALAK, "/rapat", expect="Tidak ada rapat")
    assert "tidak diundang" in await h.forge(LURAH_ALAK, pack("mtg.r", meeting_id, "h"))
    assert "tidak tersedia" in await h.forge(LURAH_CIBABAT, pack("mtg.rc", meeting_id))
    await h.say(KUPANG_ADMIN, "/rapat", expect="Belum ada rapat")
    assert "tidak berwenang" in await h.forge(KUPANG_ADMIN, pack("mtg.cxy", meeting_id))
    assert "tidak berlaku" in await h.forge(LURAH_CIBABAT, pack("mtg.r", meeting_id, "zz"))
    assert "30 menit" in await h.forge(LURAH_CIBABAT, pack("mtg.ci", meeting_id))

    # reschedule: everyone is asked again and every answer is reset
    await h.say(ADMIN, "/rapat", expect="Rekap kehadiran")
    await h.press(ADMIN, "Ubah jadwal", expect="Kapan mulai yang baru")
    await h.say(ADMIN, f"{day(h, 5)} 13.00", expect="Jam berapa selesai")
    await h.say(ADMIN, "15.00", expect="Semua jawaban akan direset")
    await h.press(ADMIN, "Simpan dan kabari", expect="Undangan baru terkirim ke 4 dari 4")
    again = await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="Jadwal rapat diubah")
    assert "pukul 13.00 WIB" in again.text and "Belum menjawab" in again.text
    await h.press_for_answer(LURAH_CIBABAT, "Hadir")
    await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="Jawaban Anda: Hadir")

    # on the day: check-in from 30 minutes before the start; the admin marks the rest
    async with h.db.session() as session:
        meeting = await session.get(Meeting, meeting_id)
    assert meeting is not None
    h.clock.shift(meeting.starts_at - timedelta(minutes=20) - h.clock.now())
    listed = await h.say(LURAH_CIBABAT, "/rapat", expect="Rapat Anda yang akan datang")
    assert "1. Rakor <Pilkada> & Logistik" in [text for text, _ in listed.buttons]
    assert "Presensi tercatat" in await h.press_for_answer(LURAH_CIBABAT, "Saya sudah hadir")
    await h.say(ADMIN, "/rapat", expect="Benar-benar hadir (presensi): 1")
    await h.press(ADMIN, "Presensi", expect="Hadir: 1 dari 4")
    await h.press(ADMIN, "Camat Utara", expect="Hadir: 2 dari 4")

    # after the start: notulen as a PDF goes to everyone
    h.clock.shift(timedelta(hours=3))
    await h.say(ADMIN, "/rapat", expect="Rekap kehadiran")
    await h.press(ADMIN, "Lampirkan notulen", expect="sebagai dokumen PDF")
    await h.say(ADMIN, "ini notulennya", expect="dokumen PDF")
    await h.sim.send_document(ADMIN, b"not a pdf", file_name="notulen.docx",
                              mime_type="application/msword")
    await h.sim.wait_for_bot_message(ADMIN, contains="harus berupa dokumen PDF")
    await h.sim.send_document(ADMIN, b"%PDF-1.4 notulen", file_name="notulen.pdf",
                              mime_type="application/pdf")
    await h.sim.wait_for_bot_message(ADMIN, contains="Notulen terkirim ke 4 dari 4")
    minutes = await h.sim.wait_for_bot_message(LURAH_PASIRKALIKI, contains="Notulen rapat")
    assert minutes.kind == "document"
    assert "ditutup" in await h.press_for_answer(LURAH_PASIRKALIKI, "Tidak hadir")


async def test_new_venue_and_cancel_reach_every_invitee(harness: Harness) -> None:
    h = harness
    await people(h)
    meeting_id = await create_meeting(h, title="Rakor Bulanan")
    await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="Undangan Rapat")
    located = await h.press(LURAH_CIBABAT, "Lihat lokasi")
    assert located.kind == "location"
    await h.press_for_answer(LURAH_CIBABAT, "Hadir")
    await h.sim.wait_for_bot_message(CAMAT_UTARA, contains="Undangan Rapat")
    await h.press(CAMAT_UTARA, "Tidak hadir", expect="alasannya")
    await h.press(CAMAT_UTARA, "Lewati", expect="Tanpa alasan")
    await h.sim.wait_for_bot_message(CAMAT_UTARA, contains="Terima kasih")
    assert "Jawaban Anda: Tidak hadir" in (h.sim.bot_messages(CAMAT_UTARA)[0].text or "")
    await h.say(ADMIN, "/rapat", expect="Rakor Bulanan")
    await h.press(ADMIN, "Ubah tempat", expect="tempat yang baru")
    await h.say(ADMIN, "x" * 301, expect="terlalu panjang")
    await h.say(ADMIN, "Gedung Technopark", expect="titik lokasinya")
    await h.press(ADMIN, "Lewati", expect="Pemberitahuan terkirim ke 4 dari 4")
    moved = await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="Tempat rapat diubah")
    assert "Gedung Technopark" in moved.text and "Jawaban Anda: Hadir" in moved.text
    await h.say(ADMIN, "/rapat", expect="Rakor Bulanan")
    await h.press(ADMIN, "Batalkan rapat", expect="Semua peserta akan diberi tahu")
    await h.press(ADMIN, "Ya, batalkan", expect="4 dari 4 peserta sudah diberi tahu")
    await h.sim.wait_for_bot_message(CAMAT_SELATAN, contains="is cancelled")
    await h.sim.wait_for_bot_message(LURAH_CIBABAT, contains="dibatalkan")
    assert "dibatalkan" in await h.forge(LURAH_CIBABAT, pack("mtg.r", meeting_id, "h"))
    await h.say(LURAH_CIBABAT, "/rapat", expect="Tidak ada rapat")


async def test_a_draft_survives_a_restart_and_batal_drops_it(harness: Harness) -> None:
    h = harness
    await people(h)
    await h.say(ADMIN, "/rapat_baru", expect="judul rapat")
    await h.say(ADMIN, "Rakor Persiapan HUT", expect="agendanya")
    await h.restart_bot()
    await h.press(ADMIN, "Lewati", expect="Kapan rapat dimulai")
    await h.say(ADMIN, "besok 9 pagi", expect="Jam berapa selesai")
    await h.say(ADMIN, "/rapat", expect="formulir lain")
    await h.say(ADMIN, "/batal", expect="Dibatalkan")
    await h.say(ADMIN, "besok 10.00", expect="belum mengerti")
    assert "tidak berlaku" in await h.forge(ADMIN, pack("mtgn", "send"))
    await h.say(LURAH_CIBABAT, "/rapat_baru", expect="tidak tersedia untuk peran Anda")


async def test_a_superadmin_first_chooses_the_area_and_its_time_zone(harness: Harness) -> None:
    h = harness
    await h.official(SUPERADMIN, Role.SUPERADMIN, None, name="Superadmin")
    await h.say(SUPERADMIN, "/rapat_baru", expect="kabupaten/kota mana")
    await h.say(SUPERADMIN, "Kupang", expect="pilih kabupaten/kota")
    await h.press(SUPERADMIN, "Kota Kupang", expect="judul rapat")
    await h.say(SUPERADMIN, "Rakor Kota Kupang", expect="agendanya")
    await h.press(SUPERADMIN, "Lewati", expect="(waktu WITA)")
    reply = await h.say(SUPERADMIN, "lusa 13.30", expect="Jam berapa selesai")
    assert "pukul 13.30 WITA" in reply.text
