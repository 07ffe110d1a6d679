"""Asking the /lapor questions: the draft in the user's storage, each question, the summary.

After a button press the next question takes the place of the pressed message, below the
answers given on it, so the chat keeps a record of every choice at one Bot API call a step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import callbacks
from bot.context import WilayahContext
from bot.i18n import Html
from bot.services import incidents as service
from bot.services.incidents import IncidentDraft
from handlers.common import buttons, edit_or_send, send_html
from handlers.incidents_render import label, summary_text
from models.incidents import IncidentCategory, IncidentUrgency

(CATEGORY, URGENCY, DESCRIPTION, TIME, TIME_TEXT, LOCATION, MEDIA, SUMMARY,
 NOTE, QUESTION, ANSWER) = range(11)
DRAFT = "draft_incident"
KIND = "inc.r"
EDITABLE_STEPS = ("category", "urgency", "description", "time", "location", "media")
# the answers shown on the current question message: {"message_id": …, "lines": […]}
ANSWERS = "answers"


def state_of(context: WilayahContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})


def load_draft(context: WilayahContext) -> IncidentDraft:
    return IncidentDraft.from_dict(state_of(context).get("report"))


def save_draft(context: WilayahContext, draft: IncidentDraft) -> None:
    state_of(context)["report"] = draft.to_dict()


def region_of(context: WilayahContext) -> str:
    assert context.official is not None and context.official.region_code is not None
    return context.official.region_code


# --- asking each step -----------------------------------------------------------------------

async def ask(update: Update, context: WilayahContext, text: str, markup: Any = None, *,
              answer: str | None = None) -> None:
    """Ask the next question. After a button press, the pressed message becomes the record of
    the answers given on it followed by this question: one edit, where a record of the answer
    and a new message took two calls. A reply keyboard can only come with a new message."""
    state = state_of(context)
    query = update.callback_query
    pressed = query.message if query is not None else None
    shown = state.pop(ANSWERS, None) or {}
    answers = list(shown.get("lines", [])) if pressed is not None and \
        shown.get("message_id") == pressed.message_id else []
    if answer:
        answers.append(answer)
    if pressed is None:
        await send_html(update, context, text, reply_markup=markup)
        return
    record = "\n".join(answers)
    if isinstance(markup, ReplyKeyboardMarkup):
        if record:
            await edit_or_send(update, context, record)
        else:  # keep the pressed message, without its buttons
            await _drop_buttons(update)
        await send_html(update, context, text, reply_markup=markup)
        return
    if record:
        state[ANSWERS] = {"message_id": pressed.message_id, "lines": answers}
        text = context.tr("incidents.report.answered", answers=Html(record), question=Html(text))
    await edit_or_send(update, context, text, reply_markup=markup)


async def _drop_buttons(update: Update) -> None:
    assert update.callback_query is not None
    try:
        await update.callback_query.edit_message_reply_markup(reply_markup=None)
    except TelegramError:
        pass  # already without buttons (a double tap): nothing to take away


async def ask_category(update: Update, context: WilayahContext, answer: str | None = None) -> int:
    """Eight kinds of incident, two buttons a row."""
    tr = context.tr
    choices = [(label(tr, "category", c), callbacks.pack(KIND, "cat", c.value))
               for c in IncidentCategory]
    await ask(update, context, tr("incidents.report.ask_category"),
              buttons([choices[i:i + 2] for i in range(0, len(choices), 2)]), answer=answer)
    return CATEGORY


async def ask_urgency(update: Update, context: WilayahContext, answer: str | None = None) -> int:
    """Biasa, Penting, Darurat."""
    tr = context.tr
    await ask(update, context, tr("incidents.report.ask_urgency"), buttons(
        [[(label(tr, "urgency", u), callbacks.pack(KIND, "urg", u.value))
          for u in IncidentUrgency]]), answer=answer)
    return URGENCY


async def ask_description(update: Update, context: WilayahContext,
                          answer: str | None = None) -> int:
    """Ask what happened, naming the limit up front."""
    await ask(update, context, context.tr("incidents.report.ask_description",
                                          limit=service.MAX_DESCRIPTION_CHARS), answer=answer)
    return DESCRIPTION


async def ask_time(update: Update, context: WilayahContext, answer: str | None = None) -> int:
    """Now, earlier today, or another moment."""
    tr = context.tr
    await ask(update, context, tr("incidents.report.ask_time"), buttons([
        [(tr("incidents.buttons.now"), callbacks.pack(KIND, "time", "now"))],
        [(tr("incidents.buttons.earlier_today"), callbacks.pack(KIND, "time", "today")),
         (tr("incidents.buttons.other_time"), callbacks.pack(KIND, "time", "other"))]]),
        answer=answer)
    return TIME


def location_keyboard(context: WilayahContext) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(context.tr("incidents.buttons.share_location"), request_location=True)]],
        resize_keyboard=True, one_time_keyboard=True)


async def ask_location(update: Update, context: WilayahContext, answer: str | None = None) -> int:
    """A pin through the reply keyboard, or a typed address."""
    await ask(update, context, context.tr("incidents.report.ask_location"),
              location_keyboard(context), answer=answer)
    return LOCATION


def media_keyboard(context: WilayahContext, draft: IncidentDraft) -> Any:
    tr = context.tr
    rows = [[(tr("incidents.buttons.done"), callbacks.pack(KIND, "media", "done"))]]
    if draft.media:
        rows.append([(tr("incidents.buttons.clear_media"),
                      callbacks.pack(KIND, "media", "clear"))])
    return buttons(rows)


async def ask_media(update: Update, context: WilayahContext, answer: str | None = None) -> int:
    """Up to ten photos or documents, then Selesai."""
    draft = load_draft(context)
    await ask(update, context, context.tr("incidents.report.ask_media", limit=service.MAX_MEDIA,
                                          count=len(draft.media)),
              media_keyboard(context, draft), answer=answer)
    return MEDIA


async def show_summary(update: Update, context: WilayahContext) -> int:
    """Everything in the draft, with Kirim / Ubah / Batal; after a press, in place of the
    pressed message (the summary shows every answer, that one too)."""
    state = state_of(context)
    state["reviewing"] = True
    state.pop(ANSWERS, None)
    tr = context.tr
    text = summary_text(tr, load_draft(context), region_of(context))
    keyboard = buttons([
        [(tr("incidents.buttons.send"), callbacks.pack(KIND, "send"))],
        [(tr("incidents.buttons.edit"), callbacks.pack(KIND, "edit")),
         (tr("incidents.buttons.cancel"), callbacks.pack(KIND, "cancel"))]])
    if update.callback_query is not None:
        await edit_or_send(update, context, text, reply_markup=keyboard)
    else:
        await send_html(update, context, text, reply_markup=keyboard)
    return SUMMARY


ASKS: dict[str, Callable[..., Awaitable[int]]] = {
    "category": ask_category, "urgency": ask_urgency, "description": ask_description,
    "time": ask_time, "location": ask_location, "media": ask_media,
}


async def advance(update: Update, context: WilayahContext, answer: str | None = None) -> int:
    """Ask the first empty step; after an edit from the summary, go straight back to it.
    `answer` records the choice just made on the pressed message, above the next question."""
    state = state_of(context)
    if state.get("reviewing"):
        return await show_summary(update, context)
    missing = load_draft(context).missing()
    if missing:
        return await ASKS[missing[0]](update, context, answer)
    if not state.get("media_done"):
        return await ask_media(update, context, answer)
    return await show_summary(update, context)
