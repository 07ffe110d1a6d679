"""Incident reports through the real bot: report, notify, follow up, list, scope, bad input."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.services import incidents as incident_service
from models.incidents import (
    Incident,
    IncidentCategory,
    IncidentInfoRequest,
    IncidentMedia,
    IncidentStatus,
    IncidentUrgency,
)
from models.officials import Official, Role
from simulator import tiny_png
from tests.e2e.harness import Harness

LURAH, NEIGHBOUR, CAMAT, CAMAT_SELATAN, ADMIN, ADMIN_KUPANG = 6001, 6002, 6101, 6102, 6201, 6202
CIBABAT, PASIRKALIKI = "32.77.03.1002", "32.77.03.1001"
TICKET = re.compile(r"LK-\d{4}-\d{6}")


async def cast(h: Harness) -> dict[int, Official]:
    return {
        LURAH: await h.official(LURAH, Role.LURAH, CIBABAT, name="Lurah Cibabat"),
        NEIGHBOUR: await h.official(NEIGHBOUR, Role.LURAH, PASIRKALIKI, name="Lurah Pasir"),
        CAMAT: await h.official(CAMAT, Role.CAMAT, "32.77.03", name="Camat Utara"),
        CAMAT_SELATAN: await h.official(CAMAT_SELATAN, Role.CAMAT, "32.77.01",
                                        name="Camat Selatan"),
        ADMIN: await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem", language="en"),
        ADMIN_KUPANG: await h.official(ADMIN_KUPANG, Role.ADMIN, "53.71", name="Admin Kupang"),
    }


async def seed(h: Harness, reporter: Official, **changes: object) -> Incident:
    """A report filed earlier, stored directly (keeps the chats within flood limits)."""
    draft = incident_service.IncidentDraft(
        category=IncidentCategory.KEBAKARAN, urgency=IncidentUrgency.PENTING,
        description="Rumah terbakar di RT 02.", occurred_at=h.clock.now() - timedelta(hours=1),
        address="Jl. Cibabat No. 1")
    for name, value in changes.items():
        setattr(draft, name, value)
    async with h.db.session() as session:
        return await incident_service.submit_incident(session, h.clock, reporter=reporter,
                                                      draft=draft)


async def reach_location_step(h: Harness, user: int) -> None:
    await h.press(user, "Bencana alam", expect="mendesak")
    await h.press(user, "Darurat", expect="Ceritakan")
    await h.say(user, "Banjir <b>1 meter</b> & arus deras di RW 05", expect="Kapan")
    await h.press(user, "Baru saja", expect="Di mana")


async def test_full_report_notification_and_follow_up(harness: Harness) -> None:
    h = harness
    await cast(h)
    await h.say(LURAH, "/lapor", expect="jenis kejadian")
    await reach_location_step(h, LURAH)
    keyboard = h.sim.reply_keyboard(LURAH)
    assert keyboard is not None and keyboard["keyboard"][0][0]["request_location"] is True
    await h.sim.send_location(LURAH, -6.8725, 107.5420)
    await h.sim.wait_for_bot_message(LURAH, contains="Kirim foto")
    await h.sim.send_photo(LURAH, tiny_png(4, 3))
    await h.sim.wait_for_bot_message(LURAH, contains="(1/10)")
    await h.sim.send_photo(LURAH, tiny_png(6, 3, rgb=(10, 200, 10)))
    await h.sim.wait_for_bot_message(LURAH, contains="(2/10)")
    summary = await h.press(LURAH, "Selesai", expect="Periksa laporan")
    assert "Banjir <b>1 meter</b> & arus deras" in summary.text  # shown literally
    assert "2 foto" in summary.text and "titik -6.87250, 107.54200" in summary.text
    receipt = await h.press(LURAH, "Kirim", expect="Laporan terkirim")
    match = TICKET.search(receipt.text or "")
    year = h.clock.now().astimezone(ZoneInfo("Asia/Jakarta")).year
    assert match is not None and match.group() == f"LK-{year}-000001"
    ticket = match.group()

    alert = await h.sim.wait_for_bot_message(CAMAT, contains=ticket)
    assert "DARURAT" in alert.text and "Banjir <b>1 meter</b>" in alert.text
    labels = [text for text, _ in alert.buttons]
    assert any("Terima" in t for t in labels) and any("Tolak" in t for t in labels)
    english = await h.sim.wait_for_bot_message(ADMIN, contains=ticket)
    assert "EMERGENCY" in english.text and "New incident report" in english.text
    await h.settle(0.2)
    for outsider in (CAMAT_SELATAN, ADMIN_KUPANG, NEIGHBOUR):
        assert not any(ticket in (m.text or "") for m in h.sim.bot_messages(outsider))

    await h.press(CAMAT, "Terima", expect="Status: Diterima")
    popup = await h.press_for_answer(ADMIN, "Accept")  # the camat was faster
    assert "from Received to Received" in popup
    refreshed = [m for m in h.sim.bot_messages(ADMIN) if ticket in (m.text or "")]
    assert len(refreshed) == 1 and "Status: Received" in (refreshed[0].text or "")
    assert not [t for t, _ in refreshed[0].buttons if "Accept" in t]
    assert h.sim.bot_messages(ADMIN)[-1].kind == "location"  # an emergency brings its pin
    told = await h.sim.wait_for_bot_message(LURAH, contains="Diterima")
    assert ticket in told.text and "Camat Utara" in told.text
    await h.press(CAMAT, "Tindak lanjuti", expect="catatan")
    await h.say(CAMAT, "Tim BPBD menuju lokasi", expect="Ditindaklanjuti")
    told = await h.sim.wait_for_bot_message(LURAH, contains="Ditindaklanjuti")
    assert "Tim BPBD menuju lokasi" in told.text

    await h.press(ADMIN, "Ask for info", expect="question")
    await h.say(ADMIN, "Berapa KK terdampak?", expect="was sent")
    question = await h.sim.wait_for_bot_message(LURAH, contains="Berapa KK")
    assert ticket in question.text
    await h.press(LURAH, "Jawab", expect="Tulis jawaban")
    await h.say(LURAH, "12 KK <mengungsi>", expect="dilampirkan")
    answer = await h.sim.wait_for_bot_message(ADMIN, contains="12 KK <mengungsi>")
    assert "Lurah Cibabat" in answer.text

    await h.press(CAMAT, "Selesai", expect="catatan")
    await h.press(CAMAT, "Lewati", expect="Status: Selesai")
    await h.sim.wait_for_bot_message(LURAH, contains="berstatus Selesai")

    listing = await h.say(LURAH, "/laporan", expect="Laporan kejadian")
    assert ticket in listing.text and "Selesai" in listing.text
    detail = await h.press(LURAH, ticket, expect="Riwayat")
    assert "Tim BPBD menuju lokasi" in detail.text and "12 KK <mengungsi>" in detail.text
    kinds = [m.kind for m in h.sim.bot_messages(LURAH)[-4:]]
    assert kinds == ["photo", "photo", "location", "text"]
    assert not [t for t, _ in detail.buttons if "Terima" in t]  # the reporter cannot act

    async with h.db.session() as session:
        incident = (await session.exec(select(Incident))).one()
        media = (await session.exec(select(IncidentMedia))).all()
        request = (await session.exec(select(IncidentInfoRequest))).one()
    assert incident.status == IncidentStatus.SELESAI and incident.latitude == -6.8725
    assert request.answer == "12 KK <mengungsi>"
    assert len(media) == 2
    for item in media:
        assert item.local_path and (h.settings.bot.data_dir / item.local_path).is_file()


async def test_quick_report_from_a_captioned_photo(harness: Harness) -> None:
    h = harness
    await cast(h)
    await h.sim.send_photo(LURAH, tiny_png(8, 6), caption="Pohon tumbang menutup Jl. Cibabat")
    await h.sim.wait_for_bot_message(LURAH, contains="Laporan cepat")
    await h.sim.wait_for_bot_message(LURAH, contains="jenis kejadian")
    await h.press(LURAH, "Infrastruktur rusak", expect="mendesak")
    await h.press(LURAH, "Penting", expect="Kapan")  # the description is already there
    await h.press(LURAH, "Baru saja", expect="Di mana")
    await h.say(LURAH, "Jl. Cibabat depan SDN 3", expect="terlampir 1")
    summary = await h.press(LURAH, "Selesai", expect="Periksa laporan")
    assert "Pohon tumbang menutup Jl. Cibabat" in summary.text and "1 foto" in summary.text
    await h.press(LURAH, "Kirim", expect="Laporan terkirim")
    alert = await h.sim.wait_for_bot_message(CAMAT, contains="Laporan kejadian baru")
    assert "PENTING" in alert.text and "Jl. Cibabat depan SDN 3" in alert.text


async def test_bad_text_input_keeps_the_draft(harness: Harness) -> None:
    h = harness
    await cast(h)
    await h.say(LURAH, "/lapor", expect="jenis kejadian")
    await h.say(LURAH, "banjir", expect="pilih salah satu tombol")
    await h.press(LURAH, "Bencana alam", expect="mendesak")
    await h.press(LURAH, "Biasa", expect="Ceritakan")
    await h.sim.send_sticker(LURAH)
    await h.sim.wait_for_bot_message(LURAH, contains="sebagai teks")
    await h.sim.send_text(LURAH, "x" * 4096)  # a 5,000-character paste arrives in two parts
    await h.sim.wait_for_bot_message(LURAH, contains="4096 karakter, paling banyak 2000")
    await h.say(LURAH, "y" * 904, expect="Lanjutan pesan panjang")
    await h.say(LURAH, "<script>alert(1)</script> & <b>tebal</b>", expect="Kapan")
    await h.press(LURAH, "Waktu lain", expect="tanggal dan jamnya")
    await h.say(LURAH, "kemarin sore", expect="tidak dikenali")
    tomorrow = h.clock.now().astimezone(ZoneInfo("Asia/Jakarta")) + timedelta(days=1)
    await h.say(LURAH, f"{tomorrow:%d/%m/%Y} 10.00", expect="masa depan")
    yesterday = tomorrow - timedelta(days=2)
    await h.say(LURAH, f"{yesterday:%d/%m/%Y} 16.30", expect="Di mana")
    await h.sim.send_location(LURAH, 48.8566, 2.3522)
    refusal = await h.sim.wait_for_bot_message(LURAH, contains="di luar wilayah Indonesia")
    assert refusal.reply_markup and "keyboard" in refusal.reply_markup
    await h.sim.send_sticker(LURAH)
    await h.sim.wait_for_bot_message(LURAH, contains="titik lokasi dengan tombol")
    await h.say(LURAH, "Jl. <Mawar> No. 5 & Gg. Melati", expect="Kirim foto")
    await h.say(LURAH, "ini fotonya", expect="kirim foto atau dokumen")
    summary = await h.press(LURAH, "Selesai", expect="Periksa laporan")
    assert "<script>alert(1)</script> & <b>tebal</b>" in summary.text
    assert "Jl. <Mawar> No. 5 & Gg. Melati" in summary.text
    assert f"{yesterday.day} " in summary.text and "16.30" in summary.text
    await h.say(LURAH, "kirim", expect="Tekan Kirim")
    _, send_data = h.find_button(LURAH, "Kirim")
    await h.press(LURAH, "Kirim", expect="Laporan terkirim")
    popup = await h.forge(LURAH, send_data)  # a second press of Kirim stores nothing
    assert "tidak berlaku" in popup
    async with h.db.session() as session:
        stored = (await session.exec(select(Incident))).one()
    assert stored.description == "<script>alert(1)</script> & <b>tebal</b>"


async def test_any_step_can_be_changed_from_the_summary(harness: Harness) -> None:
    h = harness
    await cast(h)
    await h.sim.send_photo(LURAH, tiny_png(), caption="Tawuran <pelajar> di lapangan")
    await h.sim.wait_for_bot_message(LURAH, contains="jenis kejadian")
    await h.press(LURAH, "Keamanan", expect="mendesak")
    await h.press(LURAH, "Penting", expect="Kapan")
    await h.press(LURAH, "Baru saja", expect="Di mana")
    await h.say(LURAH, "Lapangan RW 07", expect="terlampir 1")
    await h.restart_bot()  # the draft and the step survive a restart
    await h.press(LURAH, "Selesai", expect="Periksa laporan")
    await h.press(LURAH, "Ubah", expect="Bagian mana")
    await h.press(LURAH, "Jenis kejadian", expect="jenis kejadian")
    summary = await h.press(LURAH, "Konflik sosial", expect="Periksa laporan")
    assert "Jenis: Konflik sosial" in summary.text and "Tawuran <pelajar>" in summary.text
    await h.press(LURAH, "Ubah", expect="Bagian mana")
    await h.press(LURAH, "Lokasi", expect="Di mana")
    await h.sim.send_location(LURAH, -6.87, 107.54)
    summary = await h.sim.wait_for_bot_message(LURAH, contains="Periksa laporan")
    assert "titik -6.87000, 107.54000" in summary.text and "RW 07" not in summary.text
    assert "Jenis: Konflik sosial" in summary.text and "Urgensi: Penting" in summary.text
    assert "1 foto" in summary.text
    await h.press(LURAH, "Kirim", expect="Laporan terkirim")
    async with h.db.session() as session:
        stored = (await session.exec(select(Incident))).one()
    assert stored.category == IncidentCategory.KONFLIK and stored.address is None


@pytest.mark.parametrize("harness", [{"bot": {"max_media_bytes": 4096}}], indirect=True)
async def test_bad_media_input_keeps_the_draft(harness: Harness) -> None:
    h = harness
    await cast(h)
    await h.sim.send_photo(LURAH, tiny_png(), caption="Jembatan retak")
    await h.sim.wait_for_bot_message(LURAH, contains="jenis kejadian")
    await h.press(LURAH, "Infrastruktur rusak", expect="mendesak")
    await h.press(LURAH, "Biasa", expect="Kapan")
    await h.press(LURAH, "Baru saja", expect="Di mana")
    await h.say(LURAH, "Jembatan Cibabat", expect="terlampir 1")
    await h.sim.send_photo(LURAH, tiny_png() + b"\0" * 6000)
    await h.sim.wait_for_bot_message(LURAH, contains="terlalu besar (batas 4 KB)")
    await h.sim.send_sticker(LURAH)
    await h.sim.wait_for_bot_message(LURAH, contains="kirim foto atau dokumen")
    await h.sim.send_document(LURAH, b"%PDF-1.4 denah", file_name="denah <lokasi>.pdf")
    await h.sim.wait_for_bot_message(LURAH, contains="(2/10)")
    for n in range(3, 11):
        await h.sim.send_photo(LURAH, tiny_png(n, 2))
        await h.sim.wait_for_bot_message(LURAH, contains=f"({n}/10)")
    await h.sim.send_photo(LURAH, tiny_png(20, 2))
    await h.sim.wait_for_bot_message(LURAH, contains="Paling banyak 10")
    summary = await h.press(LURAH, "Selesai", expect="Periksa laporan")
    assert "9 foto, 1 dokumen" in summary.text
    await h.press(LURAH, "Kirim", expect="Laporan terkirim")
    async with h.db.session() as session:
        media = (await session.exec(select(IncidentMedia))).all()
    assert len(media) == 10
    stored = [m for m in media if m.kind == "document"]
    assert stored[0].local_path and stored[0].local_path.endswith(".pdf")


async def test_scope_and_forged_buttons(harness: Harness) -> None:
    h = harness
    people = await cast(h)
    mine = await seed(h, people[LURAH])
    neighbours = await seed(h, people[NEIGHBOUR], urgency=IncidentUrgency.DARURAT)
    await h.say(CAMAT_SELATAN, "/laporan", expect="Tidak ada laporan")
    await h.say(ADMIN_KUPANG, f"/laporan {mine.ticket}", expect="bukan wewenang")
    for user, data, refusal in (
            (CAMAT_SELATAN, f"w1:inc.st:{mine.id}:diterima", "bukan wewenang"),
            (ADMIN_KUPANG, f"w1:inc.o:{mine.id}", "bukan wewenang"),
            (ADMIN_KUPANG, f"w1:inc.ask:{mine.id}", "bukan wewenang"),
            (NEIGHBOUR, f"w1:inc.o:{mine.id}", "bukan wewenang"),
            (LURAH, f"w1:inc.st:{mine.id}:selesai", "tidak tersedia"),
            (CAMAT, f"w1:inc.st:{mine.id}:baru", "tidak berlaku"),
            (CAMAT, "w1:inc.st:999999:diterima", "tidak ditemukan"),
            (CAMAT, "w1:inc.l:1:9zz", "tidak berlaku")):
        await h.say(user, "/bantuan")
        assert refusal in await h.forge(user, data), (user, data)
    listing = await h.say(LURAH, "/laporan", expect="Laporan kejadian")
    assert mine.ticket in listing.text and neighbours.ticket not in listing.text
    listing = await h.say(CAMAT, "/laporan", expect="Laporan kejadian")
    assert listing.text.index(neighbours.ticket) < listing.text.index(mine.ticket)
    async with h.db.session() as session:
        stored = await session.get(Incident, mine.id)
    assert stored is not None and stored.status == IncidentStatus.BARU


async def test_reject_with_reason_and_filter_the_list(harness: Harness) -> None:
    h = harness
    people = await cast(h)
    fire = await seed(h, people[LURAH])
    flood = await seed(h, people[LURAH], category=IncidentCategory.BENCANA)
    await h.say(CAMAT, f"/laporan {fire.ticket}", expect="Riwayat")
    await h.press(CAMAT, "Tolak", expect="alasan penolakan")
    await h.sim.send_sticker(CAMAT)
    await h.sim.wait_for_bot_message(CAMAT, contains="sebagai teks")
    await h.say(CAMAT, "Laporan ganda dengan <LK lain>", expect="Ditolak")
    told = await h.sim.wait_for_bot_message(LURAH, contains="Ditolak")
    assert "Laporan ganda dengan <LK lain>" in told.text
    await h.say(CAMAT, "/laporan", expect="2 laporan")
    await h.press(CAMAT, "Saring", expect="Saring laporan")
    await h.press(CAMAT, "Status: semua", expect="Pilih")
    await h.press(CAMAT, "Ditolak", expect="status Ditolak")
    filtered = await h.press(CAMAT, "Tampilkan", expect="1 laporan")
    assert fire.ticket in filtered.text and flood.ticket not in filtered.text
    again = await h.press(CAMAT, "Hapus saringan", expect="2 laporan")
    assert flood.ticket in again.text
    for _ in range(4):
        await seed(h, people[NEIGHBOUR])
    first = await h.say(CAMAT, "/laporan", expect="halaman 1/2")
    assert fire.ticket not in first.text  # the oldest is on the second page
    second = await h.press(CAMAT, "▶", expect="halaman 2/2")
    assert fire.ticket in second.text and "6." in second.text


async def test_each_pressed_question_becomes_the_record_of_its_answers(harness: Harness) -> None:
    h = harness
    await cast(h)
    question = await h.say(LURAH, "/lapor", expect="jenis kejadian")
    await h.press(LURAH, "Kebakaran", expect="mendesak")
    asked = await h.press(LURAH, "Penting", expect="Ceritakan")
    assert asked.message_id == question.message_id  # one message, edited step by step
    assert (asked.text or "").startswith("Jenis kejadian: Kebakaran\nUrgensi: Penting\n\n")
    assert not asked.buttons
    await h.say(LURAH, "Gudang terbakar", expect="Kapan")
    await h.press(LURAH, "Baru saja", expect="Di mana")
    record = [m for m in h.sim.bot_messages(LURAH) if "Waktu kejadian" in (m.text or "")]
    assert len(record) == 1 and not record[0].buttons  # the pin needs a new message


async def test_cancelled_drafts_leave_no_files_behind(harness: Harness) -> None:
    h = harness
    await cast(h)
    media_dir = h.settings.bot.data_dir / "media"

    def files() -> list[str]:
        return sorted(p.name for p in media_dir.rglob("*") if p.is_file())

    await h.sim.send_photo(LURAH, tiny_png(5, 5), caption="Pohon tumbang")
    await h.sim.wait_for_bot_message(LURAH, contains="jenis kejadian")
    assert len(files()) == 1
    await h.say(LURAH, "/batal", expect="Dibatalkan")
    assert files() == []

    await h.sim.send_photo(LURAH, tiny_png(6, 5), caption="Pohon tumbang lagi")
    await h.sim.wait_for_bot_message(LURAH, contains="jenis kejadian")
    await h.press(LURAH, "Infrastruktur", expect="mendesak")
    await h.press(LURAH, "Biasa", expect="Kapan")
    await h.press(LURAH, "Baru saja", expect="Di mana")
    await h.say(LURAH, "Jl. Cibabat", expect="terlampir 1")
    await h.sim.send_photo(LURAH, tiny_png(7, 5))
    await h.sim.wait_for_bot_message(LURAH, contains="(2/10)")
    assert len(files()) == 2
    await h.press(LURAH, "Hapus semua", expect="terlampir 0")
    assert files() == []
    await h.sim.send_photo(LURAH, tiny_png(8, 5))
    await h.sim.wait_for_bot_message(LURAH, contains="(1/10)")
    await h.press(LURAH, "Selesai", expect="Periksa laporan")
    await h.press(LURAH, "Batal", expect="dibatalkan")
    assert files() == []
