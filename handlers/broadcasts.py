"""/siaran (alias /broadcast): compose a broadcast, preview it exactly, then Kirim or Batal.

Steps: who receives it → the message (text, or a photo/document with a caption; the admin's
HTML is sent as written) → preview and summary, where the send time and the read
confirmation can be set. Status, cancel and acknowledgements are in `broadcasts_status`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.policy import Action
from bot.services import broadcasts as service
from bot.services.broadcasts import BroadcastDraft
from bot.services.broadcasts_audience import (
    Audience,
    AudienceKind,
    check_audience,
    count_audience,
    officials_named,
)
from bot.services.broadcasts_format import (
    check_broadcast_html,
    header_room,
    sender_facts,
    sender_header,
    with_header,
)
from bot.services.dateparse import parse_datetime
from bot.services.regions import describe, scope_of, timezone_for
from handlers import broadcasts_audience as audience_steps
from handlers import broadcasts_status
from handlers.broadcasts_audience import AUDIENCE, OFFICIALS, REGIONS, draft_of
from handlers.common import (
    CommandSpec,
    buttons,
    cancel_handlers,
    edit_or_send,
    guard,
    load_official,
    refuse,
    reply,
    send_html,
)
from models.broadcasts import BroadcastContent
from models.officials import Official
from scheduler.alarm import scheduler_of

COMMANDS = [
    CommandSpec("siaran", Action.BROADCAST, "broadcasts.commands.siaran", ("broadcast",)),
    *broadcasts_status.COMMANDS,
]
MESSAGE, CONFIRM, SEND_TIME = range(3, 6)
CONFIRM_KIND = "bc.cf"
# Telegram entity types that are formatting the admin applied in their client
_FORMATTING = {"bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre",
               "text_link", "blockquote", "expandable_blockquote", "custom_emoji"}


@guard(Action.BROADCAST)
async def start(update: Update, context: WilayahContext) -> int:
    """/siaran: a fresh draft; first choose the recipients."""
    context.user_data[audience_steps.DRAFT] = {}
    return await audience_steps.ask_audience(update, context)


# --- the message --------------------------------------------------------------------------

async def ask_message(update: Update, context: WilayahContext) -> int:
    await send_html(update, context, context.tr("broadcasts.compose.ask_message"))
    return MESSAGE


async def after_audience(update: Update, context: WilayahContext) -> int:
    """The recipients are set: on to the message, or back to the summary when editing.

    A choice that reaches nobody (e.g. a role nobody in the area has) is asked again at once.
    """
    official = context.official
    assert official is not None
    draft = draft_of(context)
    audience = Audience.from_json(draft["audience"])
    async with context.db.session() as session:
        await check_audience(session, official, audience)
        count = await count_audience(session, audience, scope=scope_of(official),
                                     exclude_id=official.id)
    if count == 0:
        draft.pop("audience")
        await reply(update, context, "broadcasts.errors.empty_audience")
        return await audience_steps.ask_audience(update, context)
    if "text" in draft:
        return await show_summary(update, context)
    return await ask_message(update, context)


def _html_of(message: Message) -> str:
    """The admin's text as HTML: as written, unless they formatted it in their client."""
    entities = message.entities or message.caption_entities
    formatted = any(entity.type in _FORMATTING for entity in entities)
    if message.text is not None:
        return message.text_html if formatted else message.text
    if message.caption is not None:
        return message.caption_html if formatted else message.caption
    return ""


@guard(Action.BROADCAST)
async def on_message(update: Update, context: WilayahContext) -> int | None:
    """Text, photo or document: checked the way Telegram will check it, then previewed."""
    message = update.effective_message
    assert message is not None
    draft = draft_of(context)
    if "audience" not in draft:
        return await audience_steps.ask_audience(update, context)
    if message.photo:
        content, file_id = BroadcastContent.PHOTO, message.photo[-1].file_id
    elif message.document:
        content, file_id = BroadcastContent.DOCUMENT, message.document.file_id
    else:
        content, file_id = BroadcastContent.TEXT, None
    html = _html_of(message)
    assert context.official is not None
    try:
        async with context.db.session() as session:
            room = header_room(await sender_facts(session, context.official))
        check_broadcast_html(html, caption=content != BroadcastContent.TEXT, reserved=room)
    except DomainError as error:
        await reply(update, context, error.key, **error.values)
        return MESSAGE
    draft.update(content=content.value, text=html, file_id=file_id)
    return await show_preview(update, context)


async def hint_message(update: Update, context: WilayahContext) -> int:
    """Stickers, locations and the like are not a broadcast."""
    await load_official(update, context)
    await reply(update, context, "broadcasts.compose.hint_message")
    return MESSAGE


# --- preview and summary -----------------------------------------------------------------

