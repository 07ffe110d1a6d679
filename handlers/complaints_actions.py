"""Search and status changes that need typing (closing note, agency name), in the /aduan flow."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError, InvalidInput
from bot.policy import Action
from bot.services import complaints as complaint_service
from bot.services import complaints_rules as rules_
from handlers import complaints_render as render
from handlers import complaints_view as view
from handlers.common import guard, refuse, reply
from models.complaints import ComplaintStatus, ForwardTarget

# the recording steps use 0..8 (handlers.complaints); these two states follow them
NOTE, SEARCH = 9, 10
DRAFT = "draft_complaint"
NOTE_DRAFT = "draft_complaint_note"
NOTE_TARGETS = {"selesai": ComplaintStatus.SELESAI, "ditolak": ComplaintStatus.DITOLAK,
                "opd": ComplaintStatus.DITERUSKAN}


def _text(update: Update) -> str:
    return (update.effective_message.text or "") if update.effective_message else ""


def _busy_recording(context: WilayahContext) -> bool:
    draft = context.user_data.get(DRAFT)
    return bool(draft and draft.get("step"))


@guard(Action.COMPLAINT_LIST)
async def on_find(update: Update, context: WilayahContext) -> int | None:
    """🔎 Cari: ask for a ticket number, a NIK or a name."""
    if _busy_recording(context):
        await refuse(update, context, "complaints.flow.finish_first")
        return None
    assert update.callback_query is not None
    await update.callback_query.answer()
    await reply(update, context, "complaints.ask.search")
    return SEARCH


@guard(Action.COMPLAINT_LIST)
async def search_command(update: Update, context: WilayahContext) -> int | None:
    """/cari_aduan [ticket, NIK or name]."""
    if _busy_recording(context):
        await refuse(update, context, "complaints.flow.finish_first")
        return None
    if not context.args:
        await reply(update, context, "complaints.ask.search")
        return SEARCH
    return await _search(update, context, " ".join(context.args))


@guard(Action.COMPLAINT_LIST)
async def on_search_text(update: Update, context: WilayahContext) -> int:
    """The search words."""
    return await _search(update, context, _text(update))


async def _search(update: Update, context: WilayahContext, text: str) -> int:
    try:
        await view.show_search_results(update, context, text)
    except InvalidInput as error:
        await reply(update, context, error.key, **error.values)
        return SEARCH
    return ConversationHandler.END


@guard(Action.COMPLAINT_HANDLE)
async def on_note_button(update: Update, context: WilayahContext) -> int | None:
    """Selesai, Tolak or forward to an agency: these need a typed note or agency name."""
    query = update.callback_query
    actor = context.official
    assert query is not None and actor is not None
    if _busy_recording(context):
        await refuse(update, context, "complaints.flow.finish_first")
        return None
    data = callbacks.parse(query.data)
    complaint_id = data.int_arg(0) if data else None
    target, seen = (data.arg(1), data.arg(2)) if data else ("", "")
    if complaint_id is None or target not in NOTE_TARGETS:
        await refuse(update, context, "common.errors.stale_button")
        return None
    rules = context.settings.complaints
    async with context.db.session() as session:
        complaint = await complaint_service.load_visible(
            session, viewer=actor, complaint_id=complaint_id, rules=rules)
    if complaint.status != seen:
        await refuse(update, context, "complaints.errors.stale", ticket=complaint.ticket)
        return None
    rules_.check_transition(ComplaintStatus(complaint.status), NOTE_TARGETS[target])
    await query.answer()
    context.user_data[NOTE_DRAFT] = {"id": complaint_id, "target": target, "seen": seen}
    await reply(update, context, f"complaints.ask.note_{target}", ticket=complaint.ticket)
    return NOTE


@guard(Action.COMPLAINT_HANDLE)
async def on_note_text(update: Update, context: WilayahContext) -> int:
    """The closing note, the reason for refusing, or the agency's name."""
    actor = context.official
    assert actor is not None
    note = context.user_data.get(NOTE_DRAFT)
    if not note:
        return ConversationHandler.END
    target = note["target"]
    text = _text(update)
    try:
        async with context.db.session() as session:
            complaint = await complaint_service.change_status(
                session, context.clock, actor=actor, complaint_id=note["id"],
                target=NOTE_TARGETS[target], rules=context.settings.complaints,
                note=None if target == "opd" else text,
                agency=text if target == "opd" else None,
                forward_to=ForwardTarget.AGENCY if target == "opd" else None,
                expected_status=ComplaintStatus(note["seen"]))
            audience = await complaint_service.people_to_tell(session, complaint, actor=actor)
    except InvalidInput as error:
        await reply(update, context, error.key, **error.values)
        return NOTE
    except DomainError as error:
        context.user_data.pop(NOTE_DRAFT, None)
        await refuse(update, context, error.key, **error.values)
        return ConversationHandler.END
    context.user_data.pop(NOTE_DRAFT, None)
    await reply(update, context, "complaints.status_changed.done", ticket=complaint.ticket,
                status=render.status_label(context.tr, complaint.status))
    await view.show_detail(update, context, note["id"], edit=False)
    await view.tell_about_change(context, complaint, actor, audience)
    return ConversationHandler.END
