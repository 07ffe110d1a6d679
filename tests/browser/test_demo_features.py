"""Every feature besides registration, clicked through in the demo page as the demo personas."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tests.browser.conftest import in_ci

try:
    from playwright.async_api import Locator, expect
except ImportError:  # pragma: no cover - playwright is a test dependency
    if in_ci():
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

from demo.runner import DemoRuntime  # noqa: E402
from models.drives import Drive  # noqa: E402
from simulator import tiny_png  # noqa: E402
from tests.browser.demo_page import DemoPage  # noqa: E402
from tests.browser.demo_support import demo_runtime  # noqa: E402

pytestmark = pytest.mark.browser

LURAH = "Lurah Cibabat (Cimahi Utara)"
CAMAT = "Camat Cimahi Utara"
ADMIN = "Admin Tapem Kota Cimahi"
CIBABAT_OFFICE = "Kantor Kelurahan Cibabat, Cimahi"
INCIDENT_TICKET = re.compile(r"LK-\d{4}-\d{6}")
COMPLAINT_TICKET = re.compile(r"ADU-\d{4}-\d{6}")
BOT_ROW = "contains(concat(' ', @class, ' '), ' in ')"


@pytest.fixture
async def demo(tmp_path: Path, sqlite_template: Any) -> AsyncIterator[DemoRuntime]:
    """The demo without the simulator's per-chat flood limit (1 message a second after a burst
    of 3): these tests are about the features, and the bot sends two messages for most steps,
    which the limit would stretch to twice the run time. test_demo_browser.py keeps it on."""
    async with demo_runtime(tmp_path / "demo-data", template_db=sqlite_template.path,
                            flood=None) as runtime:
        yield runtime


async def begin(p: DemoPage, persona: str) -> None:
    """Open the page as this persona and press MULAI, as a trainee does first."""
    await p.open(persona)
    await p.start()
    await p.wait_for_bubble("Selamat datang kembali")


async def share_location_from_keyboard(p: DemoPage, button: str, place: str) -> None:
    """Tap the reply keyboard's location button and pick a preset place in the dialog."""
    await expect(p.page.locator("#reply-keyboard")).to_be_visible()
    await p.reply_button(button)
    await expect(p.page.locator("#location-dialog")).to_be_visible()
    await p.page.locator("#place-list").get_by_role("button", name=place).click()
    await p.page.locator("#send-location").click()
    await expect(p.bubbles(from_bot=False).locator(".map").last).to_be_visible()


async def say(p: DemoPage, text: str, *, expect_text: str) -> Locator:
    """Type a message (Enter sends it); returns the bot's answer containing expect_text, looked
    for only after the sent message so that older bubbles (such as the menu) do not count."""
    box = p.page.locator("#message-input")
    await box.fill(text)
    await box.press("Enter")
    sent = p.page.locator(".row.out").filter(has_text=text.splitlines()[-1]).last
    await expect(sent).to_be_visible()
    answer = sent.locator(f"xpath=following-sibling::div[{BOT_ROW}]").locator(".bubble")\
        .filter(has_text=expect_text).first
    await expect(answer).to_be_visible()
    return answer


async def ticket_in(bubble: Locator, pattern: re.Pattern[str]) -> str:
    """The ticket number shown in a bubble."""
    text = await bubble.inner_text()
    found = pattern.search(text)
    assert found is not None, text
    return found.group()


