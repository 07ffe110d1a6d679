"""/perekaman_baru: target kelurahan, time window, place, target group, target counts, send."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import Translator
from bot.policy import Action
from bot.services import drives as drive_service
from bot.services import regions as region_service
from handlers.common import buttons, cancel_handlers, edit_or_send, guard, reply, send_html
from handlers.drives_view import drive_body, send_schedules
from handlers.meetings_area import area_keyboard, on_area_page, pick_area
from handlers.meetings_input import (
    ZONE_ABBREVIATIONS,
    message_text,
    step_hint,
    take_end,
    take_start,
)
from handlers.meetings_view import label
from models.drives import Drive
from models.officials import Role
from models.regions import Region

AREA, TARGETS, START, END, PLACE, GROUP, COUNTS, PREVIEW = range(8)
DRAFT = "draft_drive"
KIND = "drvn"
AREA_KIND = "drva"
PAGE_SIZE = 8


def _draft(context: WilayahContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})


def _action(update: Update) -> callbacks.Callback:
    query = update.callback_query
    parsed = callbacks.parse(query.data if query else None)
    if parsed is None:
        raise DomainError("common.errors.stale_button")
    return parsed


def _zone(draft: dict[str, Any]) -> str:
    return region_service.timezone_for(draft["area"])


@guard(Action.DRIVE_CREATE)
async def start(update: Update, context: WilayahContext) -> int:
    """Begin a new drive; a superadmin first picks the kab/kota."""
    actor = context.official
    assert actor is not None
    context.user_data[DRAFT] = {"targets": [], "view": "", "page": 0}
    if actor.role == Role.SUPERADMIN and actor.region_code is None:
        async with context.db.session() as session:
            markup = await area_keyboard(session, kind=AREA_KIND, page=0, tr=context.tr)
        await reply(update, context, "meetings.create.ask_area", reply_markup=markup)
        return AREA
    _draft(context)["area"] = drive_service.organising_area(actor)
    return await _show_targets(update, context, edit=False)


@guard(Action.DRIVE_CREATE)
async def on_area(update: Update, context: WilayahContext) -> int | None:
    """A superadmin's kab/kota."""
    actor = context.official
    assert actor is not None
    data = _action(update)
    if data.arg(0) == "page":
        await on_area_page(update, context, kind=AREA_KIND, page=data.int_arg(2) or 0)
        return None
    area = await pick_area(update, context, actor, data)
    _draft(context)["area"] = drive_service.organising_area(actor, area)
    return await _show_targets(update, context, edit=False)


async def _regions(context: WilayahContext, parent: str) -> list[Region]:
    async with context.db.session() as session:
        return list(await region_service.children(session, parent))


async def _targets_menu(context: WilayahContext) -> tuple[str, InlineKeyboardMarkup]:
    draft, tr = _draft(context), context.tr
    chosen = set(draft["targets"])
    view = draft.get("view") or ""
    page = int(draft.get("page", 0))
    rows: list[list[tuple[str, str]]] = []
    if view:
        villages = await _regions(context, view)
        shown, nav = _page(villages, page, lambda p: callbacks.pack(KIND, "k", view, p), tr)
        rows += [[(f"{'☑' if r.code in chosen else '☐'} {r.name}",
                   callbacks.pack(KIND, "t", r.code, page))] for r in shown]
        rows += [nav] if nav else []
        rows.append([(tr("drives.buttons.all"), callbacks.pack(KIND, "all", view)),
                     (tr("common.buttons.back"), callbacks.pack(KIND, "back"))])
        text = tr("drives.create.ask_villages",
                  kecamatan=next((r.name for r in await _regions(context, draft["area"])
                                  if r.code == view), view))
    else:
        kecamatan = await _regions(context, draft["area"])
        shown, nav = _page(kecamatan, page, lambda p: callbacks.pack(KIND, "kp", p), tr)
        for region in shown:
            picked = sum(1 for code in chosen if code.startswith(region.code + "."))
            rows.append([(label(tr, "drives.buttons.kecamatan", name=region.name, count=picked),
                          callbacks.pack(KIND, "k", region.code, 0))])
        rows += [nav] if nav else []
        rows.append([(tr("meetings.buttons.next"), callbacks.pack(KIND, "next"))])
        text = tr("drives.create.ask_targets", count=len(chosen))
    return text, buttons(rows)


def _page(items: list[Region], page: int, link: Callable[[int], str],
          tr: Translator) -> tuple[list[Region], list[tuple[str, str]]]:
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    nav = []
    if page > 0:
        nav.append((tr("common.buttons.prev"), link(page - 1)))
    if page < pages - 1:
        nav.append((tr("common.buttons.next"), link(page + 1)))
    return items[page * PAGE_SIZE:(page + 1) * PAGE_SIZE], nav


