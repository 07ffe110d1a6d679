"""Telling people about reports: the chain about a new one, the reporter about every change."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import WilayahContext
from bot.i18n import Translator
from bot.services.incidents_query import incident_detail
from bot.services.incidents_workflow import (
    can_follow_up,
    next_statuses,
    recipients_for_notification,
)
from bot.services.regions import describe
from handlers.common import notify
from handlers.incidents_render import (
    detail_text,
    follow_up_keyboard,
    notification_text,
    status_changed_text,
)
from models.incidents import Incident, IncidentStatusChange, IncidentUrgency, MediaKind
from models.officials import Official


async def announce_new_incident(context: WilayahContext, incident: Incident, reporter: Official,
                                media_kinds: Sequence[MediaKind | str]) -> int:
    """The camat, the area's admins and superadmins, each in their language; returns how
    many were reached. An emergency also brings its pin, so nobody has to open it first.
    Takes the report as just stored, so only the region and the recipients are read."""
    async with context.db.session() as session:
        region_name = await describe(session, incident.region_code)
        recipients = await recipients_for_notification(session, incident)

    async def alert(recipient: Official) -> bool:
        tr = Translator(recipient.language)
        text = notification_text(tr, incident, reporter=reporter, region_name=region_name,
                                 media_kinds=media_kinds)
        keyboard = follow_up_keyboard(tr, incident, next_statuses(recipient, incident),
                                      may_ask=can_follow_up(recipient, incident), details=True)
        if not await notify(context, recipient, text, reply_markup=keyboard):
            return False
        if incident.urgency == IncidentUrgency.DARURAT and incident.latitude is not None:
            await _send_pin(context, recipient, incident)
        return True

    # side by side, because the reporter of an emergency gets the receipt only after these
    outcomes = await asyncio.gather(*(alert(recipient) for recipient in recipients))
    return sum(outcomes)


async def _send_pin(context: WilayahContext, recipient: Official, incident: Incident) -> None:
    try:
        await context.bot.send_location(recipient.telegram_id, incident.latitude,
                                        incident.longitude)
    except TelegramError:
        pass  # the notification itself went out; the pin is a convenience


async def tell_reporter(context: WilayahContext, incident: Incident,
                        change: IncidentStatusChange, actor: Official) -> None:
    """Every change of status reaches the reporter, with who did it and the note."""
    async with context.db.session() as session:
        reporter = await session.get(Official, incident.reporter_id)
    if reporter is None:
        return
    tr = Translator(reporter.language)
    await notify(context, reporter, status_changed_text(tr, incident, change, actor))


async def render_detail(context: WilayahContext, viewer: Official, incident_id: int,
                        back: tuple[str, str] | None = None) -> tuple[str, object]:
    """The detail text and the buttons this viewer may use on it."""
    async with context.db.session() as session:
        detail = await incident_detail(session, incident_id=incident_id, viewer=viewer)
    tr = context.tr
    keyboard = follow_up_keyboard(tr, detail.incident, detail.next_statuses,
                                  may_ask=detail.can_follow_up, details=False, back=back)
    return detail_text(tr, detail), keyboard


async def send_detail(context: WilayahContext, chat_id: int, viewer: Official,
                      incident_id: int, back: tuple[str, str] | None = None) -> None:
    text, keyboard = await render_detail(context, viewer, incident_id, back)
    await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML,
                                   reply_markup=keyboard, disable_web_page_preview=True)
