"""Broadcasts through the real bot: compose and preview, 500 recipients under Telegram's flood
limits (with replies still prompt meanwhile), blocked users, cancel, and read confirmations."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import select

from bot.context import SERVICES_KEY
from models.broadcasts import BroadcastDelivery, DeliveryStatus
from models.officials import Official, OfficialStatus, Role
from scheduler.alarm import install, scheduler_of
from simulator import FloodLimits, tiny_png
from tests.e2e.harness import Harness

ADMIN, OTHER_ADMIN, LURAH_A, LURAH_B, CAMAT, KUPANG = 1001, 1002, 2001, 2002, 3001, 4001
FAST_TICKS = {"reminders": {"tick_seconds": 1, "quiet_hours_start": "00:00",
                            "quiet_hours_end": "00:00"}}
BROADCAST_RATE = 29.0  # the bot's whole budget; the worker leaves what replies take
HEADER = "📢 Siaran dari Admin Tapem, Staf Admin Kota Cimahi\n\n"


def with_scheduler(h: Harness) -> None:
    """The alarm and the broadcast worker, as the composition root wires them."""
    assert h.app is not None
    if scheduler_of(h.app) is None:
        services = h.app.bot_data[SERVICES_KEY]
        install(h.app, database=services.db, settings=h.settings, clock=h.clock,
                broadcast_rate=BROADCAST_RATE)


async def people(h: Harness) -> None:
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
    await h.official(LURAH_A, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
    await h.official(LURAH_B, Role.LURAH, "32.77.01.1001", name="Lurah Melong")
    await h.official(CAMAT, Role.CAMAT, "32.77.03", name="Camat Cimahi Utara")
    await h.official(KUPANG, Role.LURAH, "53.71.01.1001", name="Lurah Namosain")


async def compose_to_lurahs(h: Harness, text: str) -> None:
    await h.say(ADMIN, "/siaran", expect="Siapa penerimanya")
    await h.press(ADMIN, "Semua Lurah", expect="Tulis isi siaran")
    await h.sim.send_text(ADMIN, text)
    await h.sim.wait_for_bot_message(ADMIN, contains="Siap dikirim?")


@pytest.mark.parametrize("harness", [FAST_TICKS], indirect=True)
async def test_compose_preview_send_and_acknowledge(harness: Harness) -> None:
    h = harness
    with_scheduler(h)
    await people(h)
    await h.say(ADMIN, "/siaran", expect="Siapa penerimanya")
    await h.say(ADMIN, "semua lurah", expect="pilih penerima")
    await h.press(ADMIN, "Semua Lurah", expect="Tulis isi siaran")
    await h.restart_bot()  # the draft is kept in the database
    with_scheduler(h)
    refused = await h.say(ADMIN, "<b>Apel pagi", expect="tidak dapat dikirim")
    assert 'start tag "b"' in (refused.text or "")
    await h.say(ADMIN, "Skor 3 < 5", expect="tidak dapat dikirim")
    await h.sim.send_sticker(ADMIN)
    await h.sim.wait_for_bot_message(ADMIN, contains="teks, foto, atau dokumen")
    await h.sim.send_text(ADMIN, "Apel <b>Senin</b> pukul 07.00 &amp; wajib hadir.")
    summary = await h.sim.wait_for_bot_message(ADMIN, contains="Siap dikirim?")
    assert "(2 pejabat)" in (summary.text or "")
    copy = [m for m in h.sim.bot_messages(ADMIN)
            if m.text == HEADER + "Apel Senin pukul 07.00 & wajib hadir."]
    assert copy and [e["type"] for e in copy[-1].entities] == ["bold", "bold"]
    await h.say(ADMIN, "kirim", expect="tekan salah satu tombol")
    await h.press(ADMIN, "Konfirmasi baca", expect="Minta konfirmasi baca: ya")
    await h.press(ADMIN, "Kirim", expect="diterima")
    report = await h.sim.wait_for_bot_message(ADMIN, contains="Laporan siaran", timeout=10)
    assert "Terkirim 2 dari 2" in (report.text or "")
    received = await h.sim.wait_for_bot_message(LURAH_A, contains="wajib hadir")
    assert received.text == HEADER + "Apel Senin pukul 07.00 & wajib hadir."
    assert [label for label, _ in received.buttons] == ["✅ Sudah dibaca"]
    assert not [m for m in h.sim.bot_messages(KUPANG) if "wajib hadir" in (m.text or "")]
    assert not [m for m in h.sim.bot_messages(CAMAT) if "wajib hadir" in (m.text or "")]

    thanks = "Terima kasih, sudah tercatat dibaca."
    assert await h.press_for_answer(LURAH_A, "Sudah dibaca") == thanks
    await h.settle()
    assert h.sim.bot_messages(LURAH_A)[-1].buttons == []
    await h.say(KUPANG, "/profil", expect="Profil")
    forged = await h.forge(KUPANG, "w1:bc.ack:1")
    assert "tidak ditujukan kepada Anda" in forged

    status = await h.say(ADMIN, "/siaran_status", expect="Siaran terakhir")
    assert "Sudah dibaca: 1 dari 2" in (status.text or "")
    readers = await h.press(ADMIN, "Pembaca #1", expect="sudah membaca")
    assert "Lurah Cibabat" in (readers.text or "") and "Lurah Melong" in (readers.text or "")
    await h.press(ADMIN, "Ingatkan yang belum (1)", expect="Pengingat dikirim ke 1")
    reminder = await h.sim.wait_for_bot_message(LURAH_B, contains="Mohon konfirmasi", timeout=5)
    assert "wajib hadir" in (reminder.text or "") and reminder.buttons
    assert await h.press_for_answer(LURAH_B, "Sudah dibaca") == thanks

    await h.official(OTHER_ADMIN, Role.ADMIN, "53.71", name="Admin Kupang")
    await h.say(OTHER_ADMIN, "/siaran", expect="Siapa penerimanya")
    await h.press(OTHER_ADMIN, "Semua Camat", expect="Tidak ada pejabat aktif")
    await h.sim.wait_for_bot_message(OTHER_ADMIN, contains="Siapa penerimanya")
    await h.say(OTHER_ADMIN, "/batal", expect="Dibatalkan")


@pytest.mark.parametrize("harness", [FAST_TICKS], indirect=True)
async def test_photo_broadcast_to_chosen_kelurahan_and_officials(harness: Harness) -> None:
    h = harness
    with_scheduler(h)
    await people(h)
    await h.say(ADMIN, "/siaran", expect="Siapa penerimanya")
    await h.press(ADMIN, "Pilih kecamatan", expect="Terpilih: —")
    await h.press(ADMIN, "Cimahi Utara", expect="Terpilih")
    await h.say(ADMIN, "bab", expect="Terpilih")
    await h.press(ADMIN, "Cibabat", expect="Cibabat, Cimahi Utara")
    forged = await h.forge(ADMIN, "w1:bc.rg:pick:53.71.01.1001")
    assert "tidak berwenang" in forged
    await h.press(ADMIN, "Selesai (1)", expect="Tulis isi siaran")
    await h.sim.send_photo(ADMIN, tiny_png(), caption="<i>Peta</i> posko banjir")
    await h.sim.wait_for_bot_message(ADMIN, contains="(1 pejabat)")
    await h.press(ADMIN, "Ubah penerima", expect="Siapa penerimanya")
    await h.press(ADMIN, "Pilih pejabat", expect="Ketik sebagian nama")
    await h.say(ADMIN, "x", expect="2–60")
    await h.say(ADMIN, "namosain", expect="Tidak ada pejabat aktif")
    await h.say(ADMIN, "lurah", expect="Centang pejabat")
    ticked = await h.press(ADMIN, "Lurah Melong", expect="Centang pejabat")
    assert "☑ Lurah Melong · Lurah / Kepala Desa" in [label for label, _ in ticked.buttons]
    await h.say(ADMIN, "camat", expect="Centang pejabat")
    await h.press(ADMIN, "Camat Cimahi Utara", expect="Centang pejabat")
    await h.press(ADMIN, "Selesai (2)", expect="(2 pejabat)")
    await h.press(ADMIN, "Kirim", expect="diterima")
    await h.sim.wait_for_bot_message(ADMIN, contains="Laporan siaran", timeout=10)
    photo = await h.sim.wait_for_bot_message(CAMAT, contains="posko banjir")
    assert photo.kind == "photo" and photo.text == HEADER + "Peta posko banjir"
    assert [e["type"] for e in photo.entities] == ["bold", "italic"]
    assert not [m for m in h.sim.bot_messages(LURAH_A) if m.kind == "photo"]


@pytest.mark.allow_rejected_calls  # the 403s of blocked users; checked exactly below
@pytest.mark.parametrize("harness", [FAST_TICKS], indirect=True)
async def test_five_hundred_recipients_within_flood_limits(harness: Harness) -> None:
    h = harness
    with_scheduler(h)
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
    recipients = list(range(100_001, 100_501))
    async with h.db.session() as session:
        for telegram_id in recipients:
            await h.sim.add_user(telegram_id, "Lurah", started=True)
            session.add(Official(telegram_id=telegram_id, full_name=f"Lurah {telegram_id}",
                                 role=Role.LURAH, region_code="32.77.03.1002",
                                 status=OfficialStatus.ACTIVE, language="id",
                                 created_at=h.clock.now()))
    blocked = recipients[::100]
    for telegram_id in blocked:
        h.sim.block_user(telegram_id)
    await compose_to_lurahs(h, "Rakor <b>stunting</b> diundur ke Kamis.")
    h.sim.set_flood(FloodLimits())  # Telegram's own limits from here on
    started = time.monotonic()
    await h.press(ADMIN, "Kirim", expect="diterima")
    await h.sim.wait_for_bot_message(recipients[150], contains="stunting", timeout=30)
    asked = time.monotonic()  # mid-broadcast (sent in id order): a reply is still prompt
    await h.say(recipients[1], "/bantuan", expect="Menu Lurah", timeout=3)
    assert time.monotonic() - asked < 1.5
    report = await h.sim.wait_for_bot_message(ADMIN, contains="Laporan siaran", timeout=90)
    elapsed = time.monotonic() - started
    assert "Terkirim 495 dari 500" in (report.text or "")
    assert "Memblokir bot: 5" in (report.text or "")
    assert not h.sim.flood_hits, "no 429 may ever be provoked"
    rejected = [(c.status, int(c.params["chat_id"])) for c in h.sim.rejected_calls
                if c.status != 499]
    assert sorted(rejected) == [(403, t) for t in blocked], rejected
    for telegram_id in recipients:
        got = [m for m in h.sim.bot_messages(telegram_id) if "stunting" in (m.text or "")]
        assert len(got) == (0 if telegram_id in blocked else 1), telegram_id
    progress = [m for m in h.sim.bot_messages(ADMIN) if "Siaran #1" in (m.text or "")]
    assert progress and progress[0].edited
    assert elapsed >= 495 / 30  # never faster than Telegram allows
    async with h.db.session() as session:
        unreachable = (await session.exec(select(Official.telegram_id).where(
            Official.reachable == False))).all()  # noqa: E712
        statuses = (await session.exec(select(BroadcastDelivery.status))).all()
    assert sorted(unreachable) == blocked
    assert statuses.count(DeliveryStatus.SENT) == 495


@pytest.mark.parametrize("harness", [FAST_TICKS], indirect=True)
async def test_cancel_stops_the_rest(harness: Harness) -> None:
    h = harness
    with_scheduler(h)
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
    recipients = list(range(200_001, 200_121))
    async with h.db.session() as session:
        for telegram_id in recipients:
            await h.sim.add_user(telegram_id, "Lurah", started=True)
            session.add(Official(telegram_id=telegram_id, full_name=f"Lurah {telegram_id}",
                                 role=Role.LURAH, region_code="32.77.01.1001",
                                 status=OfficialStatus.ACTIVE, created_at=h.clock.now()))
    await compose_to_lurahs(h, "Pengumuman yang keliru")
    await h.press(ADMIN, "Kirim", expect="diterima")
    await h.sim.wait_for_bot_message(ADMIN, contains="sedang dikirim")
    await asyncio.sleep(1.0)
    assert "dihentikan" in await h.press_for_answer(ADMIN, "Hentikan siaran")
    report = await h.sim.wait_for_bot_message(ADMIN, contains="dihentikan)", timeout=10)
    await h.settle(1.0)
    delivered = sum(1 for t in recipients if h.sim.bot_messages(t))
    assert 0 < delivered < len(recipients)
    assert f"Terkirim {delivered} dari {len(recipients)}" in (report.text or "")
    assert "sudah selesai atau dihentikan" in await h.forge(ADMIN, "w1:bc.cancel:1")
    await h.official(OTHER_ADMIN, Role.ADMIN, "53.71", name="Admin Kupang")
    await h.say(OTHER_ADMIN, "/siaran_status", expect="Belum ada siaran")
    assert "tidak berwenang" in await h.forge(OTHER_ADMIN, "w1:bc.cancel:1")


@pytest.mark.parametrize("harness", [FAST_TICKS], indirect=True)
async def test_a_restart_midway_resumes_without_duplicates(harness: Harness) -> None:
    h = harness
    with_scheduler(h)
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
    recipients = list(range(300_001, 300_061))
    async with h.db.session() as session:
        for telegram_id in recipients:
            await h.sim.add_user(telegram_id, "Lurah", started=True)
            session.add(Official(telegram_id=telegram_id, full_name=f"Lurah {telegram_id}",
                                 role=Role.LURAH, region_code="32.77.02.1001",
                                 status=OfficialStatus.ACTIVE, created_at=h.clock.now()))
    await compose_to_lurahs(h, "Jadwal posyandu bulan ini")
    await h.press(ADMIN, "Kirim", expect="diterima")
    await h.sim.wait_for_bot_message(ADMIN, contains="sedang dikirim")
    await asyncio.sleep(0.8)
    await h.restart_bot()
    delivered_before = sum(1 for t in recipients if h.sim.bot_messages(t))
    assert 0 < delivered_before < len(recipients)
    with_scheduler(h)
    report = await h.sim.wait_for_bot_message(ADMIN, contains="Laporan siaran", timeout=15)
    assert "Terkirim 60 dari 60" in (report.text or "")
    assert all(len(h.sim.bot_messages(t)) == 1 for t in recipients)
