"""Changing a rakor: a new time (answers reset), a new venue, and the notulen afterwards."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.i18n import Html, Translator
from bot.policy import Action
from bot.services import meetings as meeting_service
from bot.services import meetings_rules
from handlers.common import buttons, cancel_handlers, edit_or_send, guard, reply
from handlers.meetings_input import (
    message_text,
    signed_in,
    step_hint,
    take_end,
    take_start,
)
from handlers.meetings_view import refresh_invitation, send_invitation
from models.meetings import Meeting
from models.officials import Official

NEW_START, NEW_END, CONFIRM, VENUE_TEXT, VENUE_PIN, MINUTES = range(6)
DRAFT = "draft_meeting_change"
KIND = "mtgc"
log = logging.getLogger(__name__)


def _draft(context: WilayahContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})


async def _meeting(context: WilayahContext, meeting_id: int) -> Meeting:
    async with context.db.session() as session:
        return await meeting_service.changeable_meeting(
            session, actor=signed_in(context), meeting_id=meeting_id,
            now=context.clock.now())


def _entry_meeting_id(update: Update) -> int:
    query = update.callback_query
    parsed = callbacks.parse(query.data if query else None)
    meeting_id = parsed.int_arg(0) if parsed else None
    if meeting_id is None:
        raise DomainError("common.errors.stale_button")
    return meeting_id


@guard(Action.MEETING_MANAGE)
async def start_reschedule(update: Update, context: WilayahContext) -> int:
    """Ubah jadwal: ask the new start."""
    meeting = await _meeting(context, _entry_meeting_id(update))
    assert update.callback_query is not None
    await update.callback_query.answer()
    context.user_data[DRAFT] = {"meeting_id": meeting.id}
    await reply(update, context, "meetings.change.ask_start", title=meeting.title,
                current=Html(context.tr.datetime(meeting.starts_at, meeting.timezone)))
    return NEW_START


@guard(Action.MEETING_MANAGE)
async def on_new_start(update: Update, context: WilayahContext) -> int:
    """The new start, read in the meeting's time zone."""
    draft = _draft(context)
    meeting = await _meeting(context, draft["meeting_id"])
    now = context.clock.now()
    await take_start(update, context, draft, meeting.timezone,
                     check=lambda starts_at: meetings_rules.check_start(now, starts_at),
                     ask_end="meetings.change.ask_end")
    return NEW_END


@guard(Action.MEETING_MANAGE)
async def on_new_end(update: Update, context: WilayahContext) -> int:
    """The new end; then ask to confirm."""
    draft = _draft(context)
    meeting = await _meeting(context, draft["meeting_id"])
    starts_at, ends_at = take_end(update, context, draft, meeting.timezone,
                                  check=meetings_rules.check_end)
    tr = context.tr
    await reply(update, context, "meetings.change.confirm_reschedule", title=meeting.title,
                start=Html(tr.datetime(starts_at, meeting.timezone)),
                end=tr.time(ends_at, meeting.timezone),
                reply_markup=buttons([[(tr("meetings.buttons.save_and_notify"),
                                        callbacks.pack(KIND, "save"))],
                                      [(tr("meetings.buttons.discard"),
                                        callbacks.pack(KIND, "discard"))]]))
    return CONFIRM


@guard(Action.MEETING_MANAGE)
async def on_confirm(update: Update, context: WilayahContext) -> int | None:
    """Save the new time; everyone gets the invitation again and must confirm again."""
    query = update.callback_query
    assert query is not None
    parsed = callbacks.parse(query.data)
    draft = _draft(context)
    action = parsed.arg(0) if parsed else ""
    if action == "discard":
        return await _discard(update, context)
    if action != "save" or "ends_at" not in draft:
        raise DomainError("common.errors.stale_button")
    async with context.db.session() as session:
        meeting, rows = await meeting_service.reschedule_meeting(
            session, context.clock, actor=signed_in(context),
            meeting_id=draft["meeting_id"], starts_at=datetime.fromisoformat(draft["starts_at"]),
            ends_at=datetime.fromisoformat(draft["ends_at"]), rules=context.settings.reminders)
    await query.answer()
    context.user_data.pop(DRAFT, None)
    sent = 0
    for invite, official in rows:
        await refresh_invitation(context, meeting, invite, official)
        sent += await send_invitation(context, meeting, invite, official,
                                      header="meetings.render.rescheduled_header")
    await edit_or_send(update, context, context.tr("meetings.change.rescheduled", count=sent,
                                                   total=len(rows)))
    return ConversationHandler.END


async def _discard(update: Update, context: WilayahContext) -> int:
    assert update.callback_query is not None
    await update.callback_query.answer()
    context.user_data.pop(DRAFT, None)
    await edit_or_send(update, context, context.tr("meetings.change.discarded"))
    return ConversationHandler.END


@guard(Action.MEETING_MANAGE)
async def start_venue(update: Update, context: WilayahContext) -> int:
    """Ubah tempat: ask the new venue."""
    meeting = await _meeting(context, _entry_meeting_id(update))
    assert update.callback_query is not None
    await update.callback_query.answer()
    context.user_data[DRAFT] = {"meeting_id": meeting.id}
    await reply(update, context, "meetings.change.ask_venue", title=meeting.title,
                current=meeting.venue)
    return VENUE_TEXT