async def _show_targets(update: Update, context: WilayahContext, *, edit: bool) -> int:
    text, markup = await _targets_menu(context)
    if edit:
        await edit_or_send(update, context, text, reply_markup=markup)
    else:
        await send_html(update, context, text, reply_markup=markup)
    return TARGETS


@guard(Action.DRIVE_CREATE)
async def on_targets_button(update: Update, context: WilayahContext) -> int | None:
    """Open a kecamatan, toggle kelurahan/desa, all of a kecamatan, or go on."""
    query = update.callback_query
    assert query is not None
    draft, data = _draft(context), _action(update)
    action = data.arg(0)
    if action == "kp":
        draft.update(view="", page=data.int_arg(1) or 0)
    elif action == "k":
        draft.update(view=await _kecamatan_of_area(context, data.arg(1)),
                     page=data.int_arg(2) or 0)
    elif action in ("t", "all"):
        _toggle(draft, await _villages(context, action, data.arg(1)))
        if action == "t":
            draft["page"] = data.int_arg(2) or 0
    elif action == "back":
        draft.update(view="", page=0)
    elif action == "next":
        if not draft["targets"]:
            raise InvalidInput("drives.errors.no_targets")
        await query.answer()
        await edit_or_send(update, context, context.tr("drives.create.targets_chosen",
                                                       count=len(draft["targets"])))
        await reply(update, context, "drives.create.ask_start",
                    zone=ZONE_ABBREVIATIONS[_zone(draft)])
        return START
    else:
        raise DomainError("common.errors.stale_button")
    await query.answer()
    return await _show_targets(update, context, edit=True)


def _toggle(draft: dict[str, Any], codes: list[str]) -> None:
    chosen = set(draft["targets"])
    if len(codes) > 1:
        # 'all' selects the whole kecamatan, or clears it when it was already complete
        chosen = chosen - set(codes) if set(codes) <= chosen else chosen | set(codes)
    else:
        chosen ^= set(codes)
    draft["targets"] = sorted(chosen)


async def _kecamatan_of_area(context: WilayahContext, code: str) -> str:
    async with context.db.session() as session:
        region = await session.get(Region, code)
    if region is None or region.parent_code != _draft(context)["area"]:
        raise DomainError("common.errors.stale_button")
    return region.code


async def _villages(context: WilayahContext, action: str, code: str) -> list[str]:
    """The kelurahan/desa a press names, checked to lie in the open kecamatan."""
    view = _draft(context).get("view") or ""
    if not view:
        raise DomainError("common.errors.stale_button")
    villages = [r.code for r in await _regions(context, view)]
    if action == "all" and code == view:
        return villages
    if action == "t" and code in villages:
        return [code]
    raise DomainError("common.errors.stale_button")


@guard(Action.DRIVE_CREATE)
async def on_start(update: Update, context: WilayahContext) -> int:
    """When the drive starts, read in the area's own time zone."""
    draft = _draft(context)
    now = context.clock.now()
    await take_start(update, context, draft, _zone(draft),
                     check=lambda starts_at: drive_service.check_start(now, starts_at),
                     ask_end="drives.create.ask_end")
    return END


@guard(Action.DRIVE_CREATE)
async def on_end(update: Update, context: WilayahContext) -> int:
    """When it ends: a time on the same day, or a full date and time."""
    draft = _draft(context)
    now = context.clock.now()
    take_end(update, context, draft, _zone(draft),
             check=lambda starts_at, ends_at: drive_service.check_window(now, starts_at, ends_at))
    await reply(update, context, "drives.create.ask_place")
    return PLACE


@guard(Action.DRIVE_CREATE)
async def on_place(update: Update, context: WilayahContext) -> int:
    """Where residents should come."""
    draft = _draft(context)
    draft["place"], _ = drive_service.check_texts(message_text(update), "-")
    await reply(update, context, "drives.create.ask_group")
    return GROUP


@guard(Action.DRIVE_CREATE)
async def on_group(update: Update, context: WilayahContext) -> int:
    """Who should come; then the targets are asked."""
    draft = _draft(context)
    _, draft["group"] = drive_service.check_texts("-", message_text(update))
    names = await _order_targets(context)
    await reply(update, context, "drives.create.ask_counts",
                villages="\n".join(f"{n}. {name}" for n, name in enumerate(names, start=1)))
    return COUNTS


async def _order_targets(context: WilayahContext) -> list[str]:
    """Put the targets in the order the picker shows them (kecamatan, then name); the names."""
    draft = _draft(context)
    async with context.db.session() as session:
        regions = [await session.get(Region, c) for c in draft["targets"]]
    ordered = sorted((r for r in regions if r is not None),
                     key=lambda r: (r.parent_code or "", r.name))
    draft["targets"] = [r.code for r in ordered]
    return [r.name for r in ordered]


