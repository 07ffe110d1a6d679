"""The /lapor flow: category → urgency → what → when → where → evidence → summary → Kirim."""

from __future__ import annotations

from collections.abc import Callable

from telegram import Message, ReplyKeyboardRemove, Update
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.policy import Action
from bot.services import incidents as service
from bot.services.incidents import IncidentDraft
from bot.services.regions import timezone_for
from handlers.common import guard, refuse, reply, send_html
from handlers.incidents_ask import (
    DESCRIPTION,
    DRAFT,
    LOCATION,
    MEDIA,
    TIME_TEXT,
    advance,
    ask,
    ask_category,
    ask_media,
    load_draft,
    location_keyboard,
    media_keyboard,
    region_of,
    save_draft,
    state_of,
)
from handlers.incidents_files import discard_draft_media, media_identity, receive_media
from handlers.incidents_render import label, media_saved_text
from models.incidents import IncidentCategory, IncidentUrgency

# Telegram clients split a paste longer than 4096 characters into messages a moment apart;
# the part right after a refused near-limit message is the rest of it, not a new description
SPLIT_LENGTH = 3500
CONTINUATION_SECONDS = 2


def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


# --- entry points ---------------------------------------------------------------------------

async def _start_draft(context: WilayahContext, draft: IncidentDraft) -> None:
    """A new report replaces any earlier draft, whose downloaded files go with it."""
    earlier = context.user_data.get(DRAFT)
    context.user_data[DRAFT] = {"report": draft.to_dict()}
    if earlier:
        await discard_draft_media(context, earlier)  # files the new one holds stay


@guard(Action.INCIDENT_REPORT)
async def start_report(update: Update, context: WilayahContext) -> int:
    """/lapor: a fresh report, asked step by step."""
    assert context.official is not None
    service.ensure_reporter(context.official)
    await _start_draft(context, IncidentDraft())
    return await ask_category(update, context)


@guard(Action.INCIDENT_REPORT)
async def quick_report(update: Update, context: WilayahContext) -> int | None:
    """A captioned photo outside any flow: a report with that photo and text filled in."""
    assert context.official is not None
    service.ensure_reporter(context.official)
    message = _message(update)
    draft = IncidentDraft()
    try:
        draft.description = service.clean_description(message.caption)
        item = await receive_media(context, message, draft)
    except DomainError as error:
        await reply(update, context, error.key, **error.values)
        return ConversationHandler.END
    draft.add_media(item)
    await _start_draft(context, draft)
    await reply(update, context, "incidents.report.quick_started")
    return await advance(update, context)


# --- answering each step --------------------------------------------------------------------

async def _chosen(update: Update, context: WilayahContext, key: str, value: str) -> str:
    """Acknowledge the press; returns the record of the answer for the next question."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    return context.tr(key, value=value)


def _button(update: Update, action: str) -> callbacks.Callback | None:
    query = update.callback_query
    data = callbacks.parse(query.data if query else None)
    return data if data is not None and data.arg(0) == action else None


@guard(Action.INCIDENT_REPORT)
async def on_category(update: Update, context: WilayahContext) -> int | None:
    """Store the chosen kind of incident."""
    data = _button(update, "cat")
    if data is None or data.arg(1) not in set(IncidentCategory):
        await refuse(update, context, "common.errors.stale_button")
        return None
    draft = load_draft(context)
    draft.category = IncidentCategory(data.arg(1))
    save_draft(context, draft)
    answer = await _chosen(update, context, "incidents.report.chosen_category",
                           label(context.tr, "category", draft.category))
    return await advance(update, context, answer)


@guard(Action.INCIDENT_REPORT)
async def on_urgency(update: Update, context: WilayahContext) -> int | None:
    """Store the chosen urgency."""
    data = _button(update, "urg")
    if data is None or data.arg(1) not in set(IncidentUrgency):
        await refuse(update, context, "common.errors.stale_button")
        return None
    draft = load_draft(context)
    draft.urgency = IncidentUrgency(data.arg(1))
    save_draft(context, draft)
    answer = await _chosen(update, context, "incidents.report.chosen_urgency",
                           label(context.tr, "urgency", draft.urgency))
    return await advance(update, context, answer)


@guard(Action.INCIDENT_REPORT)
async def on_description(update: Update, context: WilayahContext) -> int:
    """Store what happened; refuse an empty or too long text, and the rest of a split one."""
    message, state = _message(update), state_of(context)
    sent_at = message.date.timestamp()
    split_at = state.pop("split_text_at", None)
    if split_at is not None and 0 <= sent_at - split_at <= CONTINUATION_SECONDS:
        await reply(update, context, "incidents.hint.description_rest",
                    limit=service.MAX_DESCRIPTION_CHARS)
        return DESCRIPTION
    try:
        text = service.clean_description(message.text)
    except service.DescriptionTooLong as error:
        if len(message.text or "") >= SPLIT_LENGTH:
            state["split_text_at"] = sent_at
        await reply(update, context, error.key, **error.values)
        return DESCRIPTION
    draft = load_draft(context)
    draft.description = text
    save_draft(context, draft)
    return await advance(update, context)


@guard(Action.INCIDENT_REPORT)
async def on_time_button(update: Update, context: WilayahContext) -> int | None:
    """Now is stored at once; earlier today or another time asks for it to be typed."""
    data = _button(update, "time")
    choice = data.arg(1) if data else ""
    if choice not in ("now", "today", "other"):
        await refuse(update, context, "common.errors.stale_button")
        return None
    tr = context.tr
    if choice == "now":
        draft = load_draft(context)
        draft.occurred_at = context.clock.now()
        save_draft(context, draft)
        answer = await _chosen(update, context, "incidents.report.chosen_time",
                               tr.datetime(draft.occurred_at, timezone_for(region_of(context))))
        return await advance(update, context, answer)
    state_of(context)["time_mode"] = choice
    answer = await _chosen(
        update, context, "incidents.report.chosen_time",
        tr(f"incidents.buttons.{'earlier_today' if choice == 'today' else 'other_time'}"))
    key = "incidents.report.ask_time_today" if choice == "today" else \
        "incidents.report.ask_time_other"
    await ask(update, context, tr(key), answer=answer)
    return TIME_TEXT


@guard(Action.INCIDENT_REPORT)
async def on_time_text(update: Update, context: WilayahContext) -> int:
    """Read a typed time in the region's own zone."""
    moment = service.parse_occurred_at(
        _message(update).text or "", now=context.clock.now(),
        timezone=timezone_for(region_of(context)),
        today_only=state_of(context).get("time_mode") == "today")
    draft = load_draft(context)
    draft.occurred_at = moment
    save_draft(context, draft)
    return await advance(update, context)