async def test_incident_report_reaches_the_camat_and_back(demo_page: DemoPage,
                                                          tmp_path: Path) -> None:
    p = demo_page
    await begin(p, LURAH)
    await say(p, "/lapor", expect_text="jenis kejadian")
    await p.press("Bencana alam", expect_text="mendesak")
    await p.press("Darurat", expect_text="Ceritakan")
    await say(p, "Banjir <setinggi> 50 cm & arus deras", expect_text="Kapan")
    await p.press("Baru saja", expect_text="Di mana")
    await share_location_from_keyboard(p, "Kirim titik lokasi", CIBABAT_OFFICE)
    await p.wait_for_bubble("Kirim foto")
    await expect(p.page.locator("#reply-keyboard")).to_be_hidden()
    await p.send_sample("photo")
    await p.wait_for_bubble("(1/10)")
    second = tmp_path / "genangan.png"
    second.write_bytes(tiny_png(12, 8, rgb=(40, 90, 200)))
    await p.send_file("photo", second)
    await p.wait_for_bubble("(2/10)")
    await p.press("Selesai", expect_text="Periksa laporan")
    summary = p.bubbles().filter(has_text="Periksa laporan").last
    await expect(summary).to_contain_text("Banjir <setinggi> 50 cm & arus deras")
    await expect(summary).to_contain_text("2 foto")
    await p.press("✅ Kirim", exact=True, expect_text="Laporan terkirim")
    ticket = await ticket_in(await p.wait_for_bubble("Laporan terkirim"), INCIDENT_TICKET)
    await p.screenshot("incident-receipt")
    await expect(p.persona(CAMAT).locator(".unread")).to_be_visible()

    await p.switch_persona(CAMAT)
    alert = await p.wait_for_bubble(ticket)
    await expect(alert).to_contain_text("DARURAT")
    await expect(alert).to_contain_text("Banjir <setinggi> 50 cm & arus deras")
    await expect(p.bubbles().last.locator(".map")).to_be_visible()  # an emergency's pin
    await p.screenshot("camat-notification")
    await p.press("Lihat detail", expect_text="Riwayat")
    album = p.bubbles().locator(".album")  # the two photos came as one media group
    await expect(album.locator(".photo")).to_have_count(2)
    await album.scroll_into_view_if_needed()
    await p.screenshot("camat-incident-detail")
    await p.press("Terima", expect_text="Status: Diterima")
    await p.screenshot("camat-accepted")

    await p.switch_persona(LURAH)
    told = await p.wait_for_bubble("berstatus Diterima")
    await expect(told).to_contain_text(ticket)
    await p.screenshot("reporter-told")
    await p.switch_persona(CAMAT)  # loaded from the history, the album is still one bubble
    await expect(p.bubbles().locator(".album .photo")).to_have_count(2)
    await expect(p.bubbles().locator(".photo")).to_have_count(2)


async def test_complaint_gets_a_ticket_and_a_receipt(demo_page: DemoPage) -> None:
    p = demo_page
    await begin(p, LURAH)
    await say(p, "/aduan", expect_text="Pengaduan Masyarakat")
    await p.press("Catat pengaduan baru", expect_text="nama warga")
    await say(p, "Ujang Saepudin", expect_text="Nomor telepon")
    await say(p, "0812-2233-4455", expect_text="NIK warga")
    await p.press("Lewati", expect_text="lewat mana")
    await p.press("Datang langsung", expect_text="Pilih kategori")
    await p.press("Kebersihan", expect_text="Uraikan")
    await say(p, "Sampah menumpuk di <TPS> RW 07 & belum diangkut seminggu.",
              expect_text="lokasinya")
    await p.press("Lewati", expect_text="foto pendukung")
    await p.press("Lewati", expect_text="Periksa pengaduan")
    await p.press("✅ Kirim", exact=True, expect_text="tercatat")
    ticket = await ticket_in(await p.wait_for_bubble("tercatat"), COMPLAINT_TICKET)
    receipt = await p.wait_for_bubble("Tanda Terima")
    await expect(receipt).to_contain_text(ticket)
    await expect(receipt).to_contain_text("Kebersihan")
    await expect(receipt).not_to_contain_text("0812")
    await p.screenshot("complaint-receipt")


async def test_rakor_invitation_rsvp_and_recap(demo_page: DemoPage) -> None:
    p = demo_page
    await begin(p, ADMIN)
    await say(p, "/rapat_baru", expect_text="judul rapat")
    await say(p, "Rakor Kesiapan Pilkada & Logistik", expect_text="agendanya")
    await say(p, "1. Distribusi logistik\n2. Keamanan TPS", expect_text="Kapan rapat dimulai")
    await say(p, "besok 09.00", expect_text="Jam berapa selesai")
    await say(p, "11.00", expect_text="Di mana tempatnya")
    await say(p, "Aula Pemkot Cimahi", expect_text="titik lokasinya")
    await p.press("Lewati", expect_text="Siapa yang diundang")
    await p.press("Semua camat", expect_text="1 peserta")
    await p.press("Lanjut", expect_text="Peserta dipilih")
    await p.wait_for_bubble("Sampai kapan")
    await p.press("Pakai:", expect_text="Periksa undangan")
    await p.press("Kirim undangan", expect_text="terkirim ke 1 dari 1")

    await p.switch_persona(CAMAT)
    invitation = await p.wait_for_bubble("Undangan Rapat")
    await expect(invitation).to_contain_text("Rakor Kesiapan Pilkada & Logistik")
    await p.press("✅ Hadir", exact=True)
    await p.wait_for_bubble("Jawaban Anda: Hadir")
    await p.screenshot("camat-rsvp")

    await p.switch_persona(ADMIN)
    recap = await say(p, "/rapat", expect_text="Rekap kehadiran")
    await expect(recap).to_contain_text("Hadir: 1")
    await expect(recap).to_contain_text("Asep Hidayat")
    await p.screenshot("rsvp-recap")


