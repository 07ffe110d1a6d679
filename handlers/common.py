"""What every feature shares: the access guard, commands, help, cancel, errors and fallbacks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.i18n import Translator
from bot.policy import POLICY, Action, allowed
from bot.services import officials as official_service
from bot.services import regions as region_service
from models.officials import Official, OfficialStatus, Role

log = logging.getLogger(__name__)
Callback = Callable[[Update, WilayahContext], Awaitable[Any]]
F = TypeVar("F", bound=Callback)


@dataclass(frozen=True)
class CommandSpec:
    """A command of the menu: its name, aliases, the action it needs and its description key."""

    command: str
    action: Action
    description_key: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [self.command, *self.aliases]


COMMANDS = [
    CommandSpec("bantuan", Action.HELP, "common.commands.bantuan", ("help",)),
    CommandSpec("profil", Action.PROFILE, "common.commands.profil", ("profile",)),
    CommandSpec("bahasa", Action.LANGUAGE, "common.commands.bahasa", ("language",)),
    CommandSpec("batal", Action.HELP, "common.commands.batal", ("cancel",)),
]


# --- loading the official and refusing --------------------------------------------------

async def load_official(update: object, context: WilayahContext) -> Official | None:
    """Load the official behind an update once per update (the context is per update)."""
    if not isinstance(update, Update) or update.effective_user is None:
        return None
    if context.official is None:
        context.use_update_language(update)
        context.official = await context.services.officials.find(
            context.db, update.effective_user.id)
    return context.official


def refusal_key(official: Official | None, action: Action) -> str | None:
    """The catalog key explaining why an official may not act, or None when allowed."""
    if official is None:
        return "common.access.unregistered"
    status_refusals = {
        OfficialStatus.PENDING: "common.access.pending",
        OfficialStatus.REJECTED: "common.access.rejected",
        OfficialStatus.DEACTIVATED: "common.access.deactivated",
    }
    if official.status in status_refusals:
        return status_refusals[OfficialStatus(official.status)]
    return None if allowed(official, action) else "common.access.not_allowed"


async def refuse(update: Update, context: WilayahContext, key: str, **values: Any) -> None:
    """Tell the user no, briefly, in their language; never raise from here."""
    text = context.tr(key, **values)
    if update.callback_query is not None:
        # a refused press may be a forgery: keep a trace (the formatter masks personal numbers)
        log.info("refused a button press", extra={
            "user_id": update.effective_user.id if update.effective_user else None,
            "key": key, "data": (update.callback_query.data or "")[:80]})
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(_plain(text)[:200], show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
    except TelegramError:
        log.warning("could not deliver a refusal", extra={"update_id": update.update_id})


def _plain(html_text: str) -> str:
    import html as html_lib
    import re

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html_text))


def guard(action: Action | None) -> Callable[[F], F]:
    """Load the official and check the policy before a callback runs (None: strangers too)."""

    def decorate(callback: F) -> F:
        @wraps(callback)
        async def wrapper(update: Update, context: WilayahContext) -> Any:
            official = await load_official(update, context)
            if action is not None:
                key = refusal_key(official, action)
                if key is not None:
                    await refuse(update, context, key)
                    return ConversationHandler.END
            try:
                return await callback(update, context)
            except DomainError as error:
                await refuse(update, context, error.key, **error.values)
                return None

        return wrapper  # type: ignore[return-value]

    return decorate


# --- sending -------------------------------------------------------------------------------

async def reply(update: Update, context: WilayahContext, key: str, /, *,
                reply_markup: Any = None, **values: Any) -> None:
    """Reply in the current chat with a catalog message (HTML)."""
    await send_html(update, context, context.tr(key, **values), reply_markup=reply_markup)


async def send_html(update: Update, context: WilayahContext, text: str, *,
                    reply_markup: Any = None) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML,
                                   reply_markup=reply_markup, disable_web_page_preview=True)


async def edit_or_send(update: Update, context: WilayahContext, text: str, *,
                       reply_markup: Any = None) -> None:
    """Edit the message whose button was pressed, or send a new one."""
    query = update.callback_query
    if query is not None and query.message is not None:
        if _shows_already(query.message, text, reply_markup):
            return  # a double tap: Telegram would refuse the edit as "not modified"
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                          reply_markup=reply_markup,
                                          disable_web_page_preview=True)
            return
        except TelegramError as error:
            if "not modified" in str(error).lower():
                return
    await send_html(update, context, text, reply_markup=reply_markup)


def _shows_already(message: object, text: str, reply_markup: Any) -> bool:
    """True when the pressed message already shows this text and keyboard."""
    if not isinstance(message, Message) or message.text is None:
        return False
    if message.text != _plain(text).strip():
        return False  # the usual case, decided without comparing keyboards
    shown = message.reply_markup.to_dict() if message.reply_markup else None
    wanted = reply_markup.to_dict() if isinstance(reply_markup, InlineKeyboardMarkup) else None
    return shown == wanted


async def notify(context: WilayahContext, official: Official, text: str, *,
                 reply_markup: Any = None) -> bool:
    """Send to another official; a blocked bot or a gone chat is recorded, not raised."""
    try:
        await context.bot.send_message(official.telegram_id, text, parse_mode=ParseMode.HTML,
                                       reply_markup=reply_markup,
                                       disable_web_page_preview=True)
        return True
    except TelegramError as error:
        log.warning("notification not delivered",
                    extra={"official_id": official.id, "error": type(error).__name__})
        return False


def buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from (label, callback data) rows."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)
                                  for label, data in row] for row in rows])


# --- commands, help and menus --------------------------------------------------------------

def commands_for(role: Role | None) -> list[CommandSpec]:
    """Commands a role may use, in menu order (strangers: start, help, language)."""
    from handlers import all_commands

    if role is None:
        return [c for c in all_commands() if c.command in {"start", "bantuan", "bahasa"}]
    return [c for c in all_commands() if role in POLICY[c.action]]


def help_text(tr: Translator, role: Role | None) -> str:
    lines = [f"/{c.command} — {tr(c.description_key)}" for c in commands_for(role)]
    header = tr(f"common.help.header_{role}" if role else "common.help.header_stranger")
    return header + "\n\n" + "\n".join(lines)


async def sync_menu(bot: Any, official: Official) -> None:
    """Show exactly the commands of the official's role in their Telegram menu."""
    tr = Translator(official.language)
    role = Role(official.role) if official.status == OfficialStatus.ACTIVE else None
    commands = [BotCommand(c.command, tr(c.description_key)[:256]) for c in commands_for(role)]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(official.telegram_id))
    except TelegramError:
        log.warning("menu not updated", extra={"official_id": official.id})


