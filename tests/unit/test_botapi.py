"""The bot's ExtBot shortcuts: keyboards as JSON directly, echoed messages parsed lean."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import (
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LoginUrl,
    WebAppInfo,
)

from bot.botapi import WilayahBot, keyboard_json
from tests.canned_botapi import CannedBotApi


def _keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button] for button in buttons])


@pytest.mark.parametrize("button", [
    InlineKeyboardButton("Hadir", callback_data="mtg:rsvp:1:hadir"),
    InlineKeyboardButton("Peta", url="https://maps.example.org/?q=1,2"),
    InlineKeyboardButton("Buka", web_app=WebAppInfo("https://app.example.org")),
    InlineKeyboardButton("Masuk", login_url=LoginUrl("https://login.example.org")),
    InlineKeyboardButton("Salin", copy_text=CopyTextButton("INC-2026-000001")),
    InlineKeyboardButton("Cari", switch_inline_query_current_chat="banjir"),
])
def test_a_keyboard_is_the_same_json_as_ptb_makes_of_it(button: InlineKeyboardButton) -> None:
    markup = _keyboard(button, InlineKeyboardButton("Batal", callback_data="x:cancel"))
    assert keyboard_json(markup) == markup.to_dict()


async def _bot(answer: Any) -> tuple[WilayahBot, CannedBotApi]:
    request = CannedBotApi(default=answer)
    bot = WilayahBot("123:abc", request=request, get_updates_request=CannedBotApi(default=[]))
    return bot, request


_SENT = {
    "message_id": 7, "date": 1_780_000_000, "text": "Laporan terkirim",
    "chat": {"id": 42, "type": "private"},
    "from": {"id": 1, "is_bot": True, "first_name": "Wilayah"},
    "entities": [{"type": "bold", "offset": 0, "length": 7}],
    "reply_markup": {"inline_keyboard": [[{"text": "Lihat", "callback_data": "inc:v:1"}]]},
}


async def test_the_keyboard_goes_out_as_a_json_object() -> None:
    bot, request = await _bot(_SENT)
    markup = _keyboard(InlineKeyboardButton("Lihat", callback_data="inc:v:1"))
    await bot.send_message(42, "<b>Laporan</b> terkirim", parse_mode="HTML", reply_markup=markup)
    endpoint, parameters = request.sent[-1]
    assert endpoint == "sendMessage"
    assert parameters["reply_markup"] == markup.to_dict()
    assert parameters["chat_id"] == 42 and parameters["parse_mode"] == "HTML"


async def test_a_sent_message_comes_back_without_what_the_bot_never_reads() -> None:
    bot, _ = await _bot(dict(_SENT))
    message = await bot.send_message(42, "Laporan terkirim")
    assert (message.message_id, message.chat.id, message.text) == (7, 42, "Laporan terkirim")
    assert message.reply_markup is None and message.entities == ()


async def test_other_answers_are_left_whole() -> None:
    bot, _ = await _bot({"id": 1, "is_bot": True, "first_name": "Wilayah", "username": "wb"})
    me = await bot.get_me()
    assert me.username == "wb"
