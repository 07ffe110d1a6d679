"""/start: registration of a new official (role, region, name, NIP, phone) and its approval."""

from __future__ import annotations

from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
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
from bot.i18n import Translator
from bot.policy import Action
from bot.services import officials as official_service
from bot.services import regions as region_service
from handlers.common import (
    CommandSpec,
    buttons,
    cancel_handlers,
    edit_or_send,
    guard,
    help_text,
    load_official,
    notify,
    refuse,
    reply,
    send_html,
    sync_menu,
)
from handlers.region_picker import region_keyboard
from models.officials import Official, OfficialStatus, Role
from models.regions import RegionLevel

ROLE, REGION, NAME, NIP, PHONE, CONFIRM = range(6)
DRAFT = "draft_registration"
KIND = "reg"
ROLE_CHOICES = (Role.LURAH, Role.CAMAT, Role.ADMIN)
FINAL_LEVELS = official_service.ROLE_LEVELS

COMMANDS = [CommandSpec("start", Action.HELP, "registration.commands.start")]


def _draft(context: WilayahContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})


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
        return await _ask_name(update, context)
    await reply(update, context, "registration.intro")
    return await _ask_role(update, context)


async def _greet_known(update: Update, context: WilayahContext, official: Official) -> int:
    if official.status != OfficialStatus.ACTIVE:
        await refuse(update, context, f"common.access.{official.status}")
        return ConversationHandler.END
    await reply(update, context, "registration.welcome_back", name=official.full_name)
    await send_html(update, context, help_text(context.tr, Role(official.role)))
    return ConversationHandler.END


async def _ask_role(update: Update, context: WilayahContext) -> int:
    tr = context.tr
    await send_html(update, context, tr("registration.ask_role"), reply_markup=buttons(
        [[(tr(f"registration.role_choice.{role}"), callbacks.pack(KIND, "role", role))]
         for role in ROLE_CHOICES]))
    return ROLE


async def on_role(update: Update, context: WilayahContext) -> int | None:
    """A role was chosen: show the kab/kota list."""
    query = update.callback_query
    assert query is not None
    await load_official(update, context)
    data = callbacks.parse(query.data)
    if data is None or data.arg(1) not in {str(r) for r in ROLE_CHOICES}:
        await refuse(update, context, "common.errors.stale_button")
        return None
    await query.answer()
    draft = _draft(context)
    draft.update(role=data.arg(1), parent=None)
    draft.pop("region", None)
    return await _show_regions(update, context, parent=None, page=0)


async def _show_regions(update: Update, context: WilayahContext, *, parent: str | None,
                        page: int, name_filter: str | None = None) -> int:
    async with context.db.session() as session:
        if parent is None:
            regions = await region_service.regions_at_level(session, RegionLevel.KABKOTA)
            if name_filter:
                regions = [r for r in regions if name_filter.lower() in r.name.lower()]
        else:
            regions = await region_service.children(session, parent, name_filter=name_filter)
        parent_name = await region_service.describe(session, parent) if parent else ""
    tr = context.tr
    if not regions:
        await reply(update, context, "registration.no_region_match", text=name_filter or "")
        return REGION
    key = "registration.ask_kabkota" if parent is None else "registration.ask_child"
    markup = region_keyboard(regions, kind=KIND, parent=parent, page=page, tr=tr,
                             back=parent is not None)
    text = tr(key, parent=parent_name)
    if update.callback_query is not None and not name_filter:
        await edit_or_send(update, context, text, reply_markup=markup)
    else:
        await send_html(update, context, text, reply_markup=markup)
    return REGION


