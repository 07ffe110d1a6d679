"""Choosing who receives a broadcast: everyone, a role, chosen regions or chosen officials.

Every choice is re-checked against the database and the admin's area; the service checks the
whole description again before anything is stored.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import NotAllowed
from bot.policy import Action
from bot.services import regions as region_service
from bot.services.broadcasts_audience import (
    MAX_CHOSEN,
    Audience,
    AudienceKind,
    find_officials,
)
from handlers.common import (
    buttons,
    edit_or_send,
    guard,
    load_official,
    refuse,
    reply,
    send_html,
)
from handlers.region_picker import region_keyboard
from models.officials import Official, OfficialStatus, Role
from models.regions import RegionLevel

DRAFT = "draft_broadcast"
AUDIENCE, REGIONS, OFFICIALS = range(3)
AUDIENCE_KIND = "bc.au"
REGION_KIND = "bc.rg"
OFFICIAL_KIND = "bc.of"
_LEAF_LEVELS = {RegionLevel.KELURAHAN, RegionLevel.DESA}


def draft_of(context: WilayahContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})  # type: ignore[no-any-return]


def _actor(context: WilayahContext) -> Official:
    assert context.official is not None
    return context.official


def _roles_for(actor: Official) -> list[Role]:
    roles = [Role.LURAH, Role.CAMAT]
    return roles + [Role.ADMIN] if actor.role == Role.SUPERADMIN else roles


async def ask_audience(update: Update, context: WilayahContext) -> int:
    """Offer the kinds of audience."""
    tr = context.tr
    rows = [[(tr("broadcasts.audience.choose_all"), callbacks.pack(AUDIENCE_KIND, "all"))]]
    rows += [[(tr("broadcasts.audience.choose_role", role=tr(f"common.roles.{role}")),
               callbacks.pack(AUDIENCE_KIND, "role", role.value))]
             for role in _roles_for(_actor(context))]
    rows += [[(tr("broadcasts.audience.choose_regions"),
               callbacks.pack(AUDIENCE_KIND, "regions"))],
             [(tr("broadcasts.audience.choose_officials"),
               callbacks.pack(AUDIENCE_KIND, "officials"))]]
    await send_html(update, context, tr("broadcasts.audience.ask"), reply_markup=buttons(rows))
    return AUDIENCE


async def _chosen(update: Update, context: WilayahContext, audience: Audience) -> int:
    draft = draft_of(context)
    draft["audience"] = audience.to_json()
    for key in ("pick_parent", "pick_codes", "pick_ids", "pick_found"):
        draft.pop(key, None)
    from handlers.broadcasts import after_audience  # the compose module imports this one

    return await after_audience(update, context)


@guard(Action.BROADCAST)
async def on_audience(update: Update, context: WilayahContext) -> int | None:
    """Everyone, a role, or start choosing regions or officials."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    action = data.arg(0) if data else ""
    actor = _actor(context)
    tr = context.tr
    if action == "all":
        await query.answer()
        await edit_or_send(update, context, tr("broadcasts.audience.chose_all"))
        return await _chosen(update, context, Audience())
    if action == "role" and data is not None and data.arg(1) in {r.value for r in
                                                                 _roles_for(actor)}:
        role = Role(data.arg(1))
        await query.answer()
        await edit_or_send(update, context, tr("broadcasts.audience.chose_role",
                                               role=tr(f"common.roles.{role}")))
        return await _chosen(update, context, Audience(AudienceKind.ROLE, role=role))
    if action == "regions":
        await query.answer()
        draft = draft_of(context)
        draft.update(pick_parent=region_service.scope_of(actor), pick_codes=[])
        return await show_regions(update, context, page=0)
    if action == "officials":
        await query.answer()
        draft_of(context).update(pick_ids=[], pick_found=[])
        await edit_or_send(update, context, tr("broadcasts.audience.ask_official_name"))
        return OFFICIALS
    await refuse(update, context, "common.errors.stale_button")
    return None


async def hint_audience(update: Update, context: WilayahContext) -> int:
    await load_official(update, context)
    await reply(update, context, "broadcasts.audience.hint_choose")
    return AUDIENCE


# --- regions ---------------------------------------------------------------------------------

