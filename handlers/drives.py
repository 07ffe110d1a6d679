"""Perekaman e-KTP drives: /perekaman (target versus realisasi), cancelling a drive.

Creating a drive lives in `drives_create`, moving it in `drives_reschedule`, the lurah's report
in `drives_report`, texts in `drives_view`.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.i18n import Translator
from bot.policy import Action
from bot.services import drives as drive_service
from bot.services import drives_query
from bot.services.drives_query import DriveRecap
from handlers import drives_create, drives_report, drives_reschedule
from handlers.common import CommandSpec, buttons, edit_or_send, guard, reply
from handlers.drives_view import recap_text, window
from handlers.meetings_view import MAX_MESSAGE, deliver, send_long
from models.officials import Official, Role

COMMANDS = [
    CommandSpec("perekaman_baru", Action.DRIVE_CREATE, "drives.commands.perekaman_baru",
                ("new_drive",)),
    CommandSpec("perekaman", Action.DRIVE_LIST, "drives.commands.perekaman", ("drives",)),
    CommandSpec("realisasi", Action.DRIVE_REPORT, "drives.commands.realisasi",
                ("realisation",)),
]
ADMIN_ROLES = frozenset({Role.ADMIN, Role.SUPERADMIN})


def _recap_buttons(tr: Translator, recap: DriveRecap, viewer: Official,
                   now: Any) -> InlineKeyboardMarkup:
    drive = recap.drive
    assert drive.id is not None
    rows = [[(tr("meetings.buttons.refresh"), callbacks.pack("drv.rc", drive.id))]]
    if viewer.role == Role.LURAH and now >= drive.starts_at:
        rows.insert(0, [(tr("drives.buttons.report"), callbacks.pack("drv.rl", drive.id))])
    if viewer.role in ADMIN_ROLES and now < drive.ends_at:
        rows[-1].append((tr("drives.buttons.cancel_drive"), callbacks.pack("drv.cx", drive.id)))
    if viewer.role in ADMIN_ROLES and now < drive.starts_at:
        rows.append([(tr("drives.buttons.reschedule"),
                      callbacks.pack(drives_reschedule.ENTRY_KIND, drive.id))])
    return buttons(rows)


@guard(Action.DRIVE_LIST)
async def list_drives(update: Update, context: WilayahContext) -> None:
    """Each visible drive with target versus realisasi; admins see every kelurahan."""
    viewer, chat = context.official, update.effective_chat
    assert viewer is not None and chat is not None
    async with context.db.session() as session:
        drives = await drives_query.visible_drives(session, context.clock, actor=viewer)
        recaps = [await drives_query.drive_recap(session, actor=viewer, drive_id=d.id or 0)
                  for d in drives]
    if not recaps:
        await reply(update, context, "drives.list.empty")
        return
    tr, now = context.tr, context.clock.now()
    for recap in recaps:
        await send_long(context, chat.id, recap_text(tr, recap, now),
                        reply_markup=_recap_buttons(tr, recap, viewer, now))


def _drive_arg(update: Update) -> int:
    query = update.callback_query
    parsed = callbacks.parse(query.data if query else None)
    drive_id = parsed.int_arg(0) if parsed else None
    if drive_id is None:
        raise DomainError("common.errors.stale_button")
    return drive_id


@guard(Action.DRIVE_LIST)
async def on_refresh(update: Update, context: WilayahContext) -> None:
    """Perbarui: the recap as it is now."""
    viewer, query = context.official, update.callback_query
    assert viewer is not None and query is not None
    async with context.db.session() as session:
        recap = await drives_query.drive_recap(session, actor=viewer,
                                               drive_id=_drive_arg(update))
    tr, now = context.tr, context.clock.now()
    text = recap_text(tr, recap, now)
    await query.answer()
    markup = _recap_buttons(tr, recap, viewer, now)
    if len(text) <= MAX_MESSAGE:
        await edit_or_send(update, context, text, reply_markup=markup)
    else:
        await send_long(context, viewer.telegram_id, text, reply_markup=markup)


@guard(Action.DRIVE_CREATE)
async def on_cancel(update: Update, context: WilayahContext) -> None:
    """Ask before cancelling a drive."""
    actor, query = context.official, update.callback_query
    assert actor is not None and query is not None
    drive_id = _drive_arg(update)
    async with context.db.session() as session:
        drive = await drive_service.get_managed_drive(session, actor=actor, drive_id=drive_id)
    tr = context.tr
    await query.answer()
    await edit_or_send(update, context, tr("drives.cancel.confirm", when=window(tr, drive)),
                       reply_markup=buttons([
                           [(tr("drives.buttons.confirm_cancel"),
                             callbacks.pack("drv.cxy", drive_id))],
                           [(tr("common.buttons.back"), callbacks.pack("drv.rc", drive_id))]]))


@guard(Action.DRIVE_CREATE)
async def on_cancel_confirmed(update: Update, context: WilayahContext) -> None:
    """Cancel the drive; every target lurah is told."""
    actor, query = context.official, update.callback_query
    assert actor is not None and query is not None
    async with context.db.session() as session:
        drive, _, lurah = await drive_service.cancel_drive(
            session, context.clock, actor=actor, drive_id=_drive_arg(update),
            rules=context.settings.reminders)
    await query.answer()
    told = 0
    for people in lurah.values():
        for official in people:
            tr = Translator(official.language)
            told += await deliver(context, official, tr("drives.notice.cancelled",
                                                        when=window(tr, drive))) is not None
    await edit_or_send(update, context, context.tr("drives.cancel.done", count=told))


def register(app: Any) -> None:
    """Creating, moving, listing, reporting and cancelling drives."""
    drives_create.register(app)
    drives_reschedule.register(app)
    drives_report.register(app)
    app.add_handler(CommandHandler(["perekaman", "drives"], list_drives))
    app.add_handler(CallbackQueryHandler(on_refresh, pattern=callbacks.pattern("drv.rc")))
    app.add_handler(CallbackQueryHandler(on_cancel, pattern=callbacks.pattern("drv.cx")))
    app.add_handler(CallbackQueryHandler(on_cancel_confirmed,
                                         pattern=callbacks.pattern("drv.cxy")))