async def on_region_button(update: Update, context: WilayahContext) -> int | None:
    """Pick a region, turn a page, or go up a level."""
    query = update.callback_query
    assert query is not None
    await load_official(update, context)
    data = callbacks.parse(query.data)
    draft = _draft(context)
    if data is None or "role" not in draft:
        await refuse(update, context, "common.errors.stale_button")
        return None
    action = data.arg(0)
    if action == "page":
        await query.answer()
        parent = None if data.arg(1) == "-" else data.arg(1)
        return await _show_regions(update, context, parent=parent, page=data.int_arg(2) or 0)
    if action == "up":
        await query.answer()
        parent = region_service.parent_of(draft["parent"]) if draft.get("parent") else None
        if parent is not None and parent.count(".") < 1:
            parent = None
        draft["parent"] = parent
        return await _show_regions(update, context, parent=parent, page=0)
    if action != "pick":
        await refuse(update, context, "common.errors.stale_button")
        return None
    async with context.db.session() as session:
        region = await region_service.get_region(session, data.arg(1))
    if region is None or not region_service.is_within(region.code, draft.get("parent")):
        await refuse(update, context, "common.errors.stale_button")
        return None
    await query.answer()
    if region.level in FINAL_LEVELS[Role(draft["role"])]:
        draft["region"] = region.code
        async with context.db.session() as session:
            described = await region_service.describe(session, region.code)
        await edit_or_send(update, context, context.tr("registration.region_chosen",
                                                       region=described))
        return await _after_step(update, context, _ask_name)
    if region.level in (RegionLevel.KELURAHAN, RegionLevel.DESA):
        await refuse(update, context, "common.errors.stale_button")
        return None
    draft["parent"] = region.code
    return await _show_regions(update, context, parent=region.code, page=0)


async def on_region_text(update: Update, context: WilayahContext) -> int:
    """Typing part of a name narrows the list."""
    await load_official(update, context)
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    if not text or len(text) > 60:
        await reply(update, context, "registration.hint.region")
        return REGION
    return await _show_regions(update, context, parent=_draft(context).get("parent"), page=0,
                               name_filter=text)


async def _ask_name(update: Update, context: WilayahContext) -> int:
    await reply(update, context, "registration.ask_name")
    return NAME


async def on_name(update: Update, context: WilayahContext) -> int:
    """The full name, as on official documents."""
    await load_official(update, context)
    try:
        _draft(context)["name"] = official_service.clean_full_name(
            update.effective_message.text or "")  # type: ignore[union-attr]
    except DomainError as error:
        await reply(update, context, error.key)
        return NAME
    return await _after_step(update, context, _ask_nip)


async def _ask_nip(update: Update, context: WilayahContext) -> int:
    await reply(update, context, "registration.ask_nip", reply_markup=buttons(
        [[(context.tr("registration.buttons.skip"), callbacks.pack(KIND, "nip", "skip"))]]))
    return NIP


async def on_nip(update: Update, context: WilayahContext) -> int:
    """NIP: 18 digits, or skipped."""
    await load_official(update, context)
    try:
        _draft(context)["nip"] = official_service.clean_nip(
            update.effective_message.text or "")  # type: ignore[union-attr]
    except DomainError as error:
        await reply(update, context, error.key)
        return NIP
    return await _after_step(update, context, _ask_phone)


async def on_nip_skip(update: Update, context: WilayahContext) -> int | None:
    await load_official(update, context)
    assert update.callback_query is not None
    data = callbacks.parse(update.callback_query.data)
    if data is None or data.args != ("nip", "skip"):
        await refuse(update, context, "common.errors.stale_button")
        return None
    await update.callback_query.answer()
    _draft(context)["nip"] = None
    return await _after_step(update, context, _ask_phone)


async def _ask_phone(update: Update, context: WilayahContext) -> int:
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(context.tr("registration.buttons.share_contact"), request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True)
    await reply(update, context, "registration.ask_phone", reply_markup=keyboard)
    return PHONE


async def on_contact(update: Update, context: WilayahContext) -> int:
    """The phone must come from the user's own contact card."""
    await load_official(update, context)
    message = update.effective_message
    assert message is not None and message.contact is not None
    if message.contact.user_id != (update.effective_user.id if update.effective_user else None):
        await reply(update, context, "registration.errors.not_own_contact")
        return PHONE
    try:
        _draft(context)["phone"] = official_service.clean_phone(message.contact.phone_number)
    except DomainError as error:
        await reply(update, context, error.key)
        return PHONE
    await reply(update, context, "registration.phone_received",
                reply_markup=ReplyKeyboardRemove())
    return await _show_summary(update, context)


