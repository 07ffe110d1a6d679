"""/aduan: record a citizen complaint step by step; search and status notes share the flow.

Search and the typed status notes live in handlers.complaints_actions; lists, the detail
view and buttons that need no typing in handlers.complaints_view.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
from bot.errors import InvalidInput
from bot.i18n import Translator
from bot.policy import Action
from bot.services import complaints as complaint_service
from bot.services import complaints_rules as rules_
from handlers import complaints_render as render
from handlers import complaints_view as view
from handlers.complaints_actions import (
    DRAFT,
    NOTE,
    NOTE_DRAFT,
    SEARCH,
    on_find,
    on_note_button,
    on_note_text,
    on_search_text,
    search_command,
)
from handlers.common import (
    CommandSpec,
    buttons,
    cancel_handlers,
    edit_or_send,
    guard,
    notify,
    refuse,
    reply,
    send_html,
)
from models.complaints import ComplaintCategory, ComplaintChannel

NAME, PHONE, NIK, CHANNEL, CATEGORY, DESCRIPTION, LOCATION, PHOTOS, CONFIRM = range(9)
STEPS = ("name", "phone", "nik", "channel", "category", "description", "location", "photos")
STATE_OF = dict(zip(STEPS, (NAME, PHONE, NIK, CHANNEL, CATEGORY, DESCRIPTION, LOCATION, PHOTOS),
                    strict=True))
SKIPPABLE = ("phone", "nik", "location", "photos")
KIND_NEW = "adu.new"
KIND_SKIP = "adu.skip"
KIND_CHANNEL = "adu.ch"
KIND_CATEGORY = "adu.cat"
KIND_CONFIRM = "adu.ok"

COMMANDS = [
    CommandSpec("aduan", Action.COMPLAINT_RECORD, "complaints.commands.aduan", ("complaint",)),
    CommandSpec("aduan_saya", Action.COMPLAINT_LIST, "complaints.commands.aduan_saya",
                ("my_complaints",)),
    CommandSpec("cari_aduan", Action.COMPLAINT_LIST, "complaints.commands.cari_aduan",
                ("find_complaint",)),
    CommandSpec("audit", Action.AUDIT_READ, "complaints.commands.audit"),
]


def _draft(context: WilayahContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {"photos": []})


def _text(update: Update) -> str:
    return (update.effective_message.text or "") if update.effective_message else ""


@guard(Action.COMPLAINT_RECORD)
async def start(update: Update, context: WilayahContext) -> int:
    """/aduan: resume an unfinished complaint, or offer to record, list or search."""
    draft = context.user_data.get(DRAFT)
    if draft and draft.get("step"):
        await reply(update, context, "complaints.flow.resume")
        return await _ask(update, context, draft["step"])
    context.user_data.pop(NOTE_DRAFT, None)
    tr = context.tr
    await reply(update, context, "complaints.menu.body", reply_markup=buttons([
        [(tr("complaints.buttons.new"), callbacks.pack(KIND_NEW))],
        [(tr("complaints.buttons.list"), render.ListState().pack())],
        [(tr("complaints.buttons.search"), callbacks.pack(render.KIND_FIND))]]))
    return ConversationHandler.END


@guard(Action.COMPLAINT_RECORD)
async def on_new(update: Update, context: WilayahContext) -> int:
    """Catat pengaduan baru: start an empty draft."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    context.user_data.pop(NOTE_DRAFT, None)
    context.user_data[DRAFT] = {"photos": []}
    return await _ask(update, context, "name")


async def _ask(update: Update, context: WilayahContext, step: str) -> int:
    """Ask one question of the form (or show the summary) and remember where we are."""
    draft = _draft(context)
    draft["step"] = step
    tr = context.tr
    if step == "summary":
        return await _show_summary(update, context)
    markup = None
    if step in SKIPPABLE:
        label = "complaints.buttons.done" if step == "photos" and draft["photos"] \
            else "complaints.buttons.skip"
        markup = buttons([[(tr(label), callbacks.pack(KIND_SKIP, step))]])
    elif step == "channel":
        markup = buttons(render.channel_rows(tr, KIND_CHANNEL))
    elif step == "category":
        markup = buttons(render.category_rows(tr, KIND_CATEGORY))
    await reply(update, context, f"complaints.ask.{step}", reply_markup=markup,
                limit=rules_.MAX_DESCRIPTION, maximum=rules_.MAX_PHOTOS)
    return STATE_OF[step]


async def _next(update: Update, context: WilayahContext, step: str) -> int:
    """After an answer: the following question, or back to the summary when editing."""
    draft = _draft(context)
    if draft.get("reviewing"):
        return await _ask(update, context, "summary")
    return await _ask(update, context, STEPS[STEPS.index(step) + 1] if step != STEPS[-1]
                      else "summary")