def _draft_model(draft: dict[str, Any]) -> BroadcastDraft:
    send_at = datetime.fromisoformat(draft["send_at"]) if draft.get("send_at") else None
    return BroadcastDraft(
        content_type=BroadcastContent(draft["content"]), text=draft["text"],
        audience=Audience.from_json(draft["audience"]), file_id=draft.get("file_id"),
        ask_ack=bool(draft.get("ask_ack")), send_at=send_at)


def zone_of(official: Official, context: WilayahContext) -> str:
    if official.region_code:
        return timezone_for(official.region_code)
    return context.settings.bot.default_timezone


async def send_copy(update: Update, context: WilayahContext, draft: dict[str, Any]) -> None:
    """The message exactly as recipients will see it (the header in the admin's language)."""
    chat = update.effective_chat
    assert chat is not None and context.official is not None
    async with context.db.session() as session:
        sender = await sender_facts(session, context.official)
    content = draft["content"]
    text = with_header(sender_header(context.tr, sender), draft["text"])
    if content == BroadcastContent.PHOTO:
        await context.bot.send_photo(chat.id, draft["file_id"], caption=text or None,
                                     parse_mode=ParseMode.HTML)
    elif content == BroadcastContent.DOCUMENT:
        await context.bot.send_document(chat.id, draft["file_id"], caption=text or None,
                                        parse_mode=ParseMode.HTML)
    else:
        await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)


async def show_preview(update: Update, context: WilayahContext) -> int:
    await send_html(update, context, context.tr("broadcasts.compose.preview_title"))
    await send_copy(update, context, draft_of(context))
    return await show_summary(update, context)


async def _describe_audience(context: WilayahContext, sender: Official,
                             audience: Audience) -> str:
    tr = context.tr
    async with context.db.session() as session:
        area = await describe(session, scope_of(sender)) or tr("common.all_areas")
        if audience.kind == AudienceKind.ALL:
            return tr("broadcasts.audience.all_in", area=area)
        if audience.kind == AudienceKind.ROLE:
            return tr("broadcasts.audience.role_in", role=tr(f"common.roles.{audience.role}"),
                      area=area)
        if audience.kind == AudienceKind.REGIONS:
            names = [await describe(session, code) for code in audience.region_codes]
            return tr("broadcasts.audience.regions", names="; ".join(names))
        chosen = await officials_named(session, audience.official_ids)
        return tr("broadcasts.audience.officials", names=", ".join(o.full_name for o in chosen))


async def show_summary(update: Update, context: WilayahContext) -> int:
    """Who, when, read confirmation — with Kirim / Batal and the options."""
    official = context.official
    assert official is not None
    draft = draft_of(context)
    tr = context.tr
    async with context.db.session() as session:
        count = await service.check_draft(session, context.clock, sender=official,
                                          draft=_draft_model(draft))
    when = (tr.datetime(datetime.fromisoformat(draft["send_at"]), zone_of(official, context))
            if draft.get("send_at") else tr("broadcasts.compose.now"))
    audience = await _describe_audience(context, official, Audience.from_json(draft["audience"]))
    ack = tr("broadcasts.compose.yes") if draft.get("ask_ack") else tr("broadcasts.compose.no")
    rows = [
        [(tr("broadcasts.buttons.send"), callbacks.pack(CONFIRM_KIND, "send")),
         (tr("broadcasts.buttons.discard"), callbacks.pack(CONFIRM_KIND, "cancel"))],
        [(tr("broadcasts.buttons.set_time"), callbacks.pack(CONFIRM_KIND, "time")),
         (tr("broadcasts.buttons.toggle_ack"), callbacks.pack(CONFIRM_KIND, "ack"))],
        [(tr("broadcasts.buttons.edit_text"), callbacks.pack(CONFIRM_KIND, "text")),
         (tr("broadcasts.buttons.edit_audience"), callbacks.pack(CONFIRM_KIND, "aud"))],
    ]
    await send_html(update, context, tr(
        "broadcasts.compose.summary", audience=audience, count=tr.number(count), when=when,
        ack=ack), reply_markup=buttons(rows))
    return CONFIRM


