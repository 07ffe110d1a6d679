"""What runs around the features: one conversation at a time, catch-alls, and errors."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import WilayahContext
from bot.i18n import Translator
from bot.policy import Action
from handlers.common import load_official, refusal_key, refuse, reply
from models.officials import OfficialStatus

log = logging.getLogger(__name__)


async def nothing_to_cancel(update: Update, context: WilayahContext) -> None:
    """/batal outside any conversation."""
    await load_official(update, context)
    await reply(update, context, "common.cancel.nothing")


async def busy_elsewhere(update: Update, context: WilayahContext) -> None:
    """A command typed in the middle of a conversation: finish it or /batal first."""
    await load_official(update, context)
    await reply(update, context, "common.flow.busy")


# --- fallbacks and errors --------------------------------------------------------------------

async def unknown_command(update: Update, context: WilayahContext) -> None:
    """Any command nobody handled."""
    official = await load_official(update, context)
    key = "common.errors.unknown_command" if official else "common.access.unregistered"
    await reply(update, context, key)


async def unexpected_message(update: Update, context: WilayahContext) -> None:
    """Text, media or stickers outside any conversation."""
    official = await load_official(update, context)
    if official is None:
        await reply(update, context, "common.access.unregistered")
    elif official.status != OfficialStatus.ACTIVE:
        await refuse(update, context, refusal_key(official, Action.HELP) or "common.access.pending")
    else:
        await reply(update, context, "common.fallback.hint")


async def stale_button(update: Update, context: WilayahContext) -> None:
    """A press no handler claimed: an old, forged or malformed button."""
    await load_official(update, context)
    await refuse(update, context, "common.errors.stale_button")


class ErrorAlarm:
    """Counts recent errors so admins are alerted when they persist, not on every blip."""

    def __init__(self, threshold: int = 5, window_seconds: float = 300.0) -> None:
        self.threshold = threshold
        self.window = window_seconds
        self._times: deque[float] = deque()
        self._last_alert = float("-inf")

    def record(self, now: float) -> bool:
        self._times.append(now)
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()
        if len(self._times) >= self.threshold and now - self._last_alert > self.window:
            self._last_alert = now
            return True
        return False


_alarm = ErrorAlarm()


async def on_error(update: object, context: WilayahContext) -> None:
    """Log with context, apologise to the user without details, alert admins if it persists."""
    error = context.error
    user_id = update.effective_user.id if isinstance(update, Update) and update.effective_user \
        else None
    log.error("error while handling an update", exc_info=error,
              extra={"update_id": getattr(update, "update_id", None), "user_id": user_id})
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id,
                                           context.tr("common.errors.internal"),
                                           parse_mode=ParseMode.HTML)
        except TelegramError:
            pass
    if _alarm.record(context.clock.now().timestamp()):
        for chat_id in context.settings.bot.admin_alert_chat_ids:
            try:
                await context.bot.send_message(chat_id, Translator("id")(
                    "common.errors.alert", error=type(error).__name__))
            except TelegramError:
                pass


def _active_conversation(update: Update, context: WilayahContext) -> ConversationHandler | None:
    for handler in context.application.handlers.get(0, []):
        if isinstance(handler, ConversationHandler):
            key = handler._get_key(update)  # noqa: SLF001  (PTB offers no public lookup)
            if handler._conversations.get(key) is not None:  # noqa: SLF001
                return handler
    return None


async def keep_one_flow_at_a_time(update: Update, context: WilayahContext) -> None:
    """A command for another feature while a conversation is open is refused, draft kept."""
    if update.callback_query is not None:
        await _one_flow_for_buttons(update, context)
        return
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return
    command = message.text.split()[0][1:].split("@")[0].lower()
    if command in {"batal", "cancel"}:
        return
    conversation = _active_conversation(update, context)
    if conversation is None:
        return
    own = {name for handler in conversation.entry_points if isinstance(handler, CommandHandler)
           for name in handler.commands}
    if command not in own:
        await busy_elsewhere(update, context)
        raise ApplicationHandlerStop


async def _one_flow_for_buttons(update: Update, context: WilayahContext) -> None:
    """An old button that would open another form (e.g. "Cari pengaduan" pressed in the middle
    of /rapat_baru) is refused like a command: two open forms would fight over the next
    message. Buttons the open conversation handles itself are not touched."""
    conversation = _active_conversation(update, context)
    if conversation is None or conversation.check_update(update):
        return
    for handler in context.application.handlers.get(0, []):
        if isinstance(handler, ConversationHandler) and handler is not conversation \
                and handler.check_update(update):
            await load_official(update, context)
            await refuse(update, context, "common.flow.busy")
            raise ApplicationHandlerStop


def register_gate(app: Any) -> None:
    """Runs before every feature: refuse a second conversation; log and report errors."""
    app.add_handler(TypeHandler(Update, keep_one_flow_at_a_time), group=-1)
    app.add_error_handler(on_error)


def register(app: Any) -> None:
    """The catch-alls; added after every feature so they only see what nobody else handled."""
    app.add_handler(CommandHandler(["batal", "cancel"], nothing_to_cancel))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL,
                                   unexpected_message))
