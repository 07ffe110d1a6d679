"""Checking an admin's broadcast HTML the way Telegram will, and what recipients receive.

The admin's text is sent with parse_mode HTML below a header naming the sender (from the
catalog, in the recipient's language), so whatever Telegram would reject (an unknown tag, an
unclosed tag, a stray "<", too long once the header is added) is refused at preview. The
rules are the Bot API simulator's strict parser, which mirrors Telegram's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InvalidInput
from bot.i18n import LANGUAGES, Html, Translator
from bot.services.regions import describe
from models.officials import Official
from simulator.spec import ApiError
from simulator.telegram_html import MAX_CAPTION, MAX_TEXT, prepare_text, utf16_len

# between the header and the admin's text
HEADER_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class CheckedText:
    """HTML Telegram accepts, with its visible text and length (UTF-16 units)."""

    html: str
    plain: str
    length: int


def check_broadcast_html(text: str, *, caption: bool = False, reserved: int = 0) -> CheckedText:
    """Accept the HTML or raise InvalidInput naming what Telegram would complain about.

    `reserved` UTF-16 units of Telegram's limit are kept for the header (`header_room`).
    """
    limit = (MAX_CAPTION if caption else MAX_TEXT) - reserved
    try:
        plain, _ = prepare_text(text, "HTML", caption=caption)
    except ApiError as error:
        detail = error.description.removeprefix("Bad Request: ")
        if "too long" in detail:
            raise InvalidInput("broadcasts.errors.too_long", limit=limit) from None
        if "text is empty" in detail:
            raise InvalidInput("broadcasts.errors.empty") from None
        raise InvalidInput("broadcasts.errors.bad_html", detail=detail) from None
    length = utf16_len(plain)
    if length > limit:
        raise InvalidInput("broadcasts.errors.too_long", limit=limit)
    return CheckedText(text, plain, length)


@dataclass(frozen=True)
class SenderFacts:
    """Who a broadcast is from, as its header names them."""

    name: str
    role: str
    area: str  # "" for a sender without a region (superadmin)


async def sender_facts(session: AsyncSession, sender: Official) -> SenderFacts:
    area = await describe(session, sender.region_code) if sender.region_code else ""
    return SenderFacts(sender.full_name, str(sender.role), area)


def sender_header(t: Translator, sender: SenderFacts) -> str:
    """'📢 Siaran dari Budi, Staf Admin Kota Cimahi' (HTML) in the translator's language."""
    role = t(f"common.roles.{sender.role}")
    if sender.area:
        who = t("broadcasts.delivered.sender_in", name=sender.name, role=role, area=sender.area)
    else:
        who = t("broadcasts.delivered.sender", name=sender.name, role=role)
    return t("broadcasts.delivered.header", sender=Html(who))


def with_header(header: str, text: str) -> str:
    """The message recipients receive: the header, then the admin's text as written."""
    return f"{header}{HEADER_SEPARATOR}{text}" if text.strip() else header


def header_room(sender: SenderFacts) -> int:
    """UTF-16 units the longest header (of any language) takes from Telegram's limit."""
    longest = max(utf16_len(prepare_text(sender_header(Translator(language), sender), "HTML",
                                         caption=True)[0]) for language in LANGUAGES)
    return longest + len(HEADER_SEPARATOR)


def excerpt(text: str, *, limit: int = 80) -> str:
    """The first words of a broadcast as plain text, for lists and reminders."""
    try:
        plain, _ = prepare_text(text, "HTML", caption=True)
    except ApiError:
        plain = text
    plain = " ".join(plain.split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
