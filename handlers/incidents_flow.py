"""The /lapor flow: category → urgency → what → when → where → evidence → summary → Kirim."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.policy import Action
from bot.services import incidents as service
from bot.services.incidents import IncidentDraft
from bot.services.regions import timezone_for
from handlers.common import buttons, edit_or_send, guard, refuse, reply, send_html
from handlers.incidents_files import media_identity, receive_media
from handlers.incidents_render import label, media_count, media_saved_text, summary_text
from models.incidents import IncidentCategory, IncidentUrgency

(CATEGORY, URGENCY, DESCRIPTION, TIME, TIME_TEXT, LOCATION, MEDIA, SUMMARY,
 NOTE, QUESTION, ANSWER) = range(11)
DRAFT = "draft_incident"
KIND = "inc.r"
EDITABLE_STEPS = ("category", "urgency", "description", "time", "location", "media")
# Telegram clients split a paste longer than 4096 characters into messages a moment apart;
# the part right after a refused near-limit message is the rest of it, not a new description
SPLIT_LENGTH = 3500
CONTINUATION_SECONDS = 2


def _state(context: WilayahContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})


def load_draft(context: WilayahContext) -> IncidentDraft:
    return IncidentDraft.from_dict(_state(context).get("report"))


def save_draft(context: WilayahContext, draft: IncidentDraft) -> None:
    _state(context)["report"] = draft.to_dict()


def _region(context: WilayahContext) -> str:
    assert context.official is not None and context.official.region_code is not None
    return context.official.region_code


def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


# --- asking each step -----------------------------------------------------------------------

async def ask_category(update: Update, context: WilayahContext) -> int:
    """Eight kinds of incident, two buttons a row."""
    tr = context.tr
    choices = [(label(tr, "category", c), callbacks.pack(KIND, "cat", c.value))
               for c in IncidentCategory]
    await reply(update, context, "incidents.report.ask_category",
                reply_markup=buttons([choices[i:i + 2] for i in range(0, len(choices), 2)]))
    return CATEGORY


async def ask_urgency(update: Update, context: WilayahContext) -> int:
    """Biasa, Penting, Darurat."""
    tr = context.tr
    await reply(update, context, "incidents.report.ask_urgency", reply_markup=buttons(
        [[(label(tr, "urgency", u), callbacks.pack(KIND, "urg", u.value))
          for u in IncidentUrgency]]))
    return URGENCY


async def ask_description(update: Update, context: WilayahContext) -> int:
    """Ask what happened, naming the limit up front."""
    await reply(update, context, "incidents.report.ask_description",
                limit=service.MAX_DESCRIPTION_CHARS)
    return DESCRIPTION


async def ask_time(update: Update, context: WilayahContext) -> int:
    """Now, earlier today, or another moment."""
    tr = context.tr
    await reply(update, context, "incidents.report.ask_time", reply_markup=buttons([
        [(tr("incidents.buttons.now"), callbacks.pack(KIND, "time", "now"))],
        [(tr("incidents.buttons.earlier_today"), callbacks.pack(KIND, "time", "today")),
         (tr("incidents.buttons.other_time"), callbacks.pack(KIND, "time", "other"))]]))
    return TIME


def location_keyboard(context: WilayahContext) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(context.tr("incidents.buttons.share_location"), request_location=True)]],
        resize_keyboard=True, one_time_keyboard=True)


async def ask_location(update: Update, context: WilayahContext) -> int:
    """A pin through the reply keyboard, or a typed address."""
    await reply(update, context, "incidents.report.ask_location",
                reply_markup=location_keyboard(context))
    return LOCATION


def media_keyboard(context: WilayahContext, draft: IncidentDraft) -> Any:
    tr = context.tr
    rows = [[(tr("incidents.buttons.done"), callbacks.pack(KIND, "media", "done"))]]
    if draft.media:
        rows.append([(tr("incidents.buttons.clear_media"),
                      callbacks.pack(KIND, "media", "clear"))])
    return buttons(rows)


async def ask_media(update: Update, context: WilayahContext) -> int:
    """Up to ten photos or documents, then Selesai."""
    draft = load_draft(context)
    await reply(update, context, "incidents.report.ask_media", limit=service.MAX_MEDIA,
                count=len(draft.media), reply_markup=media_keyboard(context, draft))
    return MEDIA


async def show_summary(update: Update, context: WilayahContext) -> int:
    """Everything in the draft, with Kirim / Ubah / Batal."""
    _state(context)["reviewing"] = True
    tr = context.tr
    text = summary_text(tr, load_draft(context), _region(context))
    await send_html(update, context, text, reply_markup=buttons([
        [(tr("incidents.buttons.send"), callbacks.pack(KIND, "send"))],
        [(tr("incidents.buttons.edit"), callbacks.pack(KIND, "edit")),
         (tr("incidents.buttons.cancel"), callbacks.pack(KIND, "cancel"))]]))
    return SUMMARY


ASKS: dict[str, Callable[[Update, WilayahContext], Awaitable[int]]] = {
    "category": ask_category, "urgency": ask_urgency, "description": ask_description,
    "time": ask_time, "location": ask_location, "media": ask_media,
}


async def advance(update: Update, context: WilayahContext) -> int:
    """Ask the first empty step; after an edit from the summary, go straight back to it."""
    state = _state(context)
    if state.get("reviewing"):
        return await show_summary(update, context)
    missing = load_draft(context).missing()
    if missing:
        return await ASKS[missing[0]](update, context)
    if not state.get("media_done"):
        return await ask_media(update, context)
    return await show_summary(update, context)


# --- entry points ---------------------------------------------------------------------------

@guard(Action.INCIDENT_REPORT)
async def start_report(update: Update, context: WilayahContext) -> int:
    """/lapor: a fresh report, asked step by step."""
    assert context.official is not None
    service.ensure_reporter(context.official)
    context.user_data[DRAFT] = {"report": IncidentDraft().to_dict()}
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
    context.user_data[DRAFT] = {"report": draft.to_dict()}
    await reply(update, context, "incidents.report.quick_started")
    return await advance(update, context)


# --- answering each step --------------------------------------------------------------------

async def _chosen(update: Update, context: WilayahContext, key: str, value: str) -> None:
    """Turn the question whose button was pressed into a record of the answer."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await edit_or_send(update, context, context.tr(key, value=value))


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
    await _chosen(update, context, "incidents.report.chosen_category",
                  label(context.tr, "category", draft.category))
    return await advance(update, context)


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
    await _chosen(update, context, "incidents.report.chosen_urgency",
                  label(context.tr, "urgency", draft.urgency))
    return await advance(update, context)