async def on_phone_text(update: Update, context: WilayahContext) -> int:
    await load_official(update, context)
    await reply(update, context, "registration.hint.phone")
    return PHONE


async def _after_step(update: Update, context: WilayahContext, ask_next: Any) -> int:
    """Go on to the next question, or back to the summary when editing one answer."""
    if _draft(context).get("reviewing"):
        return await _show_summary(update, context)
    return int(await ask_next(update, context))


async def _show_summary(update: Update, context: WilayahContext) -> int:
    draft = _draft(context)
    draft["reviewing"] = True
    tr = context.tr
    async with context.db.session() as session:
        region = await region_service.describe(session, draft.get("region"))
    rows = [[(tr("registration.buttons.send"), callbacks.pack(KIND, "send"))],
            [(tr("registration.buttons.edit"), callbacks.pack(KIND, "edit")),
             (tr("registration.buttons.cancel"), callbacks.pack(KIND, "cancel"))]]
    await send_html(update, context, tr(
        "registration.summary", role=tr(f"common.roles.{draft.get('role')}"), region=region,
        name=draft.get("name", "-"), nip=draft.get("nip") or "-",
        phone=official_service.mask(draft.get("phone"))), reply_markup=buttons(rows))
    return CONFIRM


async def on_confirm(update: Update, context: WilayahContext) -> int | None:
    """Kirim, Ubah (choose what to change) or Batal."""
    query = update.callback_query
    assert query is not None
    await load_official(update, context)
    data = callbacks.parse(query.data)
    draft = _draft(context)
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
        asks = {"role": _ask_role, "name": _ask_name, "nip": _ask_nip, "phone": _ask_phone}
        ask = asks.get(data.arg(1)) if data else None
        if ask is None or (ask is _ask_role and "invite" in draft):
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
        await _ask_approval(context, approver, official, region)
    return ConversationHandler.END


async def _ask_approval(context: WilayahContext, approver: Official, applicant: Official,
                        region: str) -> None:
    tr = Translator(approver.language)
    await notify(context, approver, tr(
        "registration.approval_request", name=applicant.full_name,
        role=tr(f"common.roles.{applicant.role}"), region=region,
        nip=applicant.nip or "-", phone=official_service.mask(applicant.phone)),
        reply_markup=buttons([[
            (tr("registration.buttons.approve"), callbacks.pack("appr", applicant.id, "y")),
            (tr("registration.buttons.reject"), callbacks.pack("appr", applicant.id, "n"))]]))


@guard(Action.APPROVE_REGISTRATION)
async def on_decision(update: Update, context: WilayahContext) -> None:
    """Setujui / Tolak on a registration, pressed by an admin of that area."""
    query = update.callback_query
    assert query is not None and context.official is not None
    data = callbacks.parse(query.data)
    official_id = data.int_arg(0) if data else None
    if data is None or official_id is None or data.arg(1) not in {"y", "n"}:
        await refuse(update, context, "common.errors.stale_button")
        return
    approve = data.arg(1) == "y"
    async with context.db.session() as session:
        applicant = await official_service.decide(session, context.clock, actor=context.official,
                                                  official_id=official_id, approve=approve)
        region = await region_service.describe(session, applicant.region_code)
    await query.answer()
    tr = context.tr
    outcome = "registration.decided_approved" if approve else "registration.decided_rejected"
    await edit_or_send(update, context, tr(outcome, name=applicant.full_name, region=region))
    applicant_tr = Translator(applicant.language)
    if approve:
        await notify(context, applicant, applicant_tr("registration.you_are_approved"))
        await notify(context, applicant, help_text(applicant_tr, Role(applicant.role)))
        await sync_menu(context.bot, applicant)
    else:
        await notify(context, applicant, applicant_tr("registration.you_are_rejected"))


async def unexpected_in_step(update: Update, context: WilayahContext) -> None:
    """Anything the current step cannot use: say what is expected; the draft stays."""
    await load_official(update, context)
    await reply(update, context, "registration.hint.generic")


def register(app: Any) -> None:
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
    app.add_handler(CallbackQueryHandler(on_decision, pattern=callbacks.pattern("appr")))
