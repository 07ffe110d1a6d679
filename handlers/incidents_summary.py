"""The summary of a report: Kirim stores it and alerts the chain; Ubah reopens one step."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.policy import Action
from bot.services import incidents as service
from bot.services import officials as official_service
from handlers.common import buttons, edit_or_send, guard, refuse
from handlers.incidents_ask import (
    ASKS,
    DRAFT,
    EDITABLE_STEPS,
    KIND,
    SUMMARY,
    load_draft,
    show_summary,
)
from handlers.incidents_files import discard_draft_media
from handlers.incidents_notify import announce_new_incident
from models.incidents import IncidentUrgency


@guard(Action.INCIDENT_REPORT)
async def on_summary_button(update: Update, context: WilayahContext) -> int | None:
    """Kirim, Ubah (choose a step), Batal."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    action = data.arg(0) if data else ""
    tr = context.tr
    if action == "edit":
        await query.answer()
        rows = [[(tr(f"incidents.buttons.edit_{step}"), callbacks.pack(KIND, "chg", step))]
                for step in EDITABLE_STEPS]
        rows.append([(tr("incidents.buttons.back_to_summary"), callbacks.pack(KIND, "back"))])
        await edit_or_send(update, context, tr("incidents.report.ask_edit"),
                           reply_markup=buttons(rows))
        return SUMMARY
    if action == "chg" and data is not None and data.arg(1) in EDITABLE_STEPS:
        await query.answer()
        return await ASKS[data.arg(1)](update, context)  # the question replaces the menu
    if action == "back":
        await query.answer()
        return await show_summary(update, context)
    if action == "cancel":
        await query.answer()
        await discard_draft_media(context, context.user_data.pop(DRAFT, None))
        await edit_or_send(update, context, tr("incidents.report.cancelled"))
        return ConversationHandler.END
    if action != "send":
        await refuse(update, context, "common.errors.stale_button")
        return None
    return await _submit(update, context)


async def _submit(update: Update, context: WilayahContext) -> int:
    """Store the report, give the reporter the ticket, alert the chain (emergencies first)."""
    query = update.callback_query
    assert query is not None and context.official is not None
    draft = load_draft(context)
    async with context.db.session() as session:
        reporter = await official_service.get(session, context.official.id or 0)
        incident = await service.submit_incident(session, context.clock, reporter=reporter,
                                                 draft=draft)
    context.user_data.pop(DRAFT, None)
    await query.answer()
    receipt = context.tr("incidents.report.sent", ticket=incident.ticket)
    urgent = incident.urgency == IncidentUrgency.DARURAT
    media_kinds = [item.kind for item in draft.media]
    if urgent:
        await announce_new_incident(context, incident, reporter, media_kinds)
    await edit_or_send(update, context, receipt)
    if not urgent:
        await announce_new_incident(context, incident, reporter, media_kinds)
    return ConversationHandler.END
