"""The demo page in Chromium: register, approve, profile, language, attachments, live edits."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from tests.browser.conftest import in_ci

try:
    from playwright.async_api import expect
except ImportError:  # pragma: no cover - playwright is a test dependency
    if in_ci():
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

from tests.browser.demo_page import DemoPage  # noqa: E402

pytestmark = pytest.mark.browser

NEWCOMER = "Pengguna baru (belum terdaftar)"
ADMIN = "Admin Tapem Kota Cimahi"
LURAH = "Lurah Cibabat (Cimahi Utara)"


async def test_register_approve_and_use_the_menu(demo_page: DemoPage) -> None:
    p = demo_page
    await p.open()
    await expect(p.page.locator("#start-button")).to_be_visible()
    await p.screenshot("first-sight")

    await p.switch_persona(NEWCOMER)
    await p.start()
    await p.wait_for_bubble("Apa jabatan Anda?")
    await p.screenshot("registration-role")
    await p.press("Lurah / Kepala Desa", expect_text="kabupaten/kota")
    await p.press("Kota Cimahi", expect_text="Kota Cimahi")
    await p.press("Cimahi Utara", expect_text="Cimahi Utara")
    await p.press("Cibabat", expect_text="nama lengkap")
    await p.send_text("Dewi Kartika")
    await p.wait_for_bubble("NIP")
    await p.press("Lewati", expect_text="bagikan nomor")
    await expect(p.page.locator("#reply-keyboard")).to_be_visible()
    await p.screenshot("share-contact-keyboard")
    await p.reply_button("Bagikan nomor saya")
    summary = await p.wait_for_bubble("Periksa data")
    await expect(summary).to_contain_text("Cibabat, Cimahi Utara, Kota Cimahi")
    await expect(p.page.locator("#reply-keyboard")).to_be_hidden()
    await p.screenshot("registration-summary")
    await p.press("Kirim", expect_text="menunggu persetujuan")
    await expect(p.persona(ADMIN).locator(".unread")).to_have_text("1")
    await p.screenshot("waiting-for-approval")

    await p.switch_persona(ADMIN)
    request = await p.wait_for_bubble("Pendaftaran baru")
    await expect(request).to_contain_text("Dewi Kartika")
    await p.screenshot("admin-approval-request")
    await p.press("Setujui")
    # the request is edited in place: same bubble, buttons gone
    await expect(p.bubbles().filter(has_text="disetujui")).to_have_count(1)
    await expect(p.bubbles().filter(has_text="Pendaftaran baru")).to_have_count(0)
    await expect(p.page.locator(".inline-keyboard").get_by_role("button", name="Setujui"))\
        .to_have_count(0)
    await p.screenshot("admin-approved")

    await p.switch_persona(NEWCOMER)
    await p.wait_for_bubble("Menu Lurah")
    await expect(p.persona(NEWCOMER).locator(".persona-sub")).to_contain_text("Dewi Kartika")
    await p.screenshot("newcomer-lurah-menu")
    await p.send_text("/profil")
    profile = await p.wait_for_bubble("Profil Anda")
    await expect(profile).to_contain_text("Cibabat")
    await p.page.locator("#menu-button").click()
    await expect(p.page.locator("#command-menu")).to_contain_text("/lapor")
    await p.screenshot("command-menu")


async def test_language_switch_from_the_command_menu(demo_page: DemoPage) -> None:
    p = demo_page
    await p.open(LURAH)
    await p.start()
    await p.wait_for_bubble("Menu Lurah")
    await p.page.locator("#menu-button").click()
    await p.page.locator("#command-menu").get_by_role("menuitem", name="/bahasa").click()
    await p.wait_for_bubble("Pilih bahasa")
    await p.press("English", expect_text="I will use English")
    await p.send_text("/profil")
    await p.wait_for_bubble("Your profile")
    await p.screenshot("profile-in-english")
    await p.send_text("/bahasa")
    await p.wait_for_bubble("Choose a language")
    await p.press("Bahasa Indonesia", expect_text="Bahasa Indonesia.")


async def test_attachments_live_edits_and_persona_history(demo_page: DemoPage, demo) -> None:
    p = demo_page
    await p.open(LURAH)
    await p.start()
    await p.wait_for_bubble("Selamat datang kembali")
    # a /command inside a bot message is tappable, like in Telegram
    await p.bubbles().filter(has_text="Menu Lurah").locator(".tg-bot-command",
                                                             has_text="/profil").click()
    await p.wait_for_bubble("Profil Anda")
    await p.page.locator("#attach-button").click()
    await p.screenshot("attach-menu")
    await p.page.locator("#attach-button").click()
    await p.send_location("Kantor Kelurahan Cibabat, Cimahi", screenshot="location-dialog")
    await p.send_sample("photo", caption="Foto uji", screenshot="photo-dialog")
    await p.send_sample("document")
    photo = p.bubbles(from_bot=False).filter(has_text="Foto uji").locator("img")
    await expect(photo).to_be_visible()
    await p.screenshot("attachments")

    # the bot edits and deletes messages through the real Bot API: the page follows live
    chat_id = 710001
    sent = await demo.app.bot.send_message(chat_id, "<b>Status</b>: dikirim", parse_mode="HTML")
    await p.wait_for_bubble("Status: dikirim")
    await demo.app.bot.edit_message_text("<b>Status</b>: <i>diterima</i>", chat_id=chat_id,
                                         message_id=sent.message_id, parse_mode="HTML")
    edited = await p.wait_for_bubble("Status: diterima")
    await expect(edited.locator("b")).to_have_text("Status")
    await expect(edited.locator(".meta")).to_contain_text("diedit")
    await expect(p.bubbles().filter(has_text="Status: dikirim")).to_have_count(0)
    await demo.app.bot.send_message(chat_id, "<script>alert(1)</script> & <b>aman</b>",
                                    parse_mode=None)
    unsafe = await p.wait_for_bubble("<script>alert(1)</script>")
    await expect(unsafe.locator("script")).to_have_count(0)
    await demo.app.bot.delete_message(chat_id, sent.message_id)
    await expect(p.bubbles().filter(has_text="Status: diterima")).to_have_count(0)
    await p.screenshot("edited-and-deleted")

    # a button nobody handles any more is answered with a popup (show_alert)
    await demo.app.bot.send_message(chat_id, "Pesan lama", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Tombol lama", callback_data="w1:old")]]))
    await p.press("Tombol lama")
    await expect(p.page.locator("#alert-dialog")).to_contain_text("tidak berlaku")
    await p.screenshot("alert-popup")
    await p.page.locator("#alert-dialog").get_by_role("button", name="OK").click()
    await expect(p.page.locator("#alert-dialog")).to_be_hidden()

    # each persona keeps its own chat
    await p.switch_persona("Camat Cimahi Utara")
    await expect(p.page.locator("#start-button")).to_be_visible()
    await expect(p.bubbles()).to_have_count(0)
    await p.switch_persona(LURAH)
    await p.wait_for_bubble("Profil Anda")


async def test_phone_sized_page(phone_page: DemoPage) -> None:
    p = phone_page
    await p.open()
    await p.screenshot("phone-first-sight")
    await p.open_persona_drawer()
    await p.screenshot("phone-persona-drawer")
    await p.persona("Camat Kelapa Lima").click()
    await expect(p.page.locator("#acting-name")).to_have_text("Camat Kelapa Lima")
    await p.start()
    await p.wait_for_bubble("Menu Camat")
    await p.screenshot("phone-camat-menu")
