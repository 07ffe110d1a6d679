"""/pengingat (alias /reminders): upcoming reminders in the admin's area, with cancel."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.policy import Action
from bot.services import reminders as service
from bot.services.regions import scope_of
from handlers.common import CommandSpec, buttons, edit_or_send, guard, refuse
from scheduler.render import kind_label

COMMANDS = [
    CommandSpec("pengingat", Action.REMINDER_MANAGE, "reminders.commands.pengingat",
                ("reminders",)),
]
KIND = "rem"
PAGE_SIZE = 8


@guard(Action.REMINDER_MANAGE)
async def list_reminders(update: Update, context: WilayahContext) -> None:
    """The next reminders for officials in the admin's area."""
    await _show_page(update, context, page=0)


async def _show_page(update: Update, context: WilayahContext, *, page: int) -> None:
    official = context.official
    assert official is not None
    tr = context.tr
    scope = scope_of(official)
    default_zone = context.settings.bot.default_timezone
    async with context.db.session() as session:
        total = await service.count_upcoming_reminders(session, scope=scope)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        upcoming = await service.upcoming_reminders(session, context.clock, scope=scope,
                                                    limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    if not upcoming:
        await edit_or_send(update, context, tr("reminders.list.empty"))
        return
    lines = [tr("reminders.list.title", total=tr.number(total), page=page + 1, pages=pages)]
    rows: list[list[tuple[str, str]]] = []
    for number, item in enumerate(upcoming, start=page * PAGE_SIZE + 1):
        reminder, recipient = item.reminder, item.recipient
        zone = service.recipient_timezone(recipient.region_code, default_zone)
        lines.append(tr("reminders.list.item", number=number,
                        kind=kind_label(reminder.kind, tr), name=recipient.full_name,
                        when=tr.datetime(reminder.due_at, zone)))
        rows.append([(tr("reminders.buttons.cancel", number=number),
                      callbacks.pack(KIND, "x", reminder.id, page))])
    nav = []
    if page > 0:
        nav.append((tr("common.buttons.prev"), callbacks.pack(KIND, "p", page - 1)))
    if page < pages - 1:
        nav.append((tr("common.buttons.next"), callbacks.pack(KIND, "p", page + 1)))
    if nav:
        rows.append(nav)
    await edit_or_send(update, context, "\n".join(lines), reply_markup=buttons(rows))


@guard(Action.REMINDER_MANAGE)
async def on_button(update: Update, context: WilayahContext) -> None:
    """Turn a page, or cancel one reminder (re-checked against the admin's area)."""
    query = update.callback_query
    official = context.official
    assert query is not None and official is not None
    data = callbacks.parse(query.data)
    action = data.arg(0) if data else ""
    if data is not None and action == "p" and data.int_arg(1) is not None:
        await query.answer()
        await _show_page(update, context, page=data.int_arg(1) or 0)
        return
    reminder_id = data.int_arg(1) if data else None
    if data is None or action != "x" or reminder_id is None:
        await refuse(update, context, "common.errors.stale_button")
        return
    async with context.db.session() as session:
        await service.cancel_reminder(session, context.clock, reminder_id=reminder_id,
                                      actor=official)
    await query.answer(context.tr("reminders.list.cancelled"))
    await _show_page(update, context, page=data.int_arg(2) or 0)


def register(app: Any) -> None:
    app.add_handler(CommandHandler(["pengingat", "reminders"], list_reminders))
    app.add_handler(CallbackQueryHandler(on_button, pattern=callbacks.pattern(KIND)))
