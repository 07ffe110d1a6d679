"""Keyboard/markup validation and Telegram-style flood control (token buckets)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields
from typing import Any

from simulator.spec import ApiError, bad_request
from simulator.telegram_html import utf16_len

MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_INLINE_BUTTONS = 100

INLINE_ACTION_FIELDS = frozenset({
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
})
REPLY_REQUEST_FIELDS = frozenset({
    "request_contact", "request_location", "request_poll", "request_users", "request_chat",
    "web_app",
})
_URL_SCHEMES = ("http://", "https://", "tg://")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: object expected")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in INLINE_ACTION_FIELDS if button.get(name) is not None]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = button["url"]
        low = url.lower() if isinstance(url, str) else ""
        scheme = next((s for s in _URL_SCHEMES if low.startswith(s)), None)
        if scheme is None or len(low.strip()) <= len(scheme):
            raise bad_request("BUTTON_URL_INVALID")


def _check_rows(rows: Any, what: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f"can't parse {what}: field must be an Array of Arrays")
    return rows


def check_inline_keyboard(markup: dict[str, Any]) -> None:
    """Validate an InlineKeyboardMarkup like Telegram does."""
    rows = _check_rows(markup.get("inline_keyboard"), "inline keyboard")
    count = 0
    for row in rows:
        for button in row:
            _check_inline_button(button)
            count += 1
    if count > MAX_INLINE_BUTTONS:
        raise bad_request("BUTTONS_TOO_MUCH")


def check_reply_keyboard(markup: dict[str, Any]) -> None:
    """Validate a ReplyKeyboardMarkup (plain buttons, contact/location requests, ...)."""
    rows = _check_rows(markup.get("keyboard"), "reply keyboard")
    if not any(rows):
        raise bad_request("keyboard must be non-empty")
    for row in rows:
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict):
                raise bad_request("can't parse keyboard button: object expected")
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise bad_request("keyboard button text must be non-empty")
            requests = [k for k in REPLY_REQUEST_FIELDS if button.get(k) not in (None, False)]
            if len(requests) > 1:
                raise bad_request("can't parse keyboard button: only one request field is allowed")


def markup_kind(markup: dict[str, Any]) -> str:
    """Classify a reply_markup object: inline, keyboard, remove or force_reply."""
    if "inline_keyboard" in markup:
        return "inline"
    if "keyboard" in markup:
        return "keyboard"
    if markup.get("remove_keyboard") is True:
        return "remove"
    if markup.get("force_reply") is True:
        return "force_reply"
    raise bad_request("can't parse reply keyboard markup JSON object")


def check_reply_markup(markup: dict[str, Any] | None, *, inline_only: bool = False) -> str | None:
    """Validate any reply_markup; returns its kind (or None when absent)."""
    if markup is None:
        return None
    kind = markup_kind(markup)
    if inline_only and kind != "inline":
        raise bad_request("inline keyboard expected")
    if kind == "inline":
        check_inline_keyboard(markup)
    elif kind == "keyboard":
        check_reply_keyboard(markup)
    return kind


def check_callback_answer_text(text: str | None) -> None:
    """answerCallbackQuery text is limited to 200 characters."""
    if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")


# ---- flood control -----------------------------------------------------------------------


@dataclass(frozen=True)
class FloodLimits:
    """Token-bucket limits; pass ``None`` instead of an instance to disable flood control."""

    global_per_second: float = 30.0
    global_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 20

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FloodLimits:
        """Build from a JSON object, rejecting unknown keys."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown flood limit fields: {sorted(unknown)}")
        return cls(**data)


class TokenBucket:
    """Classic token bucket; ``wait_time`` peeks, ``take`` consumes."""

    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, rate: float, capacity: int, now: float):
        self.rate = rate
        self.capacity = float(max(capacity, 1))
        self.tokens = self.capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_time(self, now: float) -> float:
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate if self.rate > 0 else math.inf

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


class FloodControl:
    """Applies FloodLimits per bot and per chat; only accepted calls consume tokens."""

    def __init__(self, limits: FloodLimits | None, clock=time.monotonic):
        self.limits = limits
        self.clock = clock
        self._global: TokenBucket | None = None
        self._chats: dict[int | str, TokenBucket] = {}

    def configure(self, limits: FloodLimits | None) -> None:
        """Replace the limits and reset all buckets."""
        self.limits = limits
        self._global = None
        self._chats.clear()

    def _buckets(self, chat_id: int | str, private: bool, now: float) -> list[TokenBucket]:
        lim = self.limits
        assert lim is not None
        if self._global is None:
            self._global = TokenBucket(lim.global_per_second, lim.global_burst, now)
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if private:
                bucket = TokenBucket(lim.private_per_second, lim.private_burst, now)
            else:
                bucket = TokenBucket(lim.group_per_minute / 60.0, lim.group_burst, now)
            self._chats[chat_id] = bucket
        return [self._global, bucket]

    def check(self, chat_id: int | str, private: bool) -> None:
        """Raise 429 if a message to ``chat_id`` would exceed a limit right now."""
        if self.limits is None:
            return
        now = self.clock()
        wait = max(b.wait_time(now) for b in self._buckets(chat_id, private, now))
        if wait > 0:
            retry = max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)

    def commit(self, chat_id: int | str, private: bool) -> None:
        """Consume one token from the global and the chat bucket."""
        if self.limits is None:
            return
        now = self.clock()
        for bucket in self._buckets(chat_id, private, now):
            bucket.take(now)
