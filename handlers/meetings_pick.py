"""Choosing rakor invitees: all camat, all lurah, chosen kecamatan, chosen people — combinable."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError, InvalidInput
from bot.services import meetings as meeting_service
from bot.services import officials as official_service
from bot.services import regions as region_service
from handlers.common import buttons, edit_or_send, send_html
from models.officials import Official, OfficialStatus
from models.regions import Region

KIND = "mtgn"
PAGE_SIZE = 8
MAX_SEARCH = 60
CHECKED, UNCHECKED = "☑", "☐"


def _mark(on: bool) -> str:
    return CHECKED if on else UNCHECKED


async def _count(context: WilayahContext, actor: Official, area: str,
                 invitees: dict[str, Any]) -> int:
    selection = meeting_service.InviteeSelection(
        all_camat=bool(invitees["camat"]), all_lurah=bool(invitees["lurah"]),
        kecamatan_codes=frozenset(invitees["kecamatan"]),
        official_ids=frozenset(int(i) for i in invitees["officials"]))
    try:
        async with context.db.session() as session:
            return len(await meeting_service.resolve_invitees(
                session, actor=actor, area_code=area, selection=selection))
    except InvalidInput:
        return 0


async def invitee_menu(context: WilayahContext, actor: Official, area: str,
                       invitees: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    """The current view of the picker: the main choices, the kecamatan, or people."""
    view = invitees.get("view", "main")
    if view == "kec":
        return await _kecamatan_view(context, area, invitees)
    if view == "ppl":
        return await _people_view(context, actor, area, invitees)
    tr = context.tr
    count = await _count(context, actor, area, invitees)
    rows = [
        [(f"{_mark(invitees['camat'])} {tr('meetings.pick.all_camat')}",
          callbacks.pack(KIND, "camat"))],
        [(f"{_mark(invitees['lurah'])} {tr('meetings.pick.all_lurah')}",
          callbacks.pack(KIND, "lurah"))],
        [(tr("meetings.pick.by_kecamatan", count=len(invitees["kecamatan"])),
          callbacks.pack(KIND, "kec", 0))],
        [(tr("meetings.pick.by_person", count=len(invitees["officials"])),
          callbacks.pack(KIND, "ppl"))],
        [(tr("meetings.buttons.next"), callbacks.pack(KIND, "next"))],
    ]
    return tr("meetings.pick.main", count=count), buttons(rows)


async def _kecamatan_view(context: WilayahContext, area: str,
                          invitees: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    async with context.db.session() as session:
        kecamatan = list(await region_service.children(session, area))
    pages = max(1, -(-len(kecamatan) // PAGE_SIZE))
    page = min(max(int(invitees.get("page", 0)), 0), pages - 1)
    chosen = set(invitees["kecamatan"])
    rows = [[(f"{_mark(r.code in chosen)} {r.name}", callbacks.pack(KIND, "kt", r.code, page))]
            for r in kecamatan[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]
    nav = []
    if page > 0:
        nav.append((tr("common.buttons.prev"), callbacks.pack(KIND, "kec", page - 1)))
    if page < pages - 1:
        nav.append((tr("common.buttons.next"), callbacks.pack(KIND, "kec", page + 1)))
    if nav:
        rows.append(nav)
    rows.append([(tr("common.buttons.back"), callbacks.pack(KIND, "main"))])
    return tr("meetings.pick.kecamatan", count=len(chosen)), buttons(rows)


async def _people_view(context: WilayahContext, actor: Official, area: str,
                       invitees: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    chosen = [int(i) for i in invitees["officials"]]
    search = invitees.get("search", "")
    async with context.db.session() as session:
        found = list(await meeting_service.invitee_candidates(
            session, actor=actor, area_code=area, name_filter=search, limit=PAGE_SIZE)
        ) if search else []
        picked = await official_service.by_ids(session, chosen)
    shown = {o.id: o for o in [*picked, *found]}
    rows = [[(f"{_mark(o.id in chosen)} {o.full_name} · {tr(f'common.roles.{o.role}')}",
              callbacks.pack(KIND, "pt", o.id))] for o in shown.values()]
    rows.append([(tr("common.buttons.back"), callbacks.pack(KIND, "main"))])
    if search and not found:
        text = tr("meetings.pick.people_none", search=search)
    elif search:
        text = tr("meetings.pick.people_found", search=search)
    else:
        text = tr("meetings.pick.people")
    return text, buttons(rows)


async def on_invitee_button(update: Update, context: WilayahContext, actor: Official,
                            area: str, invitees: dict[str, Any],
                            data: callbacks.Callback) -> bool:
    """Apply one press; True when the admin pressed Lanjut with at least one invitee."""
    query = update.callback_query
    assert query is not None
    action = data.arg(0)
    if action in ("camat", "lurah"):
        invitees[action] = not invitees[action]
        invitees["view"] = "main"
    elif action == "kec":
        invitees.update(view="kec", page=data.int_arg(1) or 0)
    elif action == "kt":
        code = await _kecamatan_in(context, area, data.arg(1))
        chosen = set(invitees["kecamatan"]) ^ {code}
        invitees.update(kecamatan=sorted(chosen), view="kec", page=data.int_arg(2) or 0)
    elif action == "ppl":
        invitees["view"] = "ppl"
    elif action == "pt":
        official_id = await _person_in(context, area, data.int_arg(1))
        chosen = {int(i) for i in invitees["officials"]} ^ {official_id}
        invitees.update(officials=sorted(chosen), view="ppl")
    elif action == "main":
        invitees["view"] = "main"
    elif action == "next":
        if not await _count(context, actor, area, invitees):
            raise InvalidInput("meetings.errors.no_invitees")
        await query.answer()
        await edit_or_send(update, context, context.tr(
            "meetings.pick.done", count=await _count(context, actor, area, invitees)))
        return True
    else:
        raise DomainError("common.errors.stale_button")
    await query.answer()
    text, markup = await invitee_menu(context, actor, area, invitees)
    await edit_or_send(update, context, text, reply_markup=markup)
    return False


async def on_people_search(update: Update, context: WilayahContext, actor: Official,
                           area: str, invitees: dict[str, Any], text: str) -> None:
    """Search camat and lurah of the area by part of the name."""
    search = text.strip()
    if not search or len(search) > MAX_SEARCH:
        raise InvalidInput("meetings.pick.search_too_long", limit=MAX_SEARCH)
    invitees.update(view="ppl", search=search)
    menu_text, markup = await invitee_menu(context, actor, area, invitees)
    await send_html(update, context, menu_text, reply_markup=markup)


async def _kecamatan_in(context: WilayahContext, area: str, code: str) -> str:
    async with context.db.session() as session:
        region = await session.get(Region, code)
    if region is None or region.parent_code != area:
        raise DomainError("common.errors.stale_button")
    return region.code


async def _person_in(context: WilayahContext, area: str, official_id: int | None) -> int:
    async with context.db.session() as session:
        official = await session.get(Official, official_id) if official_id else None
    if (official is None or official.id is None or official.status != OfficialStatus.ACTIVE
            or official.role not in meeting_service.INVITEE_ROLES
            or not region_service.is_within(official.region_code, area)):
        raise DomainError("common.errors.stale_button")
    return official.id