async def test_broadcast_reaches_the_lurah(demo_page: DemoPage) -> None:
    p = demo_page
    await begin(p, ADMIN)
    await say(p, "/siaran", expect_text="Siapa penerimanya")
    await p.press("Semua pejabat di wilayah saya", expect_text="Tulis isi siaran")
    await say(p, "Apel pagi Senin pukul 07.00 di halaman Pemkot. Mohon hadir tepat waktu.",
              expect_text="Siap dikirim?")
    await p.screenshot("broadcast-preview")
    await p.press("✅ Kirim", exact=True, expect_text="diterima")
    report = await p.wait_for_bubble("Laporan siaran #", timeout=20_000)
    await expect(report).to_contain_text("Terkirim 2 dari 2")

    await p.switch_persona(LURAH)
    received = await p.wait_for_bubble("Apel pagi Senin pukul 07.00")
    await expect(received).to_contain_text("Mohon hadir tepat waktu")
    await p.screenshot("broadcast-received")


async def start_drive_now(demo: DemoRuntime) -> None:
    """Move the scheduled drive to have begun half an hour ago: realisasi opens at the start,
    and the demo runs on the wall clock."""
    async with demo.database.session() as session:
        drive = (await session.exec(select(Drive))).one()
        drive.starts_at = datetime.now(UTC) - timedelta(minutes=30)
        drive.ends_at = drive.starts_at + timedelta(hours=1)
        session.add(drive)
        await session.commit()


async def test_ektp_drive_realisasi_and_recap(demo_page: DemoPage, demo: DemoRuntime) -> None:
    p = demo_page
    await begin(p, ADMIN)
    await say(p, "/perekaman_baru", expect_text="kelurahan/desa sasaran")
    await p.press("Cimahi Utara", expect_text="Kecamatan Cimahi Utara")
    await p.press("☐ Cibabat", exact=True)
    await expect(p.inline_button("☑ Cibabat", exact=True)).to_be_visible()
    await p.press("Kembali", expect_text="Terpilih: 1")
    await p.press("Lanjut", expect_text="Kapan perekaman dimulai")
    await say(p, "besok 08.00", expect_text="Jam berapa selesai")
    await say(p, "14.00", expect_text="tempat perekamannya")
    await say(p, "Aula Kelurahan Cibabat", expect_text="Siapa sasarannya")
    await say(p, "Warga yang genap 17 tahun", expect_text="target perekaman")
    await say(p, "120", expect_text="Periksa jadwal")
    await p.press("Kirim jadwal", expect_text="terkirim ke 1 lurah")

    await p.switch_persona(LURAH)
    schedule = await p.wait_for_bubble("Jadwal perekaman")
    await expect(schedule).to_contain_text("120")
    await p.wait_for_bubble("PENGUMUMAN")
    await start_drive_now(demo)
    await say(p, "/realisasi", expect_text="Berapa warga yang berhasil direkam")
    await say(p, "97", expect_text="Realisasi tercatat: 97")
    await p.screenshot("lurah-realisasi")

    await p.switch_persona(ADMIN)
    recap = await say(p, "/perekaman", expect_text="Perekaman e-KTP keliling")
    await expect(recap).to_contain_text("97 dari 120")
    await say(p, "/rekap", expect_text="Pilih periode")
    # seven days, not "today": the drive started half an hour ago, which may be yesterday in WIB
    await p.press("7 hari", exact=True)
    # the recap draws its chart in a worker thread: allow a slow first matplotlib import
    summary = await p.wait_for_bubble("Perekaman e-KTP: 1 kegiatan", timeout=30_000)
    await expect(summary).to_contain_text("97")
    chart = p.bubbles().last.locator("img.photo")
    await expect(chart).to_be_visible(timeout=30_000)
    await expect(chart).to_have_js_property("complete", True, timeout=30_000)
    await p.screenshot("admin-rekap-chart")