async def _location_saved(update: Update, context: WilayahContext,
                          change: Callable[[IncidentDraft], None]) -> int:
    draft = load_draft(context)
    try:
        change(draft)
    except DomainError as error:
        await reply(update, context, error.key, reply_markup=location_keyboard(context),
                    **error.values)
        return LOCATION
    save_draft(context, draft)
    await reply(update, context, "incidents.report.location_saved",
                reply_markup=ReplyKeyboardRemove())
    return await advance(update, context)


@guard(Action.INCIDENT_REPORT)
async def on_location(update: Update, context: WilayahContext) -> int:
    """Store a shared pin; one outside Indonesia is refused."""
    location = _message(update).location
    assert location is not None
    return await _location_saved(update, context,
                                 lambda d: d.set_pin(location.latitude, location.longitude))


@guard(Action.INCIDENT_REPORT)
async def on_address(update: Update, context: WilayahContext) -> int:
    """Store a typed address instead of a pin."""
    text = _message(update).text or ""
    return await _location_saved(update, context, lambda d: d.set_address(text))


@guard(Action.INCIDENT_REPORT)
async def on_media(update: Update, context: WilayahContext) -> int:
    """Attach a photo or document (a local copy is kept); refuse the eleventh or an oversize."""
    message, draft = _message(update), load_draft(context)
    if draft.has_media(media_identity(message)[2]):
        await reply(update, context, "incidents.report.media_duplicate",
                    reply_markup=media_keyboard(context, draft))
        return MEDIA
    try:
        item = await receive_media(context, message, draft)
    except DomainError as error:
        await reply(update, context, error.key, reply_markup=media_keyboard(context, draft),
                    **error.values)
        return MEDIA
    draft.add_media(item)
    save_draft(context, draft)
    await send_html(update, context, media_saved_text(context.tr, item, len(draft.media),
                                                      service.MAX_MEDIA),
                    reply_markup=media_keyboard(context, draft))
    return MEDIA


@guard(Action.INCIDENT_REPORT)
async def on_media_button(update: Update, context: WilayahContext) -> int | None:
    """Selesai goes on; the bin empties the attachments."""
    data = _button(update, "media")
    choice = data.arg(1) if data else ""
    if choice not in ("done", "clear"):
        await refuse(update, context, "common.errors.stale_button")
        return None
    assert update.callback_query is not None
    await update.callback_query.answer()
    if choice == "clear":
        draft = load_draft(context)
        cleared = {"report": draft.to_dict()}
        draft.media = []
        save_draft(context, draft)
        await discard_draft_media(context, cleared)
        return await ask_media(update, context)
    state_of(context)["media_done"] = True
    return await advance(update, context)  # the summary, which lists the attachments