def parse_counts(text: str, how_many: int) -> list[int]:
    """One number for every kelurahan, or one per kelurahan in the order listed."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if not parts or not all(p.replace(".", "").isdigit() for p in parts):
        raise InvalidInput("drives.create.counts_invalid")
    numbers = [drive_service.check_count(int(p.replace(".", ""))) for p in parts]
    if len(numbers) == 1:
        return numbers * how_many
    if len(numbers) != how_many:
        raise InvalidInput("drives.create.counts_mismatch", expected=how_many,
                           given=len(numbers))
    return numbers


@guard(Action.DRIVE_CREATE)
async def on_counts(update: Update, context: WilayahContext) -> int:
    """The target counts; then the preview."""
    draft = _draft(context)
    draft["counts"] = parse_counts(message_text(update), len(draft["targets"]))
    return await _show_preview(update, context)


async def _show_preview(update: Update, context: WilayahContext) -> int:
    draft, tr = _draft(context), context.tr
    names = await _order_targets(context)
    preview = _drive_of(draft, context)
    lines = [tr("drives.create.preview_header"), drive_body(tr, preview), ""]
    lines += [tr("drives.create.preview_target", village=name, target=tr.number(count))
              for name, count in zip(names, draft["counts"], strict=True)]
    lines.append(tr("drives.create.preview_total", target=tr.number(sum(draft["counts"]))))
    await send_html(update, context, "\n".join(lines), reply_markup=buttons([
        [(tr("drives.buttons.send"), callbacks.pack(KIND, "send"))],
        [(tr("meetings.buttons.discard"), callbacks.pack(KIND, "discard"))]]))
    return PREVIEW


def _drive_of(draft: dict[str, Any], context: WilayahContext) -> Drive:
    now = context.clock.now()
    return Drive(region_code=draft["area"], timezone=_zone(draft),
                 starts_at=datetime.fromisoformat(draft["starts_at"]),
                 ends_at=datetime.fromisoformat(draft["ends_at"]), place=draft["place"],
                 target_group=draft["group"], created_by_id=0, created_at=now, updated_at=now)


@guard(Action.DRIVE_CREATE)
async def on_preview(update: Update, context: WilayahContext) -> int | None:
    """Kirim: store the drive and tell each target lurah. Batal: drop the draft."""
    actor, query = context.official, update.callback_query
    assert actor is not None and query is not None
    draft, action = _draft(context), _action(update).arg(0)
    if action == "discard":
        await query.answer()
        context.user_data.pop(DRAFT, None)
        await edit_or_send(update, context, context.tr("drives.create.discarded"))
        return ConversationHandler.END
    if action != "send" or "counts" not in draft:
        raise DomainError("common.errors.stale_button")
    plan = drive_service.DriveDraft(
        starts_at=datetime.fromisoformat(draft["starts_at"]),
        ends_at=datetime.fromisoformat(draft["ends_at"]), place=draft["place"],
        target_group=draft["group"],
        targets=dict(zip(draft["targets"], draft["counts"], strict=True)))
    async with context.db.session() as session:
        drive, targets, lurah = await drive_service.create_drive(
            session, context.clock, actor=actor, draft=plan, rules=context.settings.reminders,
            area_code=draft["area"])
        regions = {t.region_code: await session.get(Region, t.region_code) for t in targets}
    await query.answer()
    context.user_data.pop(DRAFT, None)
    await edit_or_send(update, context, context.tr("drives.create.saved"))
    reached, missing = await send_schedules(context, drive, targets, lurah, regions)
    await reply(update, context, "drives.create.sent", count=reached)
    if missing:
        await reply(update, context, "drives.create.no_lurah", villages=", ".join(missing))
    return ConversationHandler.END


def register(app: Any) -> None:
    """The /perekaman_baru conversation."""
    text = filters.TEXT & ~filters.COMMAND

    def button(callback: Any) -> CallbackQueryHandler[Any, Any]:
        return CallbackQueryHandler(callback, pattern=callbacks.pattern(KIND))

    def other(step: str) -> MessageHandler[Any, Any]:
        return MessageHandler(~filters.COMMAND, step_hint(f"drives.create.hint.{step}"))

    app.add_handler(ConversationHandler(
        name="drives_create",
        persistent=True,
        entry_points=[CommandHandler(["perekaman_baru", "new_drive"], start)],
        states={
            AREA: [CallbackQueryHandler(on_area, pattern=callbacks.pattern(AREA_KIND)),
                   other("area")],
            TARGETS: [button(on_targets_button), other("targets")],
            START: [MessageHandler(text, on_start), other("start")],
            END: [MessageHandler(text, on_end), other("end")],
            PLACE: [MessageHandler(text, on_place), other("place")],
            GROUP: [MessageHandler(text, on_group), other("group")],
            COUNTS: [MessageHandler(text, on_counts), other("counts")],
            PREVIEW: [button(on_preview), other("preview")],
        },
        fallbacks=[*cancel_handlers()],
        allow_reentry=True,
    ))