async def show_regions(update: Update, context: WilayahContext, *, page: int,
                       name_filter: str | None = None) -> int:
    """Children of the current level; kecamatan open, kelurahan/desa are added or removed."""
    draft = draft_of(context)
    parent: str | None = draft.get("pick_parent")
    root = region_service.scope_of(_actor(context))
    tr = context.tr
    async with context.db.session() as session:
        if parent is None:
            regions = list(await region_service.regions_at_level(session, RegionLevel.KABKOTA))
            if name_filter:
                regions = [r for r in regions if name_filter.lower() in r.name.lower()]
        else:
            regions = list(await region_service.children(session, parent,
                                                         name_filter=name_filter))
        chosen = [await region_service.describe(session, code) for code in draft["pick_codes"]]
        parent_name = await region_service.describe(session, parent) if parent else ""
    if name_filter and not regions:
        await reply(update, context, "broadcasts.audience.no_region_match", text=name_filter)
        return REGIONS
    markup = region_keyboard(regions, kind=REGION_KIND, parent=parent, page=page, tr=tr,
                             back=parent != root)
    extra: list[list[InlineKeyboardButton]] = []
    if parent is not None and parent != root:
        extra.append([InlineKeyboardButton(tr("broadcasts.audience.whole", name=parent_name),
                                           callback_data=callbacks.pack(REGION_KIND, "all"))])
    if chosen:
        extra.append([InlineKeyboardButton(
            tr("broadcasts.audience.done", count=len(chosen)),
            callback_data=callbacks.pack(REGION_KIND, "done"))])
    keyboard = InlineKeyboardMarkup([*markup.inline_keyboard, *extra])
    text = tr("broadcasts.audience.regions_prompt", chosen="; ".join(chosen) or "—")
    if update.callback_query is not None and not name_filter:
        await edit_or_send(update, context, text, reply_markup=keyboard)
    else:
        await send_html(update, context, text, reply_markup=keyboard)
    return REGIONS


