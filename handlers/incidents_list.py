"""/laporan: reports in the viewer's scope, filtered and paginated; opening one shows it all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from telegram import Update

from bot import callbacks
from bot.context import WilayahContext
from bot.i18n import Html
from bot.policy import Action
from bot.services import incidents_query as query_service
from bot.services.incidents_query import IncidentFilter, Period
from bot.services.regions import timezone_for
from handlers.common import buttons, edit_or_send, guard, refuse, send_html
from handlers.incidents_files import send_incident_media
from handlers.incidents_notify import send_detail
from handlers.incidents_render import OPEN_KIND, label, when
from models.incidents import IncidentCategory, IncidentStatus, IncidentUrgency
from models.regions import Region

LIST_KIND = "inc.l"
FILTER_KIND = "inc.lf"
PAGE_SIZE = 5
STATUSES = list(IncidentStatus)
CATEGORIES = list(IncidentCategory)
URGENCIES = list(IncidentUrgency)
PERIODS = {"a": Period.ALL, "t": Period.TODAY, "w": Period.WEEK, "m": Period.MONTH}
PERIOD_CODES = {period: code for code, period in PERIODS.items()}
T = TypeVar("T")


@dataclass(frozen=True)
class ListView:
    """The filters of a list, packed into four characters so they fit in callback data."""

    status: IncidentStatus | None = None
    category: IncidentCategory | None = None
    urgency: IncidentUrgency | None = None
    period: Period = Period.ALL

    def code(self) -> str:
        return (_index(self.status, STATUSES) + _index(self.category, CATEGORIES)
                + _index(self.urgency, URGENCIES) + PERIOD_CODES[self.period])

    @classmethod
    def parse(cls, code: str) -> ListView | None:
        """The view a callback names, or None for anything malformed."""
        if len(code) != 4 or code[3] not in PERIODS:
            return None
        try:
            return cls(_pick(code[0], STATUSES), _pick(code[1], CATEGORIES),
                       _pick(code[2], URGENCIES), PERIODS[code[3]])
        except ValueError:
            return None


def _index(value: object, options: Sequence[object]) -> str:
    return "-" if value is None else str(options.index(value))


def _pick(char: str, options: Sequence[T]) -> T | None:
    if char == "-":
        return None
    if not char.isdigit() or int(char) >= len(options):
        raise ValueError(char)
    return options[int(char)]


def _zone(context: WilayahContext) -> str:
    official = context.official
    if official is not None and official.region_code:
        return timezone_for(official.region_code)
    return context.settings.bot.default_timezone


def _describe_filters(context: WilayahContext, view: ListView) -> str:
    tr = context.tr
    everything = tr("incidents.list.all")
    return tr("incidents.list.filters",
              status=label(tr, "status", view.status) if view.status else everything,
              category=label(tr, "category", view.category) if view.category else everything,
              urgency=label(tr, "urgency", view.urgency) if view.urgency else everything,
              period=tr(f"incidents.period.{view.period}"))


async def show_list(update: Update, context: WilayahContext, view: ListView, page: int, *,
                    edit: bool) -> None:
    viewer = context.official
    assert viewer is not None
    filters = IncidentFilter(status=view.status, category=view.category, urgency=view.urgency,
                             since=query_service.period_start(view.period,
                                                              now=context.clock.now(),
                                                              timezone=_zone(context)))
    async with context.db.session() as session:
        result = await query_service.list_incidents(session, viewer=viewer, filters=filters,
                                                    page=page, page_size=PAGE_SIZE,
                                                    urgent_first=True)
        names = {}
        for incident in result.items:
            region = await session.get(Region, incident.region_code)
            names[incident.region_code] = region.name if region else incident.region_code
    tr, code = context.tr, view.code()
    lines = [tr("incidents.list.header", total=result.total, page=result.page,
                pages=result.pages), _describe_filters(context, view)]
    rows: list[list[tuple[str, str]]] = []
    for number, incident in enumerate(result.items, start=(result.page - 1) * PAGE_SIZE + 1):
        lines.append(tr("incidents.list.item", number=number,
                        icon=tr(f"incidents.icon.{incident.urgency}"), ticket=incident.ticket,
                        category=label(tr, "category", incident.category),
                        status=label(tr, "status", incident.status),
                        region=names[incident.region_code],
                        time=when(tr, incident.created_at, incident.region_code)))
        rows.append([(f"{number}. {tr(f'incidents.icon.{incident.urgency}')}{incident.ticket}",
                      callbacks.pack(OPEN_KIND, incident.id, code, result.page))])
    if not result.items:
        lines.append(tr("incidents.list.empty"))
    nav = []
    if result.has_previous:
        nav.append(("◀", callbacks.pack(LIST_KIND, result.page - 1, code)))
    if result.has_next:
        nav.append(("▶", callbacks.pack(LIST_KIND, result.page + 1, code)))
    if nav:
        rows.append(nav)
    tools = [(tr("incidents.buttons.filter"), callbacks.pack(FILTER_KIND, code))]
    if view != ListView():
        tools.append((tr("incidents.buttons.clear_filter"),
                      callbacks.pack(LIST_KIND, 1, ListView().code())))
    rows.append(tools)
    text = "\n\n".join(lines)
    if edit:
        await edit_or_send(update, context, text, reply_markup=buttons(rows))
    else:
        await send_html(update, context, text, reply_markup=buttons(rows))


@guard(Action.INCIDENT_LIST)
async def list_command(update: Update, context: WilayahContext) -> None:
    """/laporan, or /laporan LK-2024-000123 to open one report directly."""
    if context.args:
        viewer = context.official
        assert viewer is not None and update.effective_chat is not None
        async with context.db.session() as session:
            incident = await query_service.find_by_ticket(session, ticket=context.args[0],
                                                          viewer=viewer)
        await _open(update, context, incident.id or 0, back=None)
        return
    await show_list(update, context, ListView(), 1, edit=False)


@guard(Action.INCIDENT_LIST)
async def on_list_button(update: Update, context: WilayahContext) -> None:
    """◀ ▶, Tampilkan, Hapus saringan and « Daftar."""
    assert update.callback_query is not None
    data = callbacks.parse(update.callback_query.data)
    page = data.int_arg(0) if data else None
    view = ListView.parse(data.arg(1)) if data else None
    if page is None or view is None:
        await refuse(update, context, "common.errors.stale_button")
        return
    await update.callback_query.answer()
    await show_list(update, context, view, page, edit=True)


_DIMENSIONS = {
    "s": ("status", "incidents.list.by_status", STATUSES, "status"),
    "c": ("category", "incidents.list.by_category", CATEGORIES, "category"),
    "u": ("urgency", "incidents.list.by_urgency", URGENCIES, "urgency"),
}


@guard(Action.INCIDENT_LIST)
async def on_filter_button(update: Update, context: WilayahContext) -> None:
    """The filter menu, or the choices of one filter; each choice returns to the menu."""
    assert update.callback_query is not None
    data = callbacks.parse(update.callback_query.data)
    view = ListView.parse(data.arg(0)) if data else None
    dimension = data.arg(1) if data else ""
    if view is None or dimension not in ("", "p", *_DIMENSIONS):
        await refuse(update, context, "common.errors.stale_button")
        return
    await update.callback_query.answer()
    tr, everything = context.tr, context.tr("incidents.list.all")
    if dimension == "p":
        rows = [[(tr(f"incidents.period.{p}"),
                  callbacks.pack(FILTER_KIND, replace(view, period=p).code()))] for p in Period]
        await edit_or_send(update, context, tr("incidents.list.choose"), reply_markup=buttons(rows))
        return
    if dimension:
        field, _, options, section = _DIMENSIONS[dimension]
        choices = [(everything, callbacks.pack(FILTER_KIND, replace(view, **{field: None}).code()))]
        choices += [(label(tr, section, option),
                     callbacks.pack(FILTER_KIND, replace(view, **{field: option}).code()))
                    for option in options]
        await edit_or_send(update, context, tr("incidents.list.choose"), reply_markup=buttons(
            [choices[i:i + 2] for i in range(0, len(choices), 2)]))
        return
    code = view.code()
    rows = [[(tr(key, value=label(tr, section, getattr(view, field))
                 if getattr(view, field) else everything),
              callbacks.pack(FILTER_KIND, code, letter))]
            for letter, (field, key, _, section) in _DIMENSIONS.items()]
    rows.append([(tr("incidents.list.by_period", value=tr(f"incidents.period.{view.period}")),
                  callbacks.pack(FILTER_KIND, code, "p"))])
    rows.append([(tr("incidents.buttons.show"), callbacks.pack(LIST_KIND, 1, code)),
                 (tr("incidents.buttons.clear_filter"),
                  callbacks.pack(LIST_KIND, 1, ListView().code()))])
    await edit_or_send(update, context, tr("incidents.list.filter_menu",
                                           current=Html(_describe_filters(context, view))),
                       reply_markup=buttons(rows))


async def _open(update: Update, context: WilayahContext, incident_id: int,
                back: tuple[str, str] | None) -> None:
    """Evidence first, then the pin, then the report with its buttons at the bottom."""
    viewer, chat = context.official, update.effective_chat
    assert viewer is not None and chat is not None
    async with context.db.session() as session:
        detail = await query_service.incident_detail(session, incident_id=incident_id,
                                                     viewer=viewer)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await send_incident_media(context, chat.id, detail.media)
    incident = detail.incident
    if incident.latitude is not None and incident.longitude is not None:
        await context.bot.send_location(chat.id, incident.latitude, incident.longitude)
    await send_detail(context, chat.id, viewer, incident_id, back)


@guard(Action.INCIDENT_LIST)
async def on_open_button(update: Update, context: WilayahContext) -> None:
    """Open one report (from the list or from a notification); scope is checked again."""
    assert update.callback_query is not None
    data = callbacks.parse(update.callback_query.data)
    incident_id = data.int_arg(0) if data else None
    if data is None or incident_id is None:
        await refuse(update, context, "common.errors.stale_button")
        return
    back = None
    view, page = ListView.parse(data.arg(1)), data.int_arg(2)
    if view is not None and page is not None:
        back = (context.tr("incidents.buttons.back_to_list"),
                callbacks.pack(LIST_KIND, page, view.code()))
    await _open(update, context, incident_id, back)