@guard(Action.INCIDENT_REPORT)
async def on_description(update: Update, context: WilayahContext) -> int:
    """Store what happened; refuse an empty or too long text, and the rest of a split one."""
    message, state = _message(update), _state(context)
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
        await _chosen(update, context, "incidents.report.chosen_time",
                      tr.datetime(draft.occurred_at, timezone_for(_region(context))))
        return await advance(update, context)
    _state(context)["time_mode"] = choice
    await _chosen(update, context, "incidents.report.chosen_time",
                  tr(f"incidents.buttons.{'earlier_today' if choice == 'today' else 'other_time'}"))
    key = "incidents.report.ask_time_today" if choice == "today" else \
        "incidents.report.ask_time_other"
    await reply(update, context, key)
    return TIME_TEXT


@guard(Action.INCIDENT_REPORT)
async def on_time_text(update: Update, context: WilayahContext) -> int:
    """Read a typed time in the region's own zone."""
    moment = service.parse_occurred_at(
        _message(update).text or "", now=context.clock.now(),
        timezone=timezone_for(_region(context)),
        today_only=_state(context).get("time_mode") == "today")
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
        draft.media = []
        save_draft(context, draft)
        return await ask_media(update, context)
    _state(context)["media_done"] = True
    kinds = [m.kind for m in load_draft(context).media]
    await edit_or_send(update, context, context.tr("incidents.report.media_done",
                                                   media=media_count(context.tr, kinds)))
    return await advance(update, context)
