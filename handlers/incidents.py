"""Incident reports (laporan kejadian): /lapor, quick photo reports, follow-up and /laporan.

The pieces live in incidents_ask and incidents_flow (the report form: questions, answers),
incidents_summary (Kirim / Ubah / Batal), incidents_followup (the chain's buttons and the
reporter's answers), incidents_list (/laporan), incidents_notify and incidents_files (messages
and evidence), incidents_render (texts, buttons).
"""

from __future__ import annotations

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
from bot.policy import Action
from handlers import incidents_ask as steps
from handlers import incidents_flow as flow
from handlers import incidents_followup as followup
from handlers import incidents_list as listing
from handlers import incidents_summary as summary
from handlers.common import CommandSpec, cancel_handlers, load_official, on_draft_dropped, reply
from handlers.incidents_files import discard_draft_media
from handlers.incidents_render import ANSWER_KIND, ASK_KIND, OPEN_KIND, STATUS_KIND

COMMANDS = [
    CommandSpec("lapor", Action.INCIDENT_REPORT, "incidents.commands.lapor", ("report",)),
    CommandSpec("laporan", Action.INCIDENT_LIST, "incidents.commands.laporan", ("reports",)),
]
NEW_MESSAGE = filters.UpdateType.MESSAGE
TEXT = NEW_MESSAGE & filters.TEXT & ~filters.COMMAND
ANYTHING_ELSE = ~filters.COMMAND


class NoOpenConversation(filters.UpdateFilter):
    """True when the sender is in no conversation, so a captioned photo may start a report."""

    def __init__(self, app: Any) -> None:
        super().__init__(name="NoOpenConversation")
        self._app = app

    def filter(self, update: Update) -> bool:
        for handler in self._app.handlers.get(0, []):
            if not isinstance(handler, ConversationHandler):
                continue
            key = handler._get_key(update)  # noqa: SLF001  (PTB offers no public lookup)
            if handler._conversations.get(key) is not None:  # noqa: SLF001
                return False
        return True


def _hint(key: str) -> Any:
    """A reply for input the step cannot use; the draft stays as it is."""

    async def hint(update: Update, context: WilayahContext) -> None:
        await load_official(update, context)
        await reply(update, context, key)

    hint.__doc__ = f"Unusable input: answer with {key} and keep the draft."
    return hint


async def _hint_location(update: Update, context: WilayahContext) -> None:
    """Anything but a pin or an address at the location step."""
    await load_official(update, context)
    await reply(update, context, "incidents.hint.location",
                reply_markup=steps.location_keyboard(context))


async def _hint_media(update: Update, context: WilayahContext) -> None:
    """Text or a sticker where a photo or document is expected."""
    await load_official(update, context)
    await reply(update, context, "incidents.hint.media",
                reply_markup=steps.media_keyboard(context, steps.load_draft(context)))


def register(app: Any) -> None:
    report_button = CallbackQueryHandler
    pattern = callbacks.pattern(steps.KIND)
    start = CommandHandler(["lapor", "report"], flow.start_report)
    quick = MessageHandler(NEW_MESSAGE & filters.ChatType.PRIVATE & filters.PHOTO
                           & filters.CAPTION & NoOpenConversation(app), flow.quick_report)
    follow_up = [
        CallbackQueryHandler(followup.on_status_button, pattern=callbacks.pattern(STATUS_KIND)),
        CallbackQueryHandler(followup.on_ask_button, pattern=callbacks.pattern(ASK_KIND)),
        CallbackQueryHandler(followup.on_answer_button, pattern=callbacks.pattern(ANSWER_KIND)),
    ]
    buttons_only = _hint("incidents.hint.buttons")
    conversation = ConversationHandler(
        name=followup.CONVERSATION_NAME,
        persistent=True,
        entry_points=[start, quick, *follow_up],
        states={
            steps.CATEGORY: [report_button(flow.on_category, pattern=pattern),
                             MessageHandler(ANYTHING_ELSE, buttons_only)],
            steps.URGENCY: [report_button(flow.on_urgency, pattern=pattern),
                            MessageHandler(ANYTHING_ELSE, buttons_only)],
            steps.DESCRIPTION: [
                MessageHandler(TEXT, flow.on_description),
                MessageHandler(ANYTHING_ELSE, _hint("incidents.hint.description"))],
            steps.TIME: [report_button(flow.on_time_button, pattern=pattern),
                         MessageHandler(ANYTHING_ELSE, buttons_only)],
            steps.TIME_TEXT: [MessageHandler(TEXT, flow.on_time_text),
                              MessageHandler(ANYTHING_ELSE, _hint("incidents.hint.time"))],
            steps.LOCATION: [MessageHandler(NEW_MESSAGE & filters.LOCATION, flow.on_location),
                             MessageHandler(TEXT, flow.on_address),
                             MessageHandler(ANYTHING_ELSE, _hint_location)],
            steps.MEDIA: [MessageHandler(NEW_MESSAGE & (filters.PHOTO | filters.Document.ALL),
                                         flow.on_media),
                          report_button(flow.on_media_button, pattern=pattern),
                          MessageHandler(ANYTHING_ELSE, _hint_media)],
            steps.SUMMARY: [report_button(summary.on_summary_button, pattern=pattern),
                            MessageHandler(ANYTHING_ELSE, _hint("incidents.hint.summary"))],
            steps.NOTE: [MessageHandler(TEXT, followup.on_note),
                         CallbackQueryHandler(followup.on_note,
                                              pattern=callbacks.pattern(followup.NOTE_KIND)),
                         MessageHandler(ANYTHING_ELSE, followup.hint_text)],
            steps.QUESTION: [MessageHandler(TEXT, followup.on_question),
                             MessageHandler(ANYTHING_ELSE, followup.hint_text)],
            steps.ANSWER: [MessageHandler(TEXT, followup.on_answer),
                           MessageHandler(ANYTHING_ELSE, followup.hint_text)],
        },
        # /lapor starts over; follow-up buttons keep working in the middle of a report
        fallbacks=[*cancel_handlers(), start, *follow_up],
        # no re-entry: a captioned photo sent while filling in the form is evidence, not a
        # new quick report
        allow_reentry=False,
    )
    app.add_handler(conversation)
    on_draft_dropped(app, steps.DRAFT, discard_draft_media)  # /batal deletes its files
    app.add_handler(CommandHandler(["laporan", "reports"], listing.list_command))
    app.add_handler(CallbackQueryHandler(listing.on_list_button,
                                         pattern=callbacks.pattern(listing.LIST_KIND)))
    app.add_handler(CallbackQueryHandler(listing.on_filter_button,
                                         pattern=callbacks.pattern(listing.FILTER_KIND)))
    app.add_handler(CallbackQueryHandler(listing.on_open_button,
                                         pattern=callbacks.pattern(OPEN_KIND)))
