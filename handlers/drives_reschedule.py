"""Ubah jadwal: an admin moves a drive; the reminders follow and every target lurah is told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.i18n import Html
from bot.policy import Action
from bot.services import drives as drive_service
from handlers.common import buttons, cancel_handlers, edit_or_send, guard, reply
from handlers.drives_view import send_schedules, window, window_of
from handlers.meetings_input import (
    ZONE_ABBREVIATIONS,
    signed_in,
    step_hint,
    take_end,
    take_start,
)
from models.drives import Drive
from models.regions import Region

NEW_START, NEW_END, CONFIRM = range(3)
DRAFT = "draft_drive_reschedule"
ENTRY_KIND = "drv.mv"
KIND = "drvm"


def _draft(context: WilayahContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})


async def _drive(context: WilayahContext, drive_id: int) -> Drive:
    async with context.db.session() as session:
        return await drive_service.open_drive(session, actor=signed_in(context),
                                              drive_id=drive_id)


@guard(Action.DRIVE_CREATE)
async def start(update: Update, context: WilayahContext) -> int:
    """Ubah jadwal under a drive's recap: ask the new start, as when planning it."""
    query = update.callback_query
    parsed = callbacks.parse(query.data if query else None)
    drive_id = parsed.int_arg(0) if parsed else None
    if query is None or drive_id is None:
        raise DomainError("common.errors.stale_button")
    drive = await _drive(context, drive_id)
    await query.answer()
    context.user_data[DRAFT] = {"drive_id": drive_id}
    await reply(update, context, "drives.reschedule.ask_start",
                when=Html(window(context.tr, drive)), zone=ZONE_ABBREVIATIONS[drive.timezone])
    return NEW_START


@guard(Action.DRIVE_CREATE)
async def on_new_start(update: Update, context: WilayahContext) -> int:
    """The new start, read in the drive's own time zone."""
    draft = _draft(context)
    drive = await _drive(context, draft["drive_id"])
    now = context.clock.now()
    await take_start(update, context, draft, drive.timezone,
                     check=lambda starts_at: drive_service.check_start(now, starts_at),
                     ask_end="drives.create.ask_end")
    return NEW_END


@guard(Action.DRIVE_CREATE)
async def on_new_end(update: Update, context: WilayahContext) -> int:
    """The new end; then the old and new window side by side, to confirm."""
    draft = _draft(context)
    drive = await _drive(context, draft["drive_id"])
    now = context.clock.now()
    starts_at, ends_at = take_end(
        update, context, draft, drive.timezone,
        check=lambda starts_at, ends_at: drive_service.check_window(now, starts_at, ends_at))
    tr = context.tr
    await reply(update, context, "drives.reschedule.confirm", old=Html(window(tr, drive)),
                new=Html(window_of(tr, starts_at, ends_at, drive.timezone)),
                reply_markup=buttons([
                    [(tr("drives.buttons.confirm_reschedule"), callbacks.pack(KIND, "save"))],
                    [(tr("meetings.buttons.discard"), callbacks.pack(KIND, "discard"))]]))
    return CONFIRM


@guard(Action.DRIVE_CREATE)
async def on_confirm(update: Update, context: WilayahContext) -> int | None:
    """Save the new window (the reminders are planned again) and tell every target lurah."""
    query = update.callback_query
    assert query is not None
    parsed = callbacks.parse(query.data)
    draft = _draft(context)
    action = parsed.arg(0) if parsed else ""
    if action == "discard":
        await query.answer()
        context.user_data.pop(DRAFT, None)
        await edit_or_send(update, context, context.tr("drives.reschedule.discarded"))
        return ConversationHandler.END
    if action != "save" or "ends_at" not in draft:
        raise DomainError("common.errors.stale_button")
    async with context.db.session() as session:
        drive, targets, lurah = await drive_service.reschedule_drive(
            session, context.clock, actor=signed_in(context), drive_id=draft["drive_id"],
            starts_at=datetime.fromisoformat(draft["starts_at"]),
            ends_at=datetime.fromisoformat(draft["ends_at"]), rules=context.settings.reminders)
        regions = {t.region_code: await session.get(Region, t.region_code) for t in targets}
    await query.answer()
    context.user_data.pop(DRAFT, None)
    reached, _ = await send_schedules(context, drive, targets, lurah, regions,
                                      header="drives.notice.rescheduled_header")
    await edit_or_send(update, context, context.tr(
        "drives.reschedule.done", when=Html(window(context.tr, drive)), count=reached))
    return ConversationHandler.END


def register(app: Any) -> None:
    """The Ubah jadwal conversation."""
    text = filters.TEXT & ~filters.COMMAND

    def other(key: str) -> MessageHandler[Any, Any]:
        return MessageHandler(~filters.COMMAND, step_hint(key))

    app.add_handler(ConversationHandler(
        name="drives_reschedule",
        persistent=True,
        entry_points=[CallbackQueryHandler(start, pattern=callbacks.pattern(ENTRY_KIND))],
        states={
            NEW_START: [MessageHandler(text, on_new_start), other("drives.create.hint.start")],
            NEW_END: [MessageHandler(text, on_new_end), other("drives.create.hint.end")],
            CONFIRM: [CallbackQueryHandler(on_confirm, pattern=callbacks.pattern(KIND)),
                      other("drives.reschedule.hint")],
        },
        fallbacks=[*cancel_handlers()],
        allow_reentry=True,
    ))
