"""Admin tools for officials: one-time invite links, and the list to approve, deactivate or move."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import NotAllowed
from bot.i18n import Translator
from bot.policy import Action
from bot.services import officials as official_service
from bot.services import regions as region_service
from handlers.common import (
    CommandSpec,
    buttons,
    edit_or_send,
    guard,
    notify,
    refuse,
    reply,
    sync_menu,
)
from handlers.region_picker import region_keyboard
from models.officials import Official, OfficialStatus, Role
from models.regions import RegionLevel

COMMANDS = [
    CommandSpec("undang", Action.INVITE, "officials.commands.undang", ("invite",)),
    CommandSpec("pejabat", Action.MANAGE_OFFICIALS, "officials.commands.pejabat", ("officials",)),
]
INVITE_KINDS = {"invl": Role.LURAH, "invc": Role.CAMAT, "inva": Role.ADMIN}
MOVE_KIND = "offm"
MOVE_DRAFT = "draft_move_official"
PAGE_SIZE = 8


def _invitable_roles(actor: Official) -> list[Role]:
    roles = [Role.LURAH, Role.CAMAT]
    return roles + [Role.ADMIN] if actor.role == Role.SUPERADMIN else roles


@guard(Action.INVITE)
async def start_invite(update: Update, context: WilayahContext) -> None:
    """/undang: choose the role the link will grant."""
    actor = context.official
    assert actor is not None
    tr = context.tr
    kind_of = {role: kind for kind, role in INVITE_KINDS.items()}
    await reply(update, context, "officials.invite.ask_role", reply_markup=buttons(
        [[(tr(f"common.roles.{role}"), callbacks.pack(kind_of[role], "start"))]
         for role in _invitable_roles(actor)]))


async def _region_list(context: WilayahContext, parent: str | None) -> list[Any]:
    async with context.db.session() as session:
        if parent is None:
            return list(await region_service.regions_at_level(session, RegionLevel.KABKOTA))
        return list(await region_service.children(session, parent))


def _root(actor: Official) -> str | None:
    return None if actor.role == Role.SUPERADMIN else actor.region_code


@guard(Action.INVITE)
async def on_invite_button(update: Update, context: WilayahContext) -> None:
    """Walk down the region tree to the level of the invited role, then make the link."""
    query = update.callback_query
    actor = context.official
    assert query is not None and actor is not None
    data = callbacks.parse(query.data)
    role = INVITE_KINDS.get(data.kind) if data else None
    if data is None or role is None or role not in _invitable_roles(actor):
        await refuse(update, context, "common.errors.stale_button")
        return
    action, tr = data.arg(0), context.tr
    if action in ("start", "page"):
        parent = _root(actor) if action == "start" else (None if data.arg(1) == "-"
                                                         else data.arg(1))
        if not region_service.is_within(parent, _root(actor)) and parent is not None:
            raise NotAllowed()
        await query.answer()
        regions = await _region_list(context, parent)
        await edit_or_send(update, context, tr("officials.invite.ask_region"),
                           reply_markup=region_keyboard(regions, kind=data.kind, parent=parent,
                                                        page=data.int_arg(2) or 0, tr=tr))
        return
    if action != "pick":
        await refuse(update, context, "common.errors.stale_button")
        return
    code = data.arg(1)
    async with context.db.session() as session:
        region = await region_service.get_region(session, code)
    if region is None or not region_service.is_within(code, _root(actor)):
        raise NotAllowed()
    await query.answer()
    if region.level not in official_service.ROLE_LEVELS[role]:
        regions = await _region_list(context, code)
        await edit_or_send(update, context, tr("officials.invite.ask_region"),
                           reply_markup=region_keyboard(regions, kind=data.kind, parent=code,
                                                        page=0, tr=tr))
        return
    ttl = timedelta(hours=context.settings.bot.invite_ttl_hours)
    async with context.db.session() as session:
        invite = await official_service.create_invite(session, context.clock, actor=actor,
                                                      role=role, region_code=code, ttl=ttl)
        described = await region_service.describe(session, code)
    link = f"https://t.me/{context.bot.username}?start={invite.code}"
    zone = region_service.timezone_for(code)
    await edit_or_send(update, context, tr(
        "officials.invite.link", role=tr(f"common.roles.{role}"), region=described, link=link,
        expires=tr.datetime(invite.expires_at, zone)))


@guard(Action.MANAGE_OFFICIALS)
async def list_officials(update: Update, context: WilayahContext) -> None:
    """/pejabat: officials of the admin's area, pending first."""
    await _show_page(update, context, 0)


async def _show_page(update: Update, context: WilayahContext, page: int) -> None:
    actor = context.official
    assert actor is not None
    tr = context.tr
    async with context.db.session() as session:
        rows, total = await official_service.list_in_scope(session, actor=actor, page=page,
                                                           page_size=PAGE_SIZE)
    if not total:
        await edit_or_send(update, context, tr("officials.list.empty"))
        return
    keyboard = [[(_label(tr, o), callbacks.pack("off", "show", o.id))] for o in rows]
    nav = []
    if page > 0:
        nav.append((tr("common.buttons.prev"), callbacks.pack("off", "page", page - 1)))
    if (page + 1) * PAGE_SIZE < total:
        nav.append((tr("common.buttons.next"), callbacks.pack("off", "page", page + 1)))
    if nav:
        keyboard.append(nav)
    await edit_or_send(update, context, tr("officials.list.header", total=total,
                                           page=page + 1), reply_markup=buttons(keyboard))