@guard(Action.BROADCAST)
async def on_confirm(update: Update, context: WilayahContext) -> int | None:
    """Kirim, Batal, or change the time, the read confirmation, the text or the recipients."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    action = data.arg(0) if data else ""
    draft = draft_of(context)
    if not {"audience", "content", "text"} <= draft.keys() or action not in (
            "send", "cancel", "time", "ack", "text", "aud", "now"):
        await refuse(update, context, "common.errors.stale_button")
        return None
    await query.answer()
    tr = context.tr
    if action == "cancel":
        context.user_data.pop(audience_steps.DRAFT, None)
        await edit_or_send(update, context, tr("broadcasts.compose.discarded"))
        return ConversationHandler.END
    if action == "ack":
        draft["ask_ack"] = not draft.get("ask_ack")
        await edit_or_send(update, context, tr("broadcasts.compose.ack_changed"))
        return await show_summary(update, context)
    if action == "time":
        await edit_or_send(update, context, tr("broadcasts.compose.ask_time"), reply_markup=buttons(
            [[(tr("broadcasts.buttons.send_now"), callbacks.pack(CONFIRM_KIND, "now"))]]))
        return SEND_TIME
    if action == "now":
        draft.pop("send_at", None)
        await edit_or_send(update, context, tr("broadcasts.compose.time_cleared"))
        return await show_summary(update, context)
    if action == "text":
        await edit_or_send(update, context, tr("broadcasts.compose.edit_text"))
        return await ask_message(update, context)
    if action == "aud":
        await edit_or_send(update, context, tr("broadcasts.compose.edit_audience"))
        return await audience_steps.ask_audience(update, context)
    return await _submit(update, context, draft)


async def _submit(update: Update, context: WilayahContext, draft: dict[str, Any]) -> int | None:
    official = context.official
    assert official is not None
    tr = context.tr
    async with context.db.session() as session:
        broadcast = await service.create_broadcast(session, context.clock, sender=official,
                                                   draft=_draft_model(draft))
    context.user_data.pop(audience_steps.DRAFT, None)
    if draft.get("send_at") and broadcast.send_at and broadcast.send_at > context.clock.now():
        await edit_or_send(update, context, tr(
            "broadcasts.compose.scheduled", id=broadcast.id,
            when=tr.datetime(broadcast.send_at, zone_of(official, context))),
            reply_markup=buttons([[(tr("broadcasts.buttons.cancel"),
                                    callbacks.pack(broadcasts_status.CANCEL, broadcast.id))]]))
    else:
        await edit_or_send(update, context, tr("broadcasts.compose.queued", id=broadcast.id))
    scheduler = scheduler_of(context.application)
    if scheduler is not None:
        scheduler.broadcasts.poke()
    return ConversationHandler.END


@guard(Action.BROADCAST)
async def on_send_time(update: Update, context: WilayahContext) -> int:
    """'besok 08.00', '12/11/2024 09.00' … in the admin's own time zone."""
    official = context.official
    message = update.effective_message
    assert official is not None and message is not None
    draft = draft_of(context)
    try:
        moment = parse_datetime(message.text or "", context.clock, zone_of(official, context))
        draft["send_at"] = moment.isoformat()
        async with context.db.session() as session:
            await service.check_draft(session, context.clock, sender=official,
                                      draft=_draft_model(draft))
    except DomainError as error:
        draft.pop("send_at", None)
        await reply(update, context, error.key, **error.values)
        return SEND_TIME
    return await show_summary(update, context)


async def hint_confirm(update: Update, context: WilayahContext) -> int:
    await load_official(update, context)
    await reply(update, context, "broadcasts.compose.hint_confirm")
    return CONFIRM


async def hint_time(update: Update, context: WilayahContext) -> int:
    await load_official(update, context)
    await reply(update, context, "broadcasts.compose.hint_time")
    return SEND_TIME


def _conversation() -> ConversationHandler[Any]:
    text = filters.TEXT & ~filters.COMMAND
    anything = ~filters.COMMAND
    confirm = CallbackQueryHandler(on_confirm, pattern=callbacks.pattern(CONFIRM_KIND))
    return ConversationHandler(
        name="broadcasts",
        persistent=True,
        entry_points=[CommandHandler(["siaran", "broadcast"], start)],
        states={
            AUDIENCE: [*audience_steps.audience_handlers(),
                       MessageHandler(anything, audience_steps.hint_audience)],
            REGIONS: [*audience_steps.region_handlers(),
                      MessageHandler(text, audience_steps.on_region_text),
                      MessageHandler(anything, audience_steps.hint_regions)],
            OFFICIALS: [*audience_steps.official_handlers(),
                        MessageHandler(text, audience_steps.on_official_search),
                        MessageHandler(anything, audience_steps.hint_officials)],
            MESSAGE: [MessageHandler((filters.TEXT & ~filters.COMMAND) | filters.PHOTO
                                     | filters.Document.ALL, on_message),
                      MessageHandler(anything, hint_message)],
            CONFIRM: [confirm, MessageHandler(anything, hint_confirm)],
            SEND_TIME: [confirm, MessageHandler(text, on_send_time),
                        MessageHandler(anything, hint_time)],
        },
        fallbacks=[*cancel_handlers()],
        allow_reentry=True,
    )


def register(app: Any) -> None:
    """The compose conversation, then status, cancel and acknowledgement buttons."""
    app.add_handler(_conversation())
    broadcasts_status.register(app)