async def set_default_menus(bot: Any) -> None:
    """The default menu (per language) for people who have not registered yet."""
    for language in ("id", "en"):
        tr = Translator(language)
        commands = [BotCommand(c.command, tr(c.description_key)[:256])
                    for c in commands_for(None)]
        await bot.set_my_commands(commands, language_code=None if language == "id" else "en")


@guard(Action.HELP)
async def show_help(update: Update, context: WilayahContext) -> None:
    """Answer /bantuan with exactly what the user's role can do."""
    official = context.official
    assert official is not None
    await send_html(update, context, help_text(context.tr, Role(official.role)))


# Applicants learn where their registration stands rather than how to register
APPLICANT_HELP = {
    OfficialStatus.PENDING: "registration.help.pending",
    OfficialStatus.REJECTED: "registration.help.rejected",
}


async def show_help_or_register(update: Update, context: WilayahContext) -> None:
    """Strangers also get help: what the bot is and how to register."""
    official = await load_official(update, context)
    if official is not None and official.status in APPLICANT_HELP:
        await reply(update, context, APPLICANT_HELP[OfficialStatus(official.status)])
        return
    if official is None or official.status != OfficialStatus.ACTIVE:
        await send_html(update, context, help_text(context.tr, None))
        return
    await show_help(update, context)


@guard(Action.PROFILE)
async def show_profile(update: Update, context: WilayahContext) -> None:
    """Answer /profil with the official's own data."""
    official = context.official
    assert official is not None
    async with context.db.session() as session:
        region = await region_service.describe(session, official.region_code)
    tr = context.tr
    await reply(update, context, "common.profile.body", name=official.full_name,
                role=tr(f"common.roles.{official.role}"), region=region or tr("common.all_areas"),
                nip=official.nip or "-", phone=official_service.mask(official.phone),
                language=tr(f"common.languages.{official.language}"))


async def choose_language(update: Update, context: WilayahContext) -> None:
    """Offer Bahasa Indonesia or English."""
    await load_official(update, context)
    await reply(update, context, "common.language.choose", reply_markup=buttons([[
        ("Bahasa Indonesia", callbacks.pack("lang", "id")),
        ("English", callbacks.pack("lang", "en"))]]))


async def set_language(update: Update, context: WilayahContext) -> None:
    """Store the chosen language (strangers: for this chat only until they register)."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    language = data.arg(0) if data else ""
    official = await load_official(update, context)
    if language not in ("id", "en"):
        await refuse(update, context, "common.errors.stale_button")
        return
    if official is not None:
        async with context.db.session() as session:
            fresh = await official_service.get(session, official.id or 0)
            context.official = await official_service.set_language(session, fresh, language)
        await sync_menu(context.bot, context.official)
    else:
        context.user_data["language"] = language
    context.set_language(language)
    await query.answer()
    await edit_or_send(update, context, context.tr("common.language.done"))


DRAFT_CLEANUPS_KEY = "wilayah.draft_cleanups"
DraftCleanup = Callable[[WilayahContext, Any], Awaitable[None]]


def on_draft_dropped(app: Any, key: str, cleanup: DraftCleanup) -> None:
    """Let a feature tidy up after its draft when /batal drops it (e.g. files it downloaded)."""
    app.bot_data.setdefault(DRAFT_CLEANUPS_KEY, {})[key] = cleanup


async def cancel_flow(update: Update, context: WilayahContext) -> int:
    """Leave the current conversation; its draft is dropped, stored records stay."""
    await load_official(update, context)
    cleanups: dict[str, DraftCleanup] = context.application.bot_data.get(DRAFT_CLEANUPS_KEY, {})
    for key in [k for k in context.user_data if str(k).startswith("draft")]:
        dropped = context.user_data.pop(key, None)
        if key in cleanups and dropped is not None:
            await cleanups[key](context, dropped)
    await reply(update, context, "common.cancel.done", reply_markup=ReplyKeyboardRemove())
    return ConversationHandler.END


def cancel_handlers() -> list[BaseHandler[Update, WilayahContext, Any]]:
    """The fallbacks every conversation has: /batal, /cancel."""
    return [CommandHandler(["batal", "cancel"], cancel_flow)]


def register(app: Any) -> None:
    """Help, profile and language."""
    app.add_handler(CommandHandler(["bantuan", "help"], show_help_or_register))
    app.add_handler(CommandHandler(["profil", "profile"], show_profile))
    app.add_handler(CommandHandler(["bahasa", "language"], choose_language))
    app.add_handler(CallbackQueryHandler(set_language, pattern=callbacks.pattern("lang")))