def _text_step(step: str, check: Callable[[str], str]) -> Callable[..., Awaitable[int]]:
    """A handler that checks the typed answer; a bad one is explained and asked again."""

    @guard(Action.COMPLAINT_RECORD)
    async def on_answer(update: Update, context: WilayahContext) -> int:
        try:
            value = check(_text(update))
        except InvalidInput as error:
            await reply(update, context, error.key, **error.values)
            return STATE_OF[step]
        draft = _draft(context)
        draft[step] = value
        if step == "location":
            draft.pop("lat", None)
            draft.pop("lon", None)
        return await _next(update, context, step)

    on_answer.__doc__ = f"The {step} of the citizen's complaint."
    return on_answer


on_name = _text_step("name", rules_.check_citizen_name)
on_phone = _text_step("phone", rules_.check_phone)
on_nik = _text_step("nik", rules_.check_nik)
on_description = _text_step("description", rules_.check_description)
on_location_text = _text_step("location", rules_.check_location)


def _button_step(step: str, kind: str, values: set[str]) -> Callable[..., Awaitable[int | None]]:
    """A handler for a choice button of the current step; old or forged presses are refused."""

    @guard(Action.COMPLAINT_RECORD)
    async def on_choice(update: Update, context: WilayahContext) -> int | None:
        query = update.callback_query
        assert query is not None
        data = callbacks.parse(query.data)
        draft = context.user_data.get(DRAFT)
        if data is None or data.kind != kind or data.arg(0) not in values or not draft \
                or draft.get("step") != step:
            await refuse(update, context, "common.errors.stale_button")
            return None
        await query.answer(context.tr(f"complaints.{step}.{data.arg(0)}"))
        draft[step] = data.arg(0)
        return await _next(update, context, step)

    on_choice.__doc__ = f"The {step} chosen from the buttons."
    return on_choice


on_channel = _button_step("channel", KIND_CHANNEL, {c.value for c in ComplaintChannel})
on_category = _button_step("category", KIND_CATEGORY, {c.value for c in ComplaintCategory})


@guard(Action.COMPLAINT_RECORD)
async def on_skip(update: Update, context: WilayahContext) -> int | None:
    """Lewati (or Selesai for photos): leave an optional answer empty."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    draft = context.user_data.get(DRAFT)
    step = data.arg(0) if data else ""
    if not draft or step not in SKIPPABLE or draft.get("step") != step:
        await refuse(update, context, "common.errors.stale_button")
        return None
    await query.answer()
    if step != "photos":
        draft.pop(step, None)
    if step == "location":
        draft.pop("lat", None)
        draft.pop("lon", None)
    return await _next(update, context, step)


@guard(Action.COMPLAINT_RECORD)
async def on_location_shared(update: Update, context: WilayahContext) -> int:
    """A location shared from the map."""
    message = update.effective_message
    assert message is not None and message.location is not None
    draft = _draft(context)
    draft.update(lat=message.location.latitude, lon=message.location.longitude)
    draft.pop("location", None)
    return await _next(update, context, "location")


@guard(Action.COMPLAINT_RECORD)
async def on_photo(update: Update, context: WilayahContext) -> int:
    """A photo of the problem; up to the limit, then on to the summary."""
    message = update.effective_message
    assert message is not None and message.photo
    draft = _draft(context)
    largest = message.photo[-1]
    draft["photos"].append([largest.file_id, largest.file_unique_id])
    count = len(draft["photos"])
    if count >= rules_.MAX_PHOTOS:
        await reply(update, context, "complaints.photos.full", maximum=rules_.MAX_PHOTOS)
        return await _next(update, context, "photos")
    tr = context.tr
    await reply(update, context, "complaints.photos.received", count=count,
                maximum=rules_.MAX_PHOTOS, reply_markup=buttons(
                    [[(tr("complaints.buttons.done"), callbacks.pack(KIND_SKIP, "photos"))]]))
    return PHOTOS


async def _show_summary(update: Update, context: WilayahContext) -> int:
    draft = _draft(context)
    draft["reviewing"] = True
    tr = context.tr
    await send_html(update, context, render.summary_text(tr, draft), reply_markup=buttons([
        [(tr("complaints.buttons.send"), callbacks.pack(KIND_CONFIRM, "send"))],
        [(tr("complaints.buttons.edit"), callbacks.pack(KIND_CONFIRM, "edit")),
         (tr("complaints.buttons.cancel"), callbacks.pack(KIND_CONFIRM, "cancel"))]]))
    return CONFIRM


@guard(Action.COMPLAINT_RECORD)
async def on_confirm(update: Update, context: WilayahContext) -> int | None:
    """Kirim, Ubah (choose what to change) or Batal."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    draft = context.user_data.get(DRAFT)
    action = data.arg(0) if data else ""
    tr = context.tr
    if not draft or draft.get("step") != "summary":
        await refuse(update, context, "common.errors.stale_button")
        return None
    if action == "edit":
        await query.answer()
        await edit_or_send(update, context, tr("complaints.ask.edit"), reply_markup=buttons(
            [[(tr(f"complaints.fields.{step}"), callbacks.pack(KIND_CONFIRM, "change", step))]
             for step in STEPS]))
        return CONFIRM
    if action == "change" and data is not None and data.arg(1) in STEPS:
        await query.answer()
        if data.arg(1) == "photos":
            draft["photos"] = []
        return await _ask(update, context, data.arg(1))
    if action == "cancel":
        await query.answer()
        context.user_data.pop(DRAFT, None)
        await edit_or_send(update, context, tr("common.cancel.done"))
        return ConversationHandler.END
    if action != "send":
        await refuse(update, context, "common.errors.stale_button")
        return None
    return await _submit(update, context, draft)


