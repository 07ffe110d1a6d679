"""Checking an admin's broadcast HTML the way Telegram will, before anything is sent.

The admin's text is sent as written with parse_mode HTML, so whatever Telegram would reject
(an unknown tag, an unclosed tag, a stray "<", too long) is refused at preview. The rules are
the Bot API simulator's strict parser, which mirrors Telegram's.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import InvalidInput
from simulator.spec import ApiError
from simulator.telegram_html import MAX_CAPTION, MAX_TEXT, prepare_text, utf16_len


@dataclass(frozen=True)
class CheckedText:
    """HTML Telegram accepts, with its visible text and length (UTF-16 units)."""

    html: str
    plain: str
    length: int


def check_broadcast_html(text: str, *, caption: bool = False) -> CheckedText:
    """Accept the HTML or raise InvalidInput naming what Telegram would complain about."""
    limit = MAX_CAPTION if caption else MAX_TEXT
    try:
        plain, _ = prepare_text(text, "HTML", caption=caption)
    except ApiError as error:
        detail = error.description.removeprefix("Bad Request: ")
        if "too long" in detail:
            raise InvalidInput("broadcasts.errors.too_long", limit=limit) from None
        if "text is empty" in detail:
            raise InvalidInput("broadcasts.errors.empty") from None
        raise InvalidInput("broadcasts.errors.bad_html", detail=detail) from None
    return CheckedText(text, plain, utf16_len(plain))


def excerpt(text: str, *, limit: int = 80) -> str:
    """The first words of a broadcast as plain text, for lists and reminders."""
    try:
        plain, _ = prepare_text(text, "HTML", caption=True)
    except ApiError:
        plain = text
    plain = " ".join(plain.split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