@guard(Action.MEETING_MANAGE)
async def on_venue_text(update: Update, context: WilayahContext) -> int:
    """The new venue in words; a pin may follow."""
    _draft(context)["venue"] = meetings_rules.check_venue(message_text(update))
    await reply(update, context, "meetings.create.ask_pin", reply_markup=buttons([[
        (context.tr("common.buttons.skip"), callbacks.pack(KIND, "skip_pin"))]]))
    return VENUE_PIN


@guard(Action.MEETING_MANAGE)
async def on_venue_pin(update: Update, context: WilayahContext) -> int | None:
    """The new venue's pin; save and tell everyone."""
    message = update.effective_message
    assert message is not None and message.location is not None
    return await _save_venue(update, context, message.location.latitude,
                             message.location.longitude)


@guard(Action.MEETING_MANAGE)
async def on_venue_skip(update: Update, context: WilayahContext) -> int | None:
    """No pin; save and tell everyone."""
    query = update.callback_query
    assert query is not None
    parsed = callbacks.parse(query.data)
    if parsed is None or parsed.arg(0) != "skip_pin" or "venue" not in _draft(context):
        raise DomainError("common.errors.stale_button")
    await query.answer()
    return await _save_venue(update, context, None, None)


async def _save_venue(update: Update, context: WilayahContext, latitude: float | None,
                      longitude: float | None) -> int:
    draft = _draft(context)
    async with context.db.session() as session:
        meeting, rows = await meeting_service.change_venue(
            session, context.clock, actor=signed_in(context),
            meeting_id=draft["meeting_id"], venue=draft["venue"], latitude=latitude,
            longitude=longitude)
    context.user_data.pop(DRAFT, None)
    sent = 0
    for invite, official in rows:
        await refresh_invitation(context, meeting, invite, official)
        sent += await send_invitation(context, meeting, invite, official,
                                      header="meetings.render.venue_header")
    await reply(update, context, "meetings.change.venue_changed", venue=meeting.venue,
                count=sent, total=len(rows))
    return ConversationHandler.END


@guard(Action.MEETING_MANAGE)
async def start_minutes(update: Update, context: WilayahContext) -> int:
    """Lampirkan notulen: ask for the PDF."""
    meeting_id = _entry_meeting_id(update)
    async with context.db.session() as session:
        meeting = await meeting_service.get_managed_meeting(
            session, actor=signed_in(context), meeting_id=meeting_id)
    if context.clock.now() < meeting.starts_at:
        raise DomainError("meetings.errors.minutes_too_early")
    assert update.callback_query is not None
    await update.callback_query.answer()
    context.user_data[DRAFT] = {"meeting_id": meeting_id}
    await reply(update, context, "meetings.change.ask_minutes", title=meeting.title)
    return MINUTES


@guard(Action.MEETING_MANAGE)
async def on_minutes(update: Update, context: WilayahContext) -> int:
    """Keep the PDF and send it to every invitee."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    async with context.db.session() as session:
        meeting, rows = await meeting_service.attach_minutes(
            session, context.clock, actor=signed_in(context),
            meeting_id=_draft(context)["meeting_id"], file_id=document.file_id,
            file_name=document.file_name, mime_type=document.mime_type)
    context.user_data.pop(DRAFT, None)
    sent = 0
    for _invite, official in rows:
        sent += await _send_minutes(context, meeting, official, document.file_id)
    await reply(update, context, "meetings.change.minutes_sent", count=sent, total=len(rows))
    return ConversationHandler.END


async def _send_minutes(context: WilayahContext, meeting: Meeting, official: Official,
                        file_id: str) -> bool:
    tr = Translator(official.language)
    try:
        await context.bot.send_document(
            official.telegram_id, file_id, caption=tr("meetings.notice.minutes",
                                                      title=meeting.title),
            parse_mode=ParseMode.HTML)
        return True
    except TelegramError as error:
        log.warning("notulen not delivered",
                    extra={"official_id": official.id, "error": type(error).__name__})
        return False


def register(app: Any) -> None:
    """The conversation for rescheduling, a new venue and the notulen."""
    text = filters.TEXT & ~filters.COMMAND

    def other(step: str) -> MessageHandler[Any, Any]:
        return MessageHandler(~filters.COMMAND, step_hint(f"meetings.change.hint.{step}"))

    button = CallbackQueryHandler
    app.add_handler(ConversationHandler(
        name="meetings_change",
        persistent=True,
        entry_points=[button(start_reschedule, pattern=callbacks.pattern("mtg.rs")),
                      button(start_venue, pattern=callbacks.pattern("mtg.vn")),
                      button(start_minutes, pattern=callbacks.pattern("mtg.nt"))],
        states={
            NEW_START: [MessageHandler(text, on_new_start), other("start")],
            NEW_END: [MessageHandler(text, on_new_end), other("end")],
            CONFIRM: [button(on_confirm, pattern=callbacks.pattern(KIND)), other("confirm")],
            VENUE_TEXT: [MessageHandler(text, on_venue_text), other("venue")],
            VENUE_PIN: [MessageHandler(filters.LOCATION, on_venue_pin),
                        button(on_venue_skip, pattern=callbacks.pattern(KIND)), other("pin")],
            MINUTES: [MessageHandler(filters.Document.ALL, on_minutes), other("minutes")],
        },
        fallbacks=[*cancel_handlers()],
        allow_reentry=True,
    ))
