"""/realisasi: the lurah reports how many residents were recorded at a drive."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import Html, Translator
from bot.policy import Action
from bot.services import drives as drive_service
from bot.services import drives_query
from handlers.common import buttons, cancel_handlers, guard, reply
from handlers.drives_view import percent, village_name, window
from handlers.meetings_input import signed_in
from handlers.meetings_view import deliver
from models.drives import Drive, DriveTarget
from models.officials import Official
from models.regions import Region

COUNT = 0
DRAFT = "draft_realisasi"


@guard(Action.DRIVE_REPORT)
async def start(update: Update, context: WilayahContext) -> int | None:
    """/realisasi: the drive waiting for a report, or a choice when there are several."""
    lurah = context.official
    assert lurah is not None
    async with context.db.session() as session:
        waiting = await drives_query.awaiting_realisasi(session, context.clock, lurah=lurah)
    if not waiting:
        await reply(update, context, "drives.report.nothing")
        return ConversationHandler.END
    if len(waiting) == 1:
        drive, _ = waiting[0]
        assert drive.id is not None
        return await _ask_count(update, context, drive.id)
    tr = context.tr
    await reply(update, context, "drives.report.choose", reply_markup=buttons([
        [(window(tr, drive)[:60], callbacks.pack("drv.rl", drive.id))] for drive, _ in waiting]))
    return ConversationHandler.END


@guard(Action.DRIVE_REPORT)
async def on_report_button(update: Update, context: WilayahContext) -> int | None:
    """'Laporkan realisasi' under a schedule or in the /realisasi choice."""
    query = update.callback_query
    assert query is not None
    parsed = callbacks.parse(query.data)
    drive_id = parsed.int_arg(0) if parsed else None
    if drive_id is None:
        raise DomainError("common.errors.stale_button")
    state = await _ask_count(update, context, drive_id)
    await query.answer()
    return state


async def _ask_count(update: Update, context: WilayahContext, drive_id: int) -> int:
    lurah = context.official
    assert lurah is not None
    async with context.db.session() as session:
        drive, target = await drive_service.ensure_can_report(session, context.clock,
                                                              actor=lurah, drive_id=drive_id)
    context.user_data[DRAFT] = {"drive_id": drive_id}
    tr = context.tr
    key = "drives.report.ask_count" if target.reported_at is None \
        else "drives.report.ask_correction"
    await reply(update, context, key, when=Html(window(tr, drive)),
                target=tr.number(target.target_count),
                reported=tr.number(target.realised_count or 0))
    return COUNT


@guard(Action.DRIVE_REPORT)
async def on_count(update: Update, context: WilayahContext) -> int | None:
    """The number recorded; stored, and the reminder for it is withdrawn."""
    draft = context.user_data.get(DRAFT) or {}
    if "drive_id" not in draft:
        return ConversationHandler.END
    message = update.effective_message
    text = (message.text or "").strip().replace(".", "") if message else ""
    if not text.isdigit():
        raise InvalidInput("drives.report.not_a_number")
    lurah = signed_in(context)
    async with context.db.session() as session:
        drive, target = await drive_service.report_realisation(
            session, context.clock, actor=lurah,
            drive_id=draft["drive_id"], count=int(text), rules=context.settings.reminders)
        organiser = await drives_query.organiser_to_tell(session, drive)
        region = await session.get(Region, target.region_code)
    context.user_data.pop(DRAFT, None)
    tr = context.tr
    realised = target.realised_count or 0
    await reply(update, context, "drives.report.saved", realised=tr.number(realised),
                target=tr.number(target.target_count),
                percent=percent(realised, target.target_count))
    if organiser is not None and region is not None:
        await _tell_organiser(context, organiser, drive, target, village_name(region), lurah)
    return ConversationHandler.END


async def _tell_organiser(context: WilayahContext, organiser: Official, drive: Drive,
                          target: DriveTarget, village: str, lurah: Official) -> None:
    """The admin who planned the drive hears each report (and each correction)."""
    tr = Translator(organiser.language)
    realised = target.realised_count or 0
    await deliver(context, organiser, tr(
        "drives.notice.realised", when=Html(window(tr, drive)), village=village,
        realised=tr.number(realised), target=tr.number(target.target_count),
        percent=percent(realised, target.target_count), lurah=lurah.full_name))


async def hint(update: Update, context: WilayahContext) -> None:
    """Anything but a number while the count is asked."""
    await reply(update, context, "drives.report.not_a_number")


def register(app: Any) -> None:
    """The /realisasi conversation, also entered by the report button."""
    app.add_handler(ConversationHandler(
        name="drives_report",
        persistent=True,
        entry_points=[CommandHandler(["realisasi", "realisation"], start),
                      CallbackQueryHandler(on_report_button,
                                           pattern=callbacks.pattern("drv.rl"))],
        states={COUNT: [MessageHandler(filters.TEXT & ~filters.COMMAND, on_count),
                        MessageHandler(~filters.COMMAND, hint)]},
        fallbacks=[*cancel_handlers()],
        allow_reentry=True,
    ))
