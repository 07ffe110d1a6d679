"""The questions of /start registration: role, region, name, NIP, phone, and the summary.

The conversation's entry, confirmation and wiring live in `registration`; admins' decisions
in `registration_approval`.
"""

from __future__ import annotations

from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.services import officials as official_service
from bot.services import regions as region_service
from handlers.common import (
    buttons,
    edit_or_send,
    load_official,
    refuse,
    reply,
    send_html,
)
from handlers.region_picker import region_keyboard
from models.officials import Role
from models.regions import RegionLevel

ROLE, REGION, NAME, NIP, PHONE, CONFIRM = range(6)
DRAFT = "draft_registration"
KIND = "reg"
ROLE_CHOICES = (Role.LURAH, Role.CAMAT, Role.ADMIN)
FINAL_LEVELS = official_service.ROLE_LEVELS


def draft_of(context: WilayahContext) -> dict[str, Any]:
    """The answers given so far (user_data is persisted, so a restart keeps them)."""
    return context.user_data.setdefault(DRAFT, {})


async def ask_role(update: Update, context: WilayahContext) -> int:
    """Ask which office the newcomer holds."""
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
    draft = draft_of(context)
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
    draft = draft_of(context)
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
        return await _after_step(update, context, ask_name)
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
    return await _show_regions(update, context, parent=draft_of(context).get("parent"), page=0,
                               name_filter=text)


async def ask_name(update: Update, context: WilayahContext) -> int:
    """Ask the full name."""
    await reply(update, context, "registration.ask_name")
    return NAME


async def on_name(update: Update, context: WilayahContext) -> int:
    """The full name, as on official documents."""
    await load_official(update, context)
    try:
        draft_of(context)["name"] = official_service.clean_full_name(
            update.effective_message.text or "")  # type: ignore[union-attr]
    except DomainError as error:
        await reply(update, context, error.key)
        return NAME
    return await _after_step(update, context, ask_nip)


async def ask_nip(update: Update, context: WilayahContext) -> int:
    """Ask the NIP, with a button to skip it."""
    await reply(update, context, "registration.ask_nip", reply_markup=buttons(
        [[(context.tr("registration.buttons.skip"), callbacks.pack(KIND, "nip", "skip"))]]))
    return NIP


async def on_nip(update: Update, context: WilayahContext) -> int:
    """NIP: 18 digits, or skipped."""
    await load_official(update, context)
    try:
        draft_of(context)["nip"] = official_service.clean_nip(
            update.effective_message.text or "")  # type: ignore[union-attr]
    except DomainError as error:
        await reply(update, context, error.key)
        return NIP
    return await _after_step(update, context, ask_phone)


async def on_nip_skip(update: Update, context: WilayahContext) -> int | None:
    await load_official(update, context)
    assert update.callback_query is not None
    data = callbacks.parse(update.callback_query.data)
    if data is None or data.args != ("nip", "skip"):
        await refuse(update, context, "common.errors.stale_button")
        return None
    await update.callback_query.answer()
    draft_of(context)["nip"] = None
    return await _after_step(update, context, ask_phone)


async def ask_phone(update: Update, context: WilayahContext) -> int:
    """Ask for the user's own contact card."""
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
        draft_of(context)["phone"] = official_service.clean_phone(message.contact.phone_number)
    except DomainError as error:
        await reply(update, context, error.key)
        return PHONE
    await reply(update, context, "registration.phone_received",
                reply_markup=ReplyKeyboardRemove())
    return await show_summary(update, context)


async def on_phone_text(update: Update, context: WilayahContext) -> int:
    await load_official(update, context)
    await reply(update, context, "registration.hint.phone")
    return PHONE


async def _after_step(update: Update, context: WilayahContext, ask_next: Any) -> int:
    """Go on to the next question, or back to the summary when editing one answer."""
    if draft_of(context).get("reviewing"):
        return await show_summary(update, context)
    return int(await ask_next(update, context))


async def show_summary(update: Update, context: WilayahContext) -> int:
    """Every answer, with Kirim / Ubah / Batal."""
    draft = draft_of(context)
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

