"""Small input helpers shared by the rakor and drive conversations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update

from bot.context import WilayahContext
from bot.i18n import Html
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


async def take_start(update: Update, context: WilayahContext, draft: dict[str, Any], zone: str,
                     *, check: Callable[[datetime], None], ask_end: str) -> None:
    """Read the typed start in `zone`, check it, keep it in the draft and ask for the end."""
    starts_at = parse_datetime(message_text(update), context.clock, zone)
    check(starts_at)
    draft["starts_at"] = starts_at.isoformat()
    await reply(update, context, ask_end, start=Html(context.tr.datetime(starts_at, zone)))


def take_end(update: Update, context: WilayahContext, draft: dict[str, Any], zone: str, *,
             check: Callable[[datetime, datetime], None]) -> tuple[datetime, datetime]:
    """Read the typed end (a bare time: the start's day), check it and keep it in the draft;
    the start and the end."""
    starts_at = datetime.fromisoformat(draft["starts_at"])
    ends_at = read_end(message_text(update), context, starts_at, zone)
    check(starts_at, ends_at)
    draft["ends_at"] = ends_at.isoformat()
    return starts_at, ends_at


def step_hint(key: str) -> Callable[[Update, WilayahContext], Awaitable[None]]:
    """A catch-all reply for a conversation step: what it expects; the draft stays."""

    async def hint(update: Update, context: WilayahContext) -> None:
        await reply(update, context, key)

    hint.__doc__ = "Say what this step expects; the draft stays."
    return hint
