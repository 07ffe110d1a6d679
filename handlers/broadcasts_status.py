"""/siaran_status, the cancel button, "Sudah dibaca", and who has read a broadcast."""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.i18n import Html, Translator
from bot.policy import Action
from bot.services import broadcasts as service
from bot.services.broadcasts_format import excerpt
from handlers.common import CommandSpec, buttons, edit_or_send, guard, refuse, send_html
from models.broadcasts import BroadcastStatus
from models.officials import Official
from scheduler.alarm import scheduler_of
from scheduler.broadcast_report import ACK, ACKS, CANCEL, REMIND, progress_text

COMMANDS = [
    CommandSpec("siaran_status", Action.BROADCAST, "broadcasts.commands.siaran_status",
                ("broadcast_status",)),
]
NAMES_SHOWN = 30


def _pressed(update: Update, context: WilayahContext) -> tuple[CallbackQuery, Official, int]:
    """The press, the presser and the broadcast its button names (no id: a stale button)."""
    query, official = update.callback_query, context.official
    assert query is not None and official is not None
    data = callbacks.parse(query.data)
    broadcast_id = data.int_arg(0) if data else None
    if broadcast_id is None:
        raise DomainError("common.errors.stale_button")
    return query, official, broadcast_id


@guard(Action.BROADCAST)
async def show_status(update: Update, context: WilayahContext) -> None:
    """The latest broadcasts in the admin's area with their figures."""
    official = context.official
    assert official is not None
    tr = context.tr
    async with context.db.session() as session:
        recent = await service.recent_broadcasts(session, actor=official)
    if not recent:
        await send_html(update, context, tr("broadcasts.status.empty"))
        return
    lines = [tr("broadcasts.status.title")]
    rows: list[list[tuple[str, str]]] = []
    for broadcast, figures in recent:
        assert broadcast.id is not None
        lines.append(tr("broadcasts.status.item", progress=Html(progress_text(
            tr, broadcast, figures)), excerpt=excerpt(broadcast.text, limit=60)))
        row = []
        if broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
            row.append((tr("broadcasts.buttons.cancel_id", id=broadcast.id),
                        callbacks.pack(CANCEL, broadcast.id)))
        if broadcast.ask_ack:
            row.append((tr("broadcasts.buttons.acks_id", id=broadcast.id),
                        callbacks.pack(ACKS, broadcast.id)))
        if row:
            rows.append(row)
    await send_html(update, context, "\n\n".join(lines),
                    reply_markup=buttons(rows) if rows else None)


@guard(Action.BROADCAST)
async def on_cancel(update: Update, context: WilayahContext) -> None:
    """Stop a broadcast; the worker finishes the progress message and sends the report."""
    query, official, broadcast_id = _pressed(update, context)
    async with context.db.session() as session:
        await service.cancel_broadcast(session, context.clock, broadcast_id=broadcast_id,
                                       actor=official)
    # only a popup: the progress message belongs to the worker, which edits it and reports
    await query.answer(context.tr("broadcasts.status.cancelled_popup", id=broadcast_id))
    scheduler = scheduler_of(context.application)
    if scheduler is not None:
        scheduler.broadcasts.poke()


@guard(Action.BROADCAST_ACK)
async def on_ack(update: Update, context: WilayahContext) -> None:
    """"Sudah dibaca": recorded once; the button then disappears."""
    query, official, broadcast_id = _pressed(update, context)
    async with context.db.session() as session:
        first = await service.acknowledge(session, context.clock, broadcast_id=broadcast_id,
                                          official=official)
    key = "broadcasts.ack.thanks" if first else "broadcasts.ack.already"
    await query.answer(context.tr(key))
    with contextlib.suppress(TelegramError):  # already without buttons (pressed twice quickly)
        await query.edit_message_reply_markup(reply_markup=None)


@guard(Action.BROADCAST)
async def on_acks(update: Update, context: WilayahContext) -> None:
    """Who has read it, who has not yet; a button to remind the rest."""
    query, official, broadcast_id = _pressed(update, context)
    async with context.db.session() as session:
        broadcast = await service.get_broadcast(session, broadcast_id)
        acks = await service.acknowledgements(session, broadcast_id=broadcast_id, actor=official)
    if not broadcast.ask_ack:
        await refuse(update, context, "broadcasts.errors.no_ack_requested")
        return
    await query.answer()
    tr = context.tr
    text = tr("broadcasts.acks.title", id=broadcast_id, acked=len(acks.acked),
              waiting=len(acks.waiting))
    if acks.acked:
        text += "\n\n" + tr("broadcasts.acks.read", names=_names(
            [o.full_name for o, _ in acks.acked], tr))
    if acks.waiting:
        text += "\n\n" + tr("broadcasts.acks.unread", names=_names(
            [o.full_name for o in acks.waiting], tr))
    markup = buttons([[(tr("broadcasts.buttons.remind", count=len(acks.waiting)),
                        callbacks.pack(REMIND, broadcast_id))]]) if acks.waiting else None
    await send_html(update, context, text, reply_markup=markup)


def _names(names: list[str], tr: Translator) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown += " " + tr("broadcasts.acks.more", count=len(names) - NAMES_SHOWN)
    return shown


@guard(Action.BROADCAST)
async def on_remind(update: Update, context: WilayahContext) -> None:
    """Send everyone who has not confirmed a reminder with the "Sudah dibaca" button."""
    query, official, broadcast_id = _pressed(update, context)
    async with context.db.session() as session:
        count = await service.remind_unacknowledged(session, context.clock,
                                                    broadcast_id=broadcast_id, actor=official)
    await query.answer()
    await edit_or_send(update, context, context.tr("broadcasts.acks.reminded", count=count))
    scheduler = scheduler_of(context.application)
    if scheduler is not None:
        scheduler.alarm.arm(context.clock.now())


def register(app: Any) -> None:
    app.add_handler(CommandHandler(["siaran_status", "broadcast_status"], show_status))
    app.add_handler(CallbackQueryHandler(on_cancel, pattern=callbacks.pattern(CANCEL)))
    app.add_handler(CallbackQueryHandler(on_ack, pattern=callbacks.pattern(ACK)))
    app.add_handler(CallbackQueryHandler(on_acks, pattern=callbacks.pattern(ACKS)))
    app.add_handler(CallbackQueryHandler(on_remind, pattern=callbacks.pattern(REMIND)))
