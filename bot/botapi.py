"""The bot's Bot API client: PTB's `ExtBot` with two shortcuts on every message it sends.

Most updates make the bot send or edit a message with an inline keyboard, and PTB spends
more CPU on the keyboard than on anything else in that call: it serialises the keyboard
through its generic object introspection, and it rebuilds the whole message — keyboard and
formatting included — from the copy Telegram sends back. So:

* an inline keyboard of plain buttons (a label with callback data or a link, all the bot
  builds) is turned into its JSON directly; any other button goes through PTB as before;
* the copy of a sent or edited message keeps its ids, chat, sender, date and text but drops
  the echoed keyboard and formatting entities before PTB parses it: the bot never reads them
  back (it knows what it sent), and they are most of the parsing cost.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ExtBot

# methods whose answer is the message just sent or edited
_ECHOING = frozenset({
    "sendMessage", "editMessageText", "editMessageReplyMarkup", "editMessageCaption",
    "sendPhoto", "sendDocument", "sendLocation",
})
# parts of that answer the bot never reads back
_ECHO_NOT_READ = ("reply_markup", "entities", "caption_entities")
_PLAIN_FIELDS = ("text", "callback_data", "url")
_OTHER_FIELDS = tuple(name for name in InlineKeyboardButton.__slots__
                      if name not in _PLAIN_FIELDS)


def keyboard_json(markup: InlineKeyboardMarkup) -> dict[str, Any]:
    """The keyboard as the Bot API's JSON object, as PTB's `to_dict` would give it."""
    return {"inline_keyboard": [[_button_json(button) for button in row]
                                for row in markup.inline_keyboard]}


def _button_json(button: InlineKeyboardButton) -> dict[str, Any]:
    if button.api_kwargs or any(getattr(button, name) is not None for name in _OTHER_FIELDS):
        return button.to_dict()
    data: dict[str, Any] = {"text": button.text}
    if button.callback_data is not None:
        data["callback_data"] = button.callback_data
    if button.url is not None:
        data["url"] = button.url
    return data


class WilayahBot(ExtBot[None]):
    """`ExtBot` with the shortcuts above; everything else is PTB's."""

    async def _post(self, endpoint: str, data: dict[str, Any] | None = None,
                    **kwargs: Any) -> Any:
        markup = data.get("reply_markup") if data is not None else None
        if type(markup) is InlineKeyboardMarkup and not markup.api_kwargs:
            data["reply_markup"] = keyboard_json(markup)  # type: ignore[index]
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint in _ECHOING and isinstance(result, dict):
            for name in _ECHO_NOT_READ:
                result.pop(name, None)
        return result
