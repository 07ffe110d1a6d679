"""Small input helpers shared by the rakor and drive conversations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update

from bot.context import WilayahContext
from bot.services.dateparse import DateParseError, parse_datetime, parse_time_of_day
from handlers.common import reply
from models.officials import Official

ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def signed_in(context: WilayahContext) -> Official:
    """The official the guard loaded for this update."""
    official = context.official
    assert official is not None, "only for callbacks behind @guard"
    return official


def message_text(update: Update) -> str:
    """The text of the update's message, or an empty string."""
    message = update.effective_message
    return (message.text or "") if message is not None else ""


def read_end(text: str, context: WilayahContext, starts_at: datetime, zone: str) -> datetime:
    """'12.00' means that time on the start's day; anything else is read as a full moment."""
    try:
        at = parse_time_of_day(text)
    except DateParseError:
        return parse_datetime(text, context.clock, zone)
    local_start = starts_at.astimezone(ZoneInfo(zone))
    return datetime.combine(local_start.date(), at, tzinfo=ZoneInfo(zone))


def step_hint(key: str) -> Callable[[Update, WilayahContext], Awaitable[None]]:
    """A catch-all reply for a conversation step: what it expects; the draft stays."""

    async def hint(update: Update, context: WilayahContext) -> None:
        await reply(update, context, key)

    hint.__doc__ = "Say what this step expects; the draft stays."
    return hint