@guard(Action.BROADCAST)
async def on_region_button(update: Update, context: WilayahContext) -> int | None:
    """Open a level, turn a page, go up, add/remove a region, add a whole kecamatan, done."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    draft = draft_of(context)
    action = data.arg(0) if data else ""
    root = region_service.scope_of(_actor(context))
    if data is None or "pick_codes" not in draft:
        await refuse(update, context, "common.errors.stale_button")
        return None
    codes: list[str] = draft["pick_codes"]
    if action == "page":
        parent = None if data.arg(1) == "-" else data.arg(1)
        if parent != draft.get("pick_parent"):
            raise NotAllowed()
        await query.answer()
        return await show_regions(update, context, page=data.int_arg(2) or 0)
    if action == "up":
        await query.answer()
        parent = draft.get("pick_parent")
        if parent is not None and parent != root:
            up = region_service.parent_of(parent)
            draft["pick_parent"] = None if up is None or "." not in up else up
        return await show_regions(update, context, page=0)
    if action == "all":
        parent = draft.get("pick_parent")
        if parent is None or parent == root:
            await refuse(update, context, "common.errors.stale_button")
            return None
        await query.answer()
        _toggle(codes, parent, add_only=True)
        return await show_regions(update, context, page=0)
    if action == "done":
        if not codes:
            await refuse(update, context, "common.errors.stale_button")
            return None
        await query.answer()
        await edit_or_send(update, context, context.tr("broadcasts.audience.chose_regions"))
        return await _chosen(update, context, Audience(AudienceKind.REGIONS,
                                                       region_codes=tuple(codes)))
    if action != "pick":
        await refuse(update, context, "common.errors.stale_button")
        return None
    async with context.db.session() as session:
        region = await region_service.get_region(session, data.arg(1))
    if region is None or not region_service.is_within(region.code, root):
        raise NotAllowed()
    await query.answer()
    if region.level in _LEAF_LEVELS:
        if not _toggle(codes, region.code):
            await reply(update, context, "broadcasts.audience.too_many", limit=MAX_CHOSEN)
    else:
        draft["pick_parent"] = region.code
    return await show_regions(update, context, page=0)


def _toggle(chosen: list[Any], item: Any, *, add_only: bool = False) -> bool:
    """Add or remove an item; False when the list is full."""
    if item in chosen:
        if not add_only:
            chosen.remove(item)
        return True
    if len(chosen) >= MAX_CHOSEN:
        return False
    chosen.append(item)
    return True


@guard(Action.BROADCAST)
async def on_region_text(update: Update, context: WilayahContext) -> int:
    """Typing part of a name narrows the list."""
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    if "pick_codes" not in draft_of(context) or not text or len(text) > 60:
        return await hint_regions(update, context)
    return await show_regions(update, context, page=0, name_filter=text)


async def hint_regions(update: Update, context: WilayahContext) -> int:
    await load_official(update, context)
    await reply(update, context, "broadcasts.audience.hint_regions")
    return REGIONS


# --- officials -------------------------------------------------------------------------------

@guard(Action.BROADCAST)
async def on_official_search(update: Update, context: WilayahContext) -> int:
    """Part of a name → matching officials to tick."""
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    draft = draft_of(context)
    if "pick_ids" not in draft or not 2 <= len(text) <= 60:
        return await hint_officials(update, context)
    async with context.db.session() as session:
        found = await find_officials(session, sender=_actor(context), name_part=text)
    if not found:
        await reply(update, context, "broadcasts.audience.no_official_match", text=text)
        return OFFICIALS
    draft["pick_found"] = [[o.id, o.full_name, str(o.role)] for o in found]
    await send_html(update, context, context.tr("broadcasts.audience.pick_officials"),
                    reply_markup=_officials_keyboard(context))
    return OFFICIALS


def _officials_keyboard(context: WilayahContext) -> InlineKeyboardMarkup:
    draft = draft_of(context)
    tr = context.tr
    chosen = set(draft.get("pick_ids", []))
    rows = [[(("☑ " if official_id in chosen else "☐ ")
              + f"{name} · {tr(f'common.roles.{role}')}",
              callbacks.pack(OFFICIAL_KIND, "t", official_id))]
            for official_id, name, role in draft.get("pick_found", [])]
    if chosen:
        rows.append([(tr("broadcasts.audience.done", count=len(chosen)),
                      callbacks.pack(OFFICIAL_KIND, "done"))])
    return buttons(rows)


@guard(Action.BROADCAST)
async def on_official_button(update: Update, context: WilayahContext) -> int | None:
    """Tick or untick an official; done."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    draft = draft_of(context)
    if data is None or "pick_ids" not in draft:
        await refuse(update, context, "common.errors.stale_button")
        return None
    chosen: list[int] = draft["pick_ids"]
    if data.arg(0) == "done" and chosen:
        await query.answer()
        await edit_or_send(update, context, context.tr("broadcasts.audience.chose_officials",
                                                       count=len(chosen)))
        return await _chosen(update, context, Audience(AudienceKind.OFFICIALS,
                                                       official_ids=tuple(chosen)))
    official_id = data.int_arg(1)
    if data.arg(0) != "t" or official_id is None:
        await refuse(update, context, "common.errors.stale_button")
        return None
    async with context.db.session() as session:
        official = await session.get(Official, official_id)
    scope = region_service.scope_of(_actor(context))
    if official is None or official.status != OfficialStatus.ACTIVE or \
            not region_service.is_within(official.region_code, scope):
        raise NotAllowed()
    if not _toggle(chosen, official_id):
        await refuse(update, context, "broadcasts.audience.too_many", limit=MAX_CHOSEN)
        return None
    await query.answer()
    await edit_or_send(update, context, context.tr("broadcasts.audience.pick_officials"),
                       reply_markup=_officials_keyboard(context))
    return OFFICIALS


async def hint_officials(update: Update, context: WilayahContext) -> int:
    await load_official(update, context)
    await reply(update, context, "broadcasts.audience.hint_officials")
    return OFFICIALS


def audience_handlers() -> list[CallbackQueryHandler[Any, Any]]:
    return [CallbackQueryHandler(on_audience, pattern=callbacks.pattern(AUDIENCE_KIND))]


def region_handlers() -> list[CallbackQueryHandler[Any, Any]]:
    return [CallbackQueryHandler(on_region_button, pattern=callbacks.pattern(REGION_KIND))]


def official_handlers() -> list[CallbackQueryHandler[Any, Any]]:
    return [CallbackQueryHandler(on_official_button, pattern=callbacks.pattern(OFFICIAL_KIND))]
