"""How a send can end, independent of Telegram, plus the adapter that maps PTB's errors.

The dispatchers only know the outcomes below, so tests drive them with a plain coroutine.
The distinction that matters for "never send twice": was the request surely *not* accepted
(safe to retry) or might Telegram have delivered it (never retried, reported as uncertain)?
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

import httpx
from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from models.broadcasts import BroadcastContent


class SendError(Exception):
    """A send that did not end with a delivered message; `reason` is short and loggable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:300]


class RecipientBlocked(SendError):
    """403: the recipient blocked the bot or deleted their account; never retried."""


class RetryLater(SendError):
    """429: flood control; nothing was delivered; retry after `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TransientSendError(SendError):
    """The request surely did not reach the recipient (no connection, 5xx); safe to retry."""


class DeliveryUncertain(SendError):
    """The request may have been delivered (e.g. a read timeout); retrying could duplicate."""


class PermanentSendError(SendError):
    """Telegram refused the message (400 and the like); retrying would not help."""


class MessageSender(Protocol):
    """What the broadcast worker needs from Telegram (TelegramSender, or a fake in tests)."""

    async def send_text(self, chat_id: int, text: str,
                        reply_markup: InlineKeyboardMarkup | None = None) -> int: ...

    async def send_content(self, chat_id: int, *, content_type: str, text: str,
                           file_id: str | None,
                           reply_markup: InlineKeyboardMarkup | None = None) -> int: ...

    async def edit_text(self, chat_id: int, message_id: int, text: str,
                        reply_markup: InlineKeyboardMarkup | None = None) -> None: ...


SendText = Callable[[int, str, InlineKeyboardMarkup | None], Awaitable[int | None]]
"""Send HTML `text` to `chat_id`; return Telegram's message id. Raises SendError subclasses."""

_SAFE_TO_RETRY_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def classify(error: TelegramError) -> SendError:
    """Map a PTB error to the outcome the dispatchers act on."""
    reason = f"{type(error).__name__}: {error.message}"
    if isinstance(error, Forbidden):
        return RecipientBlocked(reason)
    if isinstance(error, RetryAfter):
        return RetryLater(reason, retry_after_seconds(error))
    if isinstance(error, BadRequest):
        return PermanentSendError(reason)
    if isinstance(error, NetworkError):  # includes TimedOut
        cause = error.__cause__
        pool_timeout = isinstance(error, TimedOut) and "Pool timeout" in error.message
        if pool_timeout or isinstance(cause, _SAFE_TO_RETRY_CAUSES):
            return TransientSendError(reason)
        if cause is None and not isinstance(error, TimedOut):
            return TransientSendError(reason)  # Telegram answered 5xx: it did not deliver
        return DeliveryUncertain(reason)
    return PermanentSendError(reason)


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns while moving this attribute to timedelta
        value: Any = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends through a PTB Bot and turns its errors into SendError outcomes."""

    def __init__(self, bot: Any) -> None:
        self.bot = bot

    async def send_text(self, chat_id: int, text: str,
                        reply_markup: InlineKeyboardMarkup | None = None) -> int:
        try:
            message = await self.bot.send_message(
                chat_id=chat_id, text=text, parse_mode=ParseMode.HTML, reply_markup=reply_markup)
        except TelegramError as error:
            raise classify(error) from error
        return int(message.message_id)

    async def send_content(self, chat_id: int, *, content_type: str, text: str,
                           file_id: str | None,
                           reply_markup: InlineKeyboardMarkup | None = None) -> int:
        """Send a broadcast body: text, or a photo/document with `text` as its caption."""
        try:
            if content_type == BroadcastContent.PHOTO:
                message = await self.bot.send_photo(
                    chat_id=chat_id, photo=file_id, caption=text or None,
                    parse_mode=ParseMode.HTML, reply_markup=reply_markup)
            elif content_type == BroadcastContent.DOCUMENT:
                message = await self.bot.send_document(
                    chat_id=chat_id, document=file_id, caption=text or None,
                    parse_mode=ParseMode.HTML, reply_markup=reply_markup)
            else:
                message = await self.bot.send_message(
                    chat_id=chat_id, text=text, parse_mode=ParseMode.HTML,
                    reply_markup=reply_markup)
        except TelegramError as error:
            raise classify(error) from error
        return int(message.message_id)

    async def edit_text(self, chat_id: int, message_id: int, text: str,
                        reply_markup: InlineKeyboardMarkup | None = None) -> None:
        """Edit a progress message; an unchanged text is not an error."""
        try:
            await self.bot.edit_message_text(
                chat_id=chat_id, message_id=message_id, text=text, parse_mode=ParseMode.HTML,
                reply_markup=reply_markup)
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                raise classify(error) from error
        except TelegramError as error:
            raise classify(error) from error