def _label(tr: Translator, official: Official) -> str:
    mark = {"pending": "⏳", "active": "✅", "deactivated": "⛔", "rejected": "✖"}
    return f"{mark.get(official.status, '')} {official.full_name} · {tr(f'common.roles.{official.role}')}"


@guard(Action.MANAGE_OFFICIALS)
async def on_official_button(update: Update, context: WilayahContext) -> None:
    """Open an official, deactivate/reactivate, or start moving them to another region."""
    query = update.callback_query
    actor = context.official
    assert query is not None and actor is not None
    data = callbacks.parse(query.data)
    action = data.arg(0) if data else ""
    if data is not None and action == "page":
        await query.answer()
        await _show_page(update, context, data.int_arg(1) or 0)
        return
    official_id = data.int_arg(1) if data else None
    if official_id is None or action not in ("show", "set", "move"):
        await refuse(update, context, "common.errors.stale_button")
        return
    async with context.db.session() as session:
        target = await official_service.get(session, official_id)
        if not official_service.can_manage(actor, target):
            raise NotAllowed()
        if action == "set":
            target = await official_service.set_status(
                session, context.clock, actor=actor, official_id=official_id,
                active=data.arg(2) == "1")  # type: ignore[union-attr]
        region = await region_service.describe(session, target.region_code)
    await query.answer()
    tr = context.tr
    if action == "set":
        key = "officials.you_are_reactivated" if target.status == OfficialStatus.ACTIVE \
            else "officials.you_are_deactivated"
        await notify(context, target, Translator(target.language)(key))
        await sync_menu(context.bot, target)
    if action == "move":
        context.user_data[MOVE_DRAFT] = target.id
        regions = await _region_list(context, _root(actor))
        await edit_or_send(update, context, tr("officials.move.ask_region", name=target.full_name),
                           reply_markup=region_keyboard(regions, kind=MOVE_KIND,
                                                        parent=_root(actor), page=0, tr=tr))
        return
    await _show_official(update, context, target, region)


async def _show_official(update: Update, context: WilayahContext, target: Official,
                         region: str) -> None:
    tr = context.tr
    rows: list[list[tuple[str, str]]] = []
    if target.status == OfficialStatus.PENDING:
        rows.append([(tr("registration.buttons.approve"), callbacks.pack("appr", target.id, "y")),
                     (tr("registration.buttons.reject"), callbacks.pack("appr", target.id, "n"))])
    elif target.status == OfficialStatus.ACTIVE:
        rows.append([(tr("officials.buttons.deactivate"), callbacks.pack("off", "set", target.id,
                                                                          0))])
    elif target.status == OfficialStatus.DEACTIVATED:
        rows.append([(tr("officials.buttons.reactivate"), callbacks.pack("off", "set", target.id,
                                                                          1))])
    rows.append([(tr("officials.buttons.move"), callbacks.pack("off", "move", target.id))])
    rows.append([(tr("common.buttons.back"), callbacks.pack("off", "page", 0))])
    await edit_or_send(update, context, tr(
        "officials.detail", name=target.full_name, role=tr(f"common.roles.{target.role}"),
        region=region, status=tr(f"officials.status.{target.status}"),
        nip=target.nip or "-", phone=official_service.mask(target.phone)),
        reply_markup=buttons(rows))


@guard(Action.MANAGE_OFFICIALS)
async def on_move_button(update: Update, context: WilayahContext) -> None:
    """Pick the new region for the official being moved."""
    query = update.callback_query
    actor = context.official
    assert query is not None and actor is not None
    data = callbacks.parse(query.data)
    target_id = context.user_data.get(MOVE_DRAFT)
    if data is None or target_id is None or data.arg(0) not in ("pick", "page"):
        await refuse(update, context, "common.errors.stale_button")
        return
    tr = context.tr
    if data.arg(0) == "page":
        parent = None if data.arg(1) == "-" else data.arg(1)
        if parent is not None and not region_service.is_within(parent, _root(actor)):
            raise NotAllowed()
        await query.answer()
        await edit_or_send(update, context, tr("officials.move.ask_region_short"),
                           reply_markup=region_keyboard(await _region_list(context, parent),
                                                        kind=MOVE_KIND, parent=parent,
                                                        page=data.int_arg(2) or 0, tr=tr))
        return
    code = data.arg(1)
    async with context.db.session() as session:
        target = await official_service.get(session, target_id)
        region = await region_service.get_region(session, code)
        if region is None or not region_service.is_within(code, _root(actor)):
            raise NotAllowed()
        if region.level not in official_service.ROLE_LEVELS[Role(target.role)]:
            await query.answer()
            await edit_or_send(update, context, tr("officials.move.ask_region_short"),
                               reply_markup=region_keyboard(await _region_list(context, code),
                                                            kind=MOVE_KIND, parent=code,
                                                            page=0, tr=tr))
            return
        target = await official_service.move(session, context.clock, actor=actor,
                                             official_id=target_id, region_code=code)
        described = await region_service.describe(session, code)
    await query.answer()
    context.user_data.pop(MOVE_DRAFT, None)
    await notify(context, target, Translator(target.language)("officials.you_are_moved",
                                                              region=described))
    await _show_official(update, context, target, described)


def register(app: Any) -> None:
    app.add_handler(CommandHandler(["undang", "invite"], start_invite))
    app.add_handler(CommandHandler(["pejabat", "officials"], list_officials))
    app.add_handler(CallbackQueryHandler(on_invite_button, pattern=r"^w1:inv[lca]:"))
    app.add_handler(CallbackQueryHandler(on_official_button, pattern=callbacks.pattern("off")))
    app.add_handler(CallbackQueryHandler(on_move_button, pattern=callbacks.pattern(MOVE_KIND)))
