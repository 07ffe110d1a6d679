"""A real python-telegram-bot Application against the simulator (polling and webhook)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
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
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Lapor", callback_data="lapor")]]
            ),
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


async def test_polling_application_end_to_end(
    sim: BotApiSimulator, make_app: Callable[..., Application]
) -> None:
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
async def test_ptb_sees_telegram_errors(
    sim: BotApiSimulator, make_app: Callable[..., Application]
) -> None:
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
        sim.fail_next("sendMessage", status=502)
        try:
            await app.bot.send_message(42, "hi")
        except NetworkError as err:
            assert "Bad Gateway" in err.message
        else:
            raise AssertionError("expected NetworkError")
        sim.delay_next("sendMessage", 1.0)
        try:
            await app.bot.send_message(42, "slow", read_timeout=0.2)
        except TimedOut:
            pass
        else:
            raise AssertionError("expected TimedOut")
        await asyncio.sleep(0.05)
        assert sim.calls_to("sendMessage")[-1].status == 499
        assert [m.text for m in sim.bot_messages(42)] == []  # never processed
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


async def test_every_produced_shape_parses_with_ptb(sim: BotApiSimulator) -> None:
    from telegram import Bot, Message

    await sim.add_user(42, "Budi", last_name="Santoso", username="budi")
    await sim.add_group(-500, "Desa Sukamaju")
    await sim.send_text(42, "/start abc")
    await sim.send_text(42, "/lapor", chat_id=-500)
    await sim.send_contact(42, "+62811")
    await sim.send_location(42, -6.2, 106.8)
    await sim.send_photo(42, tiny_png(), caption="foto #banjir")
    await sim.send_document(42, b"x", file_name="a.pdf", mime_type="application/pdf")
    await sim.send_sticker(42)
    first = sim.chat(42)[0]
    await sim.edit_text(42, first.message_id, "/start def")
    await sim.forge_callback(42, 999, "x")
    bot = Bot(sim.token, base_url=sim.api_base_url, base_file_url=sim.file_base_url)
    updates = [Update.de_json(raw, bot) for raw in sim.pending_updates]
    assert [u.update_id for u in updates] == [raw["update_id"] for raw in sim.pending_updates]
    assert all(isinstance(u.effective_message, Message) for u in updates[:8])
    assert updates[1].effective_chat.type == "group"
    assert updates[7].edited_message.text == "/start def"
    assert updates[8].callback_query.message.is_accessible is False
    async with bot:
        sent = await bot.send_message(42, "<i>ok</i>", parse_mode="HTML")
        assert sent.text == "ok" and sent.entities[0].type == "italic"
        photo = await bot.send_photo(42, tiny_png(), caption="c")
        assert photo.photo[-1].width == 4
        album = await bot.send_media_group(42, [
            InputMediaPhoto(tiny_png()), InputMediaPhoto(tiny_png(2, 2), caption="dua"),
        ])
        assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
        forwarded = await bot.forward_message(42, 42, first.message_id)
        assert forwarded.forward_origin.sender_user.id == 42
        chat = await bot.get_chat(42)
        assert chat.first_name == "Budi"
        me = await bot.get_me()
        assert me.username == "wilayah_test_bot"
        file = await bot.get_file(photo.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == tiny_png()
        assert isinstance(sent, Message)