async def _submit(update: Update, context: WilayahContext, draft: dict[str, Any]) -> int:
    recorder = context.official
    assert recorder is not None and update.callback_query is not None
    entry = complaint_service.ComplaintDraft(
        citizen_name=draft.get("name", ""), channel=ComplaintChannel(draft["channel"]),
        category=ComplaintCategory(draft["category"]), description=draft.get("description", ""),
        citizen_phone=draft.get("phone"), citizen_nik=draft.get("nik"),
        location_text=draft.get("location"), latitude=draft.get("lat"),
        longitude=draft.get("lon"),
        photos=tuple(complaint_service.PhotoRef(*pair) for pair in draft["photos"]))
    rules = context.settings.complaints
    async with context.db.session() as session:
        complaint = await complaint_service.record_complaint(
            session, context.clock, recorder=recorder, draft=entry, rules=rules)
        admins = (await complaint_service.admins_of(session, complaint.region_code)
                  if rules_.is_sensitive(complaint.category, rules) else [])
    await update.callback_query.answer()
    context.user_data.pop(DRAFT, None)
    tr = context.tr
    await edit_or_send(update, context, tr("complaints.recorded", ticket=complaint.ticket),
                       reply_markup=buttons([[(tr("complaints.buttons.open"), callbacks.pack(
                           render.KIND_OPEN, complaint.id))]]))
    await view.send_receipt(update, context, complaint, with_hint=False)
    for admin in admins:
        admin_tr = Translator(admin.language)
        await notify(context, admin, admin_tr(
            "complaints.notify.sensitive_new", ticket=complaint.ticket,
            category=render.category_label(admin_tr, complaint.category),
            actor=recorder.full_name), reply_markup=buttons([[(
                admin_tr("complaints.buttons.open"),
                callbacks.pack(render.KIND_OPEN, complaint.id))]]))
    return ConversationHandler.END


def _hint(key: str) -> Callable[..., Awaitable[None]]:
    """Anything a step cannot use: say what it expects; the draft stays as it is."""

    @guard(Action.COMPLAINT_LIST)
    async def on_other(update: Update, context: WilayahContext) -> None:
        await reply(update, context, key, limit=rules_.MAX_DESCRIPTION,
                    maximum=rules_.MAX_PHOTOS)

    on_other.__doc__ = "Explain what this step expects."
    return on_other


def register(app: Any) -> None:
    button, text_only = CallbackQueryHandler, filters.TEXT & ~filters.COMMAND

    def other(step: str) -> MessageHandler[Any, Any]:
        return MessageHandler(~filters.COMMAND, _hint(f"complaints.hint.{step}"))

    skip = button(on_skip, pattern=callbacks.pattern(KIND_SKIP))
    conversation = ConversationHandler(
        name="complaints",
        persistent=True,
        entry_points=[
            CommandHandler(["aduan", "complaint"], start),
            CommandHandler(["cari_aduan", "find_complaint"], search_command),
            button(on_new, pattern=callbacks.pattern(KIND_NEW)),
            button(on_find, pattern=callbacks.pattern(render.KIND_FIND)),
            button(on_note_button, pattern=callbacks.pattern(render.KIND_NOTE)),
        ],
        states={
            NAME: [MessageHandler(text_only, on_name), other("name")],
            PHONE: [skip, MessageHandler(text_only, on_phone), other("phone")],
            NIK: [skip, MessageHandler(text_only, on_nik), other("nik")],
            CHANNEL: [button(on_channel, pattern=callbacks.pattern(KIND_CHANNEL)),
                      other("channel")],
            CATEGORY: [button(on_category, pattern=callbacks.pattern(KIND_CATEGORY)),
                       other("category")],
            DESCRIPTION: [MessageHandler(text_only, on_description), other("description")],
            LOCATION: [skip, MessageHandler(filters.LOCATION, on_location_shared),
                       MessageHandler(text_only, on_location_text), other("location")],
            PHOTOS: [skip, MessageHandler(filters.PHOTO, on_photo), other("photos")],
            CONFIRM: [button(on_confirm, pattern=callbacks.pattern(KIND_CONFIRM)),
                      other("summary")],
            NOTE: [MessageHandler(text_only, on_note_text), other("note")],
            SEARCH: [MessageHandler(text_only, on_search_text), other("search")],
        },
        fallbacks=[*cancel_handlers()],
        allow_reentry=True,
    )
    app.add_handler(conversation)
    view.register(app)
