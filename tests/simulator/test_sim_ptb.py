"""A real python-telegram-bot Application against the simulator (polling and webhook)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from simulator import BotApiSimulator, FloodLimits, tiny_png


def add_echo_handlers(app: Application, errors: list[BaseException]) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        payload = context.args[0] if context.args else "-"
        await update.message.reply_html(
            f"<b>Selamat datang</b>, {update.effective_user.first_name}! payload={payload}",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Lapor", callback_data="lapor")]]),
        )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Siap")
        await update.callback_query.edit_message_text("Kirim nomor Anda")
        await context.bot.send_message(
            update.effective_chat.id, "Tekan tombol",
            reply_markup=ReplyKeyboardMarkup([[KeyboardButton("Bagikan", request_contact=True)]],
                                             one_time_keyboard=True),
        )

    async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"nomor {update.message.contact.phone_number}")

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        file = await update.message.photo[-1].get_file()
        data = await file.download_as_bytearray()
        await update.message.reply_photo(bytes(data), caption=f"diterima {len(data)} byte")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)


async def test_polling_application_end_to_end(sim: BotApiSimulator, make_app: Callable[..., Application]) -> None:
    app = make_app()
    errors: list[BaseException] = []
    add_echo_handlers(app, errors)
    await sim.add_user(42, "Budi", username="budi")
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0)
        try:
            await sim.send_text(42, "/start rakor_77")
            welcome = await sim.wait_for_bot_message(42)
            assert welcome.text == "Selamat datang, Budi! payload=rakor_77"
            assert welcome.html.startswith("<b>Selamat datang</b>")
            assert welcome.buttons == [("Lapor", "lapor")]

            await sim.send_text(42, "halo bot")
            assert (await sim.wait_for_bot_message(42)).text == "echo: halo bot"

            query_id = await sim.press_button(42, welcome.message_id, "lapor")
            answer = await sim.wait_for_callback_answer(query_id)
            assert answer.text == "Siap"
            prompt = await sim.wait_for_bot_message(42, contains="Tekan tombol")
            assert sim.chat(42)[1].text == "Kirim nomor Anda" and sim.chat(42)[1].edited
            assert prompt.buttons == [("Bagikan", None)]

            await sim.send_contact(42, "+6281200001111")
            assert (await sim.wait_for_bot_message(42)).text == "nomor +6281200001111"

            await sim.send_photo(42, tiny_png(30, 20))
            reply = await sim.wait_for_bot_message(42)
            assert reply.kind == "photo" and reply.text == f"diterima {len(tiny_png(30, 20))} byte"
        finally:
            await app.updater.stop()
            await app.stop()
    assert errors == []
    assert sim.rejected_calls == [] and sim.flood_hits == []
    assert sim.pending_updates == []  # PTB confirmed everything on shutdown


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_sees_telegram_errors(sim: BotApiSimulator, make_app: Callable[..., Application]) -> None:
    app = make_app(rate_limiter=False)
    async with app:
        await sim.add_user(42, "Budi")
        try:
            await app.bot.send_message(42, "hi")
        except BadRequest as err:
            assert err.message == "Chat not found"
        else:
            raise AssertionError("expected BadRequest")
        await sim.send_text(42, "/start")
        sim.block_user(42)
        try:
            await app.bot.send_message(42, "hi")
        except Forbidden as err:
            assert "blocked" in err.message
        else:
            raise AssertionError("expected Forbidden")
        sim.unblock_user(42)
        sim.set_flood(FloodLimits(private_burst=1))
        await app.bot.send_message(42, "satu")
        try:
            await app.bot.send_message(42, "dua")
        except RetryAfter as err:
            assert "Retry in 1" in err.message
        else:
            raise AssertionError("expected RetryAfter")


async def test_webhook_application_with_secret_token(
    sim: BotApiSimulator, make_app: Callable[..., Application], free_port: int
) -> None:
    app = make_app()
    errors: list[BaseException] = []
    add_echo_handlers(app, errors)
    await sim.add_user(42, "Budi")
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1", port=free_port, url_path="tg-hook",
            webhook_url=f"http://127.0.0.1:{free_port}/tg-hook", secret_token="rahasia_123",
        )
        try:
            info = await app.bot.get_webhook_info()
            assert info.url == f"http://127.0.0.1:{free_port}/tg-hook"
            await sim.send_text(42, "lewat webhook")
            reply = await sim.wait_for_bot_message(42, timeout=5)
            assert reply.text == "echo: lewat webhook"
            assert sim.hub.last_error is None  # PTB accepted the secret header
        finally:
            await app.updater.stop()
            await app.stop()
    assert errors == []


async def test_wrong_webhook_secret_is_rejected_by_ptb(
    sim: BotApiSimulator, make_app: Callable[..., Application], free_port: int
) -> None:
    app = make_app()
    await sim.add_user(42, "Budi")
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1", port=free_port, url_path="tg-hook",
            webhook_url=f"http://127.0.0.1:{free_port}/tg-hook", secret_token="rahasia_123",
        )
        try:
            sim.hub.webhook["secret_token"] = "salah"  # simulate a forged delivery
            await sim.send_text(42, "x")
            for _ in range(50):
                if sim.hub.last_error:
                    break
                await asyncio.sleep(0.02)
            assert "403" in sim.hub.last_error[1]
        finally:
            await app.updater.stop()
            await app.stop()
