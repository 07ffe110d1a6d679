"""/start: registration of a new official (role, region, name, NIP, phone), then sending it.

The questions live in `registration_steps`; the admins' approval and what applicants hear
while they wait in `registration_approval`.
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
from bot.errors import DomainError
from bot.policy import Action
from bot.services import officials as official_service
from bot.services import regions as region_service
from handlers import registration_approval
from handlers.common import (
    CommandSpec,
    buttons,
    cancel_handlers,
    edit_or_send,
    help_text,
    load_official,
    refuse,
    reply,
    send_html,
    sync_menu,
)
from handlers.registration_approval import ask_approval
from handlers.registration_steps import (
    CONFIRM,
    DRAFT,
    KIND,
    NAME,
    NIP,
    PHONE,
    REGION,
    ROLE,
    ask_name,
    ask_nip,
    ask_phone,
    ask_role,
    draft_of,
    on_contact,
    on_name,
    on_nip,
    on_nip_skip,
    on_phone_text,
    on_region_button,
    on_region_text,
    on_role,
)
from models.officials import Official, OfficialStatus, Role

COMMANDS = [CommandSpec("start", Action.HELP, "registration.commands.start")]


async def start(update: Update, context: WilayahContext) -> int:
    """Greet registered officials; start (or resume) registration for everyone else."""
    official = await load_official(update, context)
    user = update.effective_user
    assert user is not None
    if user.id in context.settings.bot.superadmins and (official is None or
                                                        official.role != Role.SUPERADMIN):
        async with context.db.session() as session:
            official = await official_service.ensure_superadmin(
                session, context.clock, telegram_id=user.id, full_name=user.full_name,
                language=context.language)
        context.official = official
        await sync_menu(context.bot, official)
    if official is not None:
        return await _greet_known(update, context, official)
    payload = context.args[0] if context.args else None
    draft = context.user_data[DRAFT] = {"language": context.user_data.get("language",
                                                                           context.language)}
    if payload:
        try:
            async with context.db.session() as session:
                invite = await official_service.peek_invite(session, context.clock, payload)
                region = await region_service.describe(session, invite.region_code)
        except DomainError as error:
            context.user_data.pop(DRAFT, None)
            await refuse(update, context, error.key)
            return ConversationHandler.END
        draft.update(invite=invite.code, role=str(invite.role), region=invite.region_code)
        await reply(update, context, "registration.invite_welcome",
                    role=context.tr(f"common.roles.{invite.role}"), region=region)
        return await ask_name(update, context)
    await reply(update, context, "registration.intro")
    return await ask_role(update, context)


async def _greet_known(update: Update, context: WilayahContext, official: Official) -> int:
    if official.status != OfficialStatus.ACTIVE:
        await refuse(update, context, f"common.access.{official.status}")
        return ConversationHandler.END
    await reply(update, context, "registration.welcome_back", name=official.full_name)
    await send_html(update, context, help_text(context.tr, Role(official.role)))
    return ConversationHandler.END


async def on_confirm(update: Update, context: WilayahContext) -> int | None:
    """Kirim, Ubah (choose what to change) or Batal."""
    query = update.callback_query
    assert query is not None
    await load_official(update, context)
    data = callbacks.parse(query.data)
    draft = draft_of(context)
    action = data.arg(0) if data else ""
    tr = context.tr
    if action == "edit":
        await query.answer()
        fields = [("role", "registration.buttons.edit_region")] if "invite" not in draft else []
        fields += [("name", "registration.buttons.edit_name"),
                   ("nip", "registration.buttons.edit_nip"),
                   ("phone", "registration.buttons.edit_phone")]
        await edit_or_send(update, context, tr("registration.ask_edit"), reply_markup=buttons(
            [[(tr(label), callbacks.pack(KIND, "change", name))] for name, label in fields]))
        return CONFIRM
    if action == "change":
        await query.answer()
        asks = {"role": ask_role, "name": ask_name, "nip": ask_nip, "phone": ask_phone}
        ask = asks.get(data.arg(1)) if data else None
        if ask is None or (ask is ask_role and "invite" in draft):
            await refuse(update, context, "common.errors.stale_button")
            return None
        return int(await ask(update, context))
    if action == "cancel":
        await query.answer()
        context.user_data.pop(DRAFT, None)
        await edit_or_send(update, context, tr("common.cancel.done"))
        return ConversationHandler.END
    if action != "send" or not all(k in draft for k in ("role", "region", "name", "phone")):
        await refuse(update, context, "common.errors.stale_button")
        return None
    await query.answer()
    return await _submit(update, context, draft)


async def _submit(update: Update, context: WilayahContext, draft: dict[str, Any]) -> int:
    user = update.effective_user
    assert user is not None
    registration = official_service.Registration(
        telegram_id=user.id, role=Role(draft["role"]), region_code=draft["region"],
        full_name=draft["name"], nip=draft.get("nip"), phone=draft["phone"],
        language=draft.get("language", context.language))
    try:
        async with context.db.session() as session:
            official = await official_service.register(
                session, context.clock, registration, invite_code=draft.get("invite"))
            region = await region_service.describe(session, official.region_code)
            approvers = await official_service.approvers_for(session, official.region_code or "")
    except DomainError as error:
        await refuse(update, context, error.key)
        if error.key.startswith("registration.errors.invite"):
            context.user_data.pop(DRAFT, None)
            return ConversationHandler.END
        return CONFIRM
    context.user_data.pop(DRAFT, None)
    context.official = official
    await edit_or_send(update, context, context.tr("registration.sent_summary"))
    if official.status == OfficialStatus.ACTIVE:
        await reply(update, context, "registration.welcome_invited", name=official.full_name)
        await send_html(update, context, help_text(context.tr, Role(official.role)))
        await sync_menu(context.bot, official)
        return ConversationHandler.END
    await reply(update, context, "registration.submitted")
    for approver in approvers:
        await ask_approval(context, approver, official, region)
    return ConversationHandler.END


async def unexpected_in_step(update: Update, context: WilayahContext) -> None:
    """Anything the current step cannot use: say what is expected; the draft stays."""
    await load_official(update, context)
    await reply(update, context, "registration.hint.generic")


def register(app: Any) -> None:
    """The /start conversation, then the approval buttons."""
    button = CallbackQueryHandler
    other = MessageHandler(~filters.COMMAND, unexpected_in_step)
    conversation = ConversationHandler(
        name="registration",
        persistent=True,
        entry_points=[CommandHandler("start", start)],
        states={
            ROLE: [button(on_role, pattern=callbacks.pattern(KIND)), other],
            REGION: [button(on_region_button, pattern=callbacks.pattern(KIND)),
                     MessageHandler(filters.TEXT & ~filters.COMMAND, on_region_text), other],
            NAME: [MessageHandler(filters.TEXT & ~filters.COMMAND, on_name), other],
            NIP: [button(on_nip_skip, pattern=callbacks.pattern(KIND)),
                  MessageHandler(filters.TEXT & ~filters.COMMAND, on_nip), other],
            PHONE: [MessageHandler(filters.CONTACT, on_contact),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, on_phone_text), other],
            CONFIRM: [button(on_confirm, pattern=callbacks.pattern(KIND)), other],
        },
        fallbacks=[*cancel_handlers(), CommandHandler("start", start)],
        allow_reentry=True,
    )
    app.add_handler(conversation)
    registration_approval.register(app)
