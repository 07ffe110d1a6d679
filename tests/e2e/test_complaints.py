"""Citizen complaints through the real bot: record, forward, resolve, search, privacy, bad input."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.services import complaints as complaint_service
from models.complaints import Complaint, ComplaintCategory, ComplaintChannel, ComplaintStatus
from models.officials import AuditEntry, Official, Role
from simulator import tiny_png
from tests.e2e.harness import Harness

LURAH, OTHER_LURAH, CAMAT, ADMIN = 5001, 5002, 5101, 5201
CIBABAT, PASIRKALIKI, CIMAHI_UTARA, KOTA_CIMAHI = (
    "32.77.03.1002", "32.77.03.1001", "32.77.03", "32.77")
NIK = "3277034507900001"
MASKED_NIK = "•" * 12 + "0001"
TICKET = re.compile(r"ADU-\d{4}-\d{6}")


async def cast(h: Harness) -> dict[int, Official]:
    return {
        LURAH: await h.official(LURAH, Role.LURAH, CIBABAT, name="Lurah Cibabat"),
        OTHER_LURAH: await h.official(OTHER_LURAH, Role.LURAH, PASIRKALIKI,
                                      name="Lurah Pasirkaliki"),
        CAMAT: await h.official(CAMAT, Role.CAMAT, CIMAHI_UTARA, name="Camat Utara"),
        ADMIN: await h.official(ADMIN, Role.ADMIN, KOTA_CIMAHI, name="Admin Tapem"),
    }


async def seed(h: Harness, recorder: Official, *, name: str,
               category: ComplaintCategory) -> str:
    """A complaint recorded earlier, stored directly (keeps the chat within flood limits)."""
    draft = complaint_service.ComplaintDraft(
        citizen_name=name, channel=ComplaintChannel.TELEPON, category=category,
        description="Dicatat sebelumnya.")
    async with h.db.session() as session:
        complaint = await complaint_service.record_complaint(
            session, h.clock, recorder=recorder, draft=draft, rules=h.settings.complaints)
    return complaint.ticket


async def record(h: Harness, user: int, *, name: str = "Siti Aminah",
                 category: str = "Infrastruktur", description: str = "Jalan berlubang.",
                 nik: str | None = NIK) -> str:
    """Record a complaint through the chat; returns its ticket number."""
    await h.say(user, "/aduan", expect="Pengaduan Masyarakat")
    await h.press(user, "Catat pengaduan baru", expect="nama warga")
    await h.say(user, name, expect="Nomor telepon")
    await h.say(user, "0812-3456-7890", expect="NIK warga")
    if nik:
        await h.say(user, nik, expect="lewat mana")
    else:
        await h.press(user, "Lewati", expect="lewat mana")
    await h.press(user, "Datang langsung", expect="Pilih kategori")
    await h.press(user, category, expect="Uraikan")
    await h.say(user, description, expect="lokasinya")
    await h.press(user, "Lewati", expect="foto pendukung")
    await h.press(user, "Lewati", expect="Periksa pengaduan")
    done = await h.press(user, "Kirim", expect="tercatat")
    await h.sim.wait_for_bot_message(user, contains="Tanda Terima")
    found = TICKET.search(done.text or "")
    assert found is not None
    return found.group(0)


async def complaint_id(h: Harness, ticket: str) -> int:
    async with h.db.session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
    assert complaint.id is not None
    return complaint.id


async def test_record_forward_and_resolve(harness: Harness) -> None:
    h = harness
    people = await cast(h)
    await h.say(LURAH, "/aduan", expect="Pengaduan Masyarakat")
    await h.press(LURAH, "Catat pengaduan baru", expect="nama warga")
    await h.say(LURAH, "Siti <b>Aminah</b>", expect="Nomor telepon")
    await h.say(LURAH, "+62 812 3456 7890", expect="NIK")
    await h.say(LURAH, NIK, expect="lewat mana")
    await h.press(LURAH, "Telepon", expect="Pilih kategori")
    await h.press(LURAH, "Infrastruktur", expect="Uraikan")
    await h.say(LURAH, "Jalan <rusak> & berlubang di RT 03.", expect="lokasinya")
    await h.sim.send_location(LURAH, -6.8722, 107.5425)
    await h.sim.wait_for_bot_message(LURAH, contains="foto pendukung")
    await h.sim.send_photo(LURAH, tiny_png())
    await h.sim.wait_for_bot_message(LURAH, contains="Foto ke-1")
    await h.press(LURAH, "Selesai", expect="Periksa pengaduan")
    summary = h.sim.last_bot_message(LURAH)
    assert summary is not None and summary.text is not None
    assert "Siti <b>Aminah</b>" in summary.text and "Jalan <rusak> & berlubang" in summary.text
    assert NIK not in summary.text and MASKED_NIK in summary.text
    done = await h.press(LURAH, "Kirim", expect="tercatat")
    ticket = TICKET.search(done.text or "").group(0)  # type: ignore[union-attr]
    receipt = await h.sim.wait_for_bot_message(LURAH, contains="Tanda Terima")
    assert ticket in (receipt.text or "") and "Infrastruktur & jalan" in (receipt.text or "")
    for private in (NIK, MASKED_NIK, "NIK", "7890", "rusak"):
        assert private not in (receipt.text or ""), private

    detail = await h.press(LURAH, "Buka pengaduan", expect=ticket)
    assert NIK in (detail.text or "") and "+6281234567890" in (detail.text or "")
    _, stale_data = h.find_button(LURAH, "Diproses")
    await h.press(LURAH, "Teruskan", expect="ke mana")
    await h.press(LURAH, "Ke camat", expect="Diteruskan")
    note = await h.sim.wait_for_bot_message(CAMAT, contains="diteruskan kepada Anda")
    assert ticket in (note.text or "")
    popup = await h.forge(LURAH, stale_data)
    assert "sudah berubah" in popup

    seen = await h.press(CAMAT, "Buka pengaduan", expect=ticket)
    assert MASKED_NIK in (seen.text or "") and NIK not in (seen.text or "")
    assert "Siti &lt;b&gt;Aminah" not in (seen.text or "")  # shown literally, not double-escaped
    await h.press(CAMAT, "Foto (1)")
    photo = await h.sim.wait_for_bot_message(CAMAT)
    assert photo.kind == "photo"
    await h.press(CAMAT, "✅ Selesai", expect="catatan penyelesaian")
    await h.sim.send_sticker(CAMAT)
    await h.sim.wait_for_bot_message(CAMAT, contains="Mohon ketik catatannya")
    await h.say(CAMAT, "Jalan sudah ditambal oleh <Dinas PUPR>.", expect="sekarang")
    closed = await h.sim.wait_for_bot_message(CAMAT, contains="Catatan penutupan")
    assert "<Dinas PUPR>" in (closed.text or "")
    told = await h.sim.wait_for_bot_message(LURAH, contains="diubah menjadi")
    assert "Selesai" in (told.text or "")
    async with h.db.session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == ticket))).one()
        views = (await session.exec(select(AuditEntry).where(
            AuditEntry.action == "complaint.view_nik"))).all()
    assert complaint.status == ComplaintStatus.SELESAI
    assert complaint.latitude is not None and complaint.citizen_phone == "+6281234567890"
    # every full view by the lurah is logged; the camat saw only the masked NIK
    assert views and {(v.subject, v.actor_id) for v in views} == {(ticket, people[LURAH].id)}
    audit = await h.say(ADMIN, "/audit", expect="Catatan akses NIK")
    assert "Lurah Cibabat" in (audit.text or "") and ticket in (audit.text or "")
    await h.say(LURAH, "/audit", expect="tidak tersedia")


async def test_bad_input_is_explained_and_the_draft_kept(harness: Harness) -> None:
    h = harness
    await cast(h)
    await h.say(LURAH, "/aduan", expect="Pengaduan Masyarakat")
    await h.press(LURAH, "Catat pengaduan baru", expect="nama warga")
    await h.say(LURAH, "Budi Santoso", expect="Nomor telepon")
    await h.say(LURAH, "0812abc3456", expect="tanpa huruf")
    await h.say(LURAH, "081234567890", expect="NIK")
    await h.say(LURAH, NIK[:15], expect="tepat 16 angka")
    await h.say(LURAH, "3277034513900001", expect="tidak sah")
    await h.sim.send_sticker(LURAH)
    await h.sim.wait_for_bot_message(LURAH, contains="16 angka")
    await h.say(LURAH, NIK, expect="lewat mana")
    await h.say(LURAH, "datang", expect="tombol saluran")
    await h.press(LURAH, "Media sosial", expect="Pilih kategori")
    await h.press(LURAH, "Kebersihan", expect="Uraikan")
    await h.say(LURAH, "x" * 2500, expect="paling banyak 2000")
    await h.restart_bot()
    await h.say(LURAH, "Sampah menumpuk di pasar.", expect="lokasinya")
    await h.say(LURAH, "/aduan_saya", expect="formulir lain")
    await h.say(LURAH, "/aduan", expect="belum dikirim")
    await h.say(LURAH, "Pasar Cibabat", expect="foto pendukung")
    await h.press(LURAH, "Lewati", expect="Periksa pengaduan")
    await h.press(LURAH, "Ubah", expect="Bagian mana")
    await h.press(LURAH, "Nama warga", expect="nama warga")
    await h.say(LURAH, "Budi Santosa", expect="Periksa pengaduan")
    summary = h.sim.last_bot_message(LURAH)
    assert summary is not None and summary.text is not None
    for expected in ("Budi Santosa", "Media sosial", "Kebersihan & lingkungan",
                     "Sampah menumpuk di pasar.", "Pasar Cibabat", "••••••••7890"):
        assert expected in summary.text, expected
    await h.press(LURAH, "Batal", expect="Dibatalkan")
    await h.say(LURAH, "/aduan_saya", expect="Tidak ada pengaduan")


async def test_pungli_is_invisible_to_the_camat(harness: Harness) -> None:
    h = harness
    people = await cast(h)
    ordinary = await seed(h, people[LURAH], name="Dewi Lestari",
                          category=ComplaintCategory.KEBERSIHAN)
    secret = await record(h, LURAH, name="Pelapor Rahasia", category="Pungutan liar",
                          description="Diminta uang untuk surat pengantar.")
    await h.sim.wait_for_bot_message(ADMIN, contains="Pengaduan rahasia baru")
    secret_id = await complaint_id(h, secret)
    listing = await h.say(CAMAT, "/aduan_saya", expect="Pengaduan")
    assert ordinary in (listing.text or "") and secret not in (listing.text or "")
    found = await h.say(CAMAT, f"/cari_aduan {secret}", expect="Tidak ada pengaduan")
    assert secret not in (found.text or "")
    popup = await h.forge(CAMAT, f"w1:adu.op:{secret_id}")
    assert "tidak ditemukan" in popup
    popup = await h.forge(CAMAT, f"w1:adu.st:{secret_id}:diproses:diterima")
    assert "tidak ditemukan" in popup
    await h.say(OTHER_LURAH, "/aduan_saya", expect="Tidak ada pengaduan")
    popup = await h.forge(OTHER_LURAH, f"w1:adu.nt:{secret_id}:selesai:diterima")
    assert "tidak ditemukan" in popup
    await h.say(LURAH, f"/cari_aduan {secret}", expect="Hasil pencarian")
    await h.press(LURAH, secret, expect="Pungutan liar")
    forward_menu = await h.press(LURAH, "Teruskan", expect="ke mana")
    labels = [label for label, _ in forward_menu.buttons]
    assert not any("camat" in label.lower() for label in labels), labels
    admin_list = await h.say(ADMIN, "/aduan_saya", expect="Pengaduan")
    assert secret in (admin_list.text or "") and ordinary in (admin_list.text or "")


async def test_search_filters_and_forwarding_to_an_agency(harness: Harness) -> None:
    h = harness
    people = await cast(h)
    second = await seed(h, people[LURAH], name="Joko Widodo",
                        category=ComplaintCategory.KEAMANAN)
    first = await record(h, LURAH, name="Siti Aminah")
    by_name = await h.say(LURAH, "/cari_aduan aminah", expect="Hasil pencarian")
    assert first in (by_name.text or "") and second not in (by_name.text or "")
    by_nik = await h.say(LURAH, f"/cari_aduan {NIK}", expect="Hasil pencarian")
    assert first in (by_nik.text or "") and NIK not in (by_nik.text or "")
    await h.say(LURAH, "/cari_aduan", expect="Ketik nomor tiket")
    await h.say(LURAH, "12345", expect="tepat 16 angka")
    by_ticket = await h.say(LURAH, second.lower(), expect="Hasil pencarian")
    assert second in (by_ticket.text or "")
    await h.say(OTHER_LURAH, f"/cari_aduan {first}", expect="Tidak ada pengaduan")

    await h.say(CAMAT, "/aduan_saya", expect="Pengaduan")
    await h.press(CAMAT, "Kategori", expect="kategori")
    filtered = await h.press(CAMAT, "Keamanan & ketertiban", expect="Pengaduan")
    assert second in (filtered.text or "") and first not in (filtered.text or "")
    overdue = await h.press(CAMAT, "Lewat tenggat", expect="lewat tenggat")
    assert "Tidak ada pengaduan" in (overdue.text or "")
    await h.press(CAMAT, "Lewat tenggat ✓", expect=second)
    await h.press(CAMAT, second, expect="Status")
    await h.press(CAMAT, "Teruskan", expect="ke mana")
    await h.press(CAMAT, "instansi", expect="Ke instansi/OPD mana")
    await h.say(CAMAT, "x", expect="instansi/OPD harus")
    await h.say(CAMAT, "Satpol PP Kota Cimahi", expect="sekarang")
    told = await h.sim.wait_for_bot_message(LURAH, contains="diubah menjadi")
    assert second in (told.text or "") and "Diteruskan" in (told.text or "")
    async with h.db.session() as session:
        complaint = (await session.exec(select(Complaint).where(Complaint.ticket == second))).one()
    assert complaint.forwarded_agency == "Satpol PP Kota Cimahi"
    assert complaint.status == ComplaintStatus.DITERUSKAN


async def test_english_menu_list_entry_and_refusals(harness: Harness) -> None:
    h = harness
    people = await cast(h)
    ticket = await seed(h, people[LURAH], name="Rina Marlina",
                        category=ComplaintCategory.SOSIAL)
    await h.say(LURAH, "/aduan", expect="Pengaduan Masyarakat")
    listing = await h.press(LURAH, "Daftar pengaduan", expect=ticket)
    assert "Sosial & bansos" in (listing.text or "")
    english = 5003
    await h.official(english, Role.LURAH, PASIRKALIKI, name="Lurah English", language="en")
    await h.say(english, "/complaint", expect="Citizen complaints")
    await h.press(english, "Record a new complaint", expect="name of the citizen")
    await h.say(english, "Agus Salim", expect="phone number")
    await h.say(english, "0812 abc 4567", expect="no letters")
    await h.press(english, "Skip", expect="NIK")
    await h.say(english, "/cancel", expect="Cancelled")
    await h.say(ADMIN, "/aduan", expect="tidak tersedia")
