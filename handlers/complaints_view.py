"""Complaint lists, detail view, status buttons, receipts, photos and the NIK audit trail."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import Conflict, NotFound
from bot.i18n import Translator
from bot.policy import Action
from bot.services import complaints as complaint_service
from bot.services import complaints_query as query_service
from bot.services import complaints_rules as rules_
from bot.services import regions as region_service
from handlers import complaints_render as render
from handlers.common import buttons, edit_or_send, guard, notify, refuse, reply, send_html
from models.complaints import Complaint, ComplaintStatus, ForwardTarget
from models.officials import Official, Role

AUDIT_PAGE = 10


def _zone_of(context: WilayahContext, official: Official) -> str:
    if official.region_code:
        return region_service.timezone_for(official.region_code)
    return context.settings.bot.default_timezone


async def show_list(update: Update, context: WilayahContext, state: render.ListState) -> None:
    """The viewer's complaints under the chosen filters, one page, newest first."""
    viewer = context.official
    assert viewer is not None
    now = context.clock.now()
    filters = query_service.ComplaintFilter(
        status=ComplaintStatus(state.status) if state.status != "-" else None,
        overdue=state.overdue,
        category=rules_.category_of(state.category) if state.category != "-" else None,
        since=state.since(now, _zone_of(context, viewer)))
    async with context.db.session() as session:
        page = await query_service.list_complaints(
            session, context.clock, viewer=viewer, rules=context.settings.complaints,
            filters=filters, limit=query_service.PAGE_SIZE,
            offset=state.page * query_service.PAGE_SIZE)
    tr = context.tr
    await edit_or_send(update, context, render.list_text(tr, page, state, now),
                       reply_markup=render.list_keyboard(tr, page, state))


@guard(Action.COMPLAINT_LIST)
async def list_command(update: Update, context: WilayahContext) -> None:
    """/aduan_saya: complaints within the user's scope."""
    await show_list(update, context, render.ListState())


@guard(Action.COMPLAINT_LIST)
async def on_list(update: Update, context: WilayahContext) -> None:
    """A filter choice, the overdue toggle or a page button."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    state = render.ListState.parse(data.args) if data else None
    if state is None:
        await refuse(update, context, "common.errors.stale_button")
        return
    await query.answer()
    await show_list(update, context, state)


@guard(Action.COMPLAINT_LIST)
async def on_filter(update: Update, context: WilayahContext) -> None:
    """Show the choices of one filter (status, category or period)."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    which = data.arg(0) if data else ""
    state = render.ListState.parse(data.args[1:]) if data else None
    if state is None or which not in ("st", "cat", "per"):
        await refuse(update, context, "common.errors.stale_button")
        return
    await query.answer()
    tr = context.tr
    await edit_or_send(update, context, tr(f"complaints.list.choose_{which}"),
                       reply_markup=render.filter_keyboard(tr, which, state))


async def show_detail(update: Update, context: WilayahContext, complaint_id: int, *,
                      edit: bool) -> None:
    """The complaint with the buttons for what may happen next."""
    viewer = context.official
    assert viewer is not None
    async with context.db.session() as session:
        detail = await complaint_service.open_complaint(
            session, context.clock, viewer=viewer, complaint_id=complaint_id,
            rules=context.settings.complaints)
        region = await region_service.describe(session, detail.complaint.region_code)
    tr = context.tr
    text = render.detail_text(tr, detail, region)
    markup = render.detail_keyboard(tr, detail)
    if edit:
        await edit_or_send(update, context, text, reply_markup=markup)
    else:
        await send_html(update, context, text, reply_markup=markup)


def _complaint_id(update: Update) -> int | None:
    data = callbacks.parse(update.callback_query.data if update.callback_query else None)
    return data.int_arg(0) if data else None


@guard(Action.COMPLAINT_LIST)
async def on_open(update: Update, context: WilayahContext) -> None:
    """Open one complaint from a list, a search or a notification."""
    query = update.callback_query
    assert query is not None
    complaint_id = _complaint_id(update)
    if complaint_id is None:
        await refuse(update, context, "common.errors.stale_button")
        return
    data = callbacks.parse(query.data)
    back = data is not None and data.arg(1) == "back"
    await show_detail(update, context, complaint_id, edit=back)
    await query.answer()


def _status_args(update: Update) -> tuple[int, str, ComplaintStatus] | None:
    """(complaint id, action, status the presser saw) from a status button, or None."""
    data = callbacks.parse(update.callback_query.data if update.callback_query else None)
    if data is None or len(data.args) != 3:
        return None
    complaint_id, action, seen = data.int_arg(0), data.arg(1), data.arg(2)
    if complaint_id is None or seen not in {s.value for s in ComplaintStatus}:
        return None
    return complaint_id, action, ComplaintStatus(seen)


@guard(Action.COMPLAINT_HANDLE)
async def on_status(update: Update, context: WilayahContext) -> None:
    """Diproses, or forward to the camat: changes that need no typed note."""
    query = update.callback_query
    actor = context.official
    assert query is not None and actor is not None
    parsed = _status_args(update)
    if parsed is None or parsed[1] not in ("diproses", "camat"):
        await refuse(update, context, "common.errors.stale_button")
        return
    complaint_id, action, seen = parsed
    to_camat = action == "camat"
    async with context.db.session() as session:
        complaint = await complaint_service.change_status(
            session, context.clock, actor=actor, complaint_id=complaint_id,
            target=ComplaintStatus.DITERUSKAN if to_camat else ComplaintStatus.DIPROSES,
            forward_to=ForwardTarget.CAMAT if to_camat else None, expected_status=seen,
            rules=context.settings.complaints)
        audience = await complaint_service.people_to_tell(session, complaint, actor=actor)
    await query.answer(context.tr("complaints.status_changed.popup"))
    await show_detail(update, context, complaint_id, edit=True)
    await tell_about_change(context, complaint, actor, audience)


async def tell_about_change(context: WilayahContext, complaint: Complaint, actor: Official,
                            audience: list[Official]) -> None:
    """Let the recorder and the assignee know; a forward to the camat says so explicitly."""
    for person in audience:
        tr = Translator(person.language)
        forwarded_to_them = (complaint.forwarded_to == ForwardTarget.CAMAT
                             and complaint.status == ComplaintStatus.DITERUSKAN
                             and person.id == complaint.assignee_id)
        key = "complaints.notify.forwarded" if forwarded_to_them else "complaints.notify.changed"
        await notify(context, person, tr(
            key, ticket=complaint.ticket, status=render.status_label(tr, complaint.status),
            category=render.category_label(tr, complaint.category), actor=actor.full_name),
            reply_markup=buttons([[(tr("complaints.buttons.open"),
                                    callbacks.pack(render.KIND_OPEN, complaint.id))]]))


@guard(Action.COMPLAINT_HANDLE)
async def on_forward_menu(update: Update, context: WilayahContext) -> None:
    """Teruskan: to the camat (never for sensitive categories) or to an agency (OPD)."""
    query = update.callback_query
    actor = context.official
    assert query is not None and actor is not None
    data = callbacks.parse(query.data)
    complaint_id = data.int_arg(0) if data else None
    seen = data.arg(1) if data else ""
    if complaint_id is None:
        await refuse(update, context, "common.errors.stale_button")
        return
    rules = context.settings.complaints
    async with context.db.session() as session:
        complaint = await complaint_service.load_visible(
            session, viewer=actor, complaint_id=complaint_id, rules=rules)
        if complaint.status != seen:
            raise Conflict("complaints.errors.stale", ticket=complaint.ticket)
        rules_.check_transition(ComplaintStatus(complaint.status), ComplaintStatus.DITERUSKAN)
        assignee = await session.get(Official, complaint.assignee_id)
    # a camat forwards on to agencies; the camat option is for those below or beside them
    to_camat = (not rules_.is_sensitive(complaint.category, rules) and actor.role != Role.CAMAT
                and (assignee is None or assignee.role != Role.CAMAT))
    await query.answer()
    tr = context.tr
    await edit_or_send(update, context, tr("complaints.forward.ask", ticket=complaint.ticket),
                       reply_markup=render.forward_keyboard(tr, complaint, to_camat=to_camat))


@guard(Action.COMPLAINT_LIST)
async def on_receipt(update: Update, context: WilayahContext) -> None:
    """Send the citizen receipt again, ready to forward."""
    query = update.callback_query
    actor = context.official
    assert query is not None and actor is not None
    complaint_id = _complaint_id(update)
    if complaint_id is None:
        await refuse(update, context, "common.errors.stale_button")
        return
    async with context.db.session() as session:
        complaint = await complaint_service.load_visible(
            session, viewer=actor, complaint_id=complaint_id, rules=context.settings.complaints)
    await query.answer()
    await send_receipt(update, context, complaint)


async def send_receipt(update: Update, context: WilayahContext, complaint: Complaint, *,
                       with_hint: bool = True) -> None:
    """The receipt alone in its own message, so it can be forwarded to the citizen as it is."""
    async with context.db.session() as session:
        region = await region_service.describe(session, complaint.region_code)
    if with_hint:
        await reply(update, context, "complaints.receipt.hint")
    await send_html(update, context, render.receipt_text(
        context.tr, complaint_service.receipt_for(complaint), region))


@guard(Action.COMPLAINT_LIST)
async def on_photos(update: Update, context: WilayahContext) -> None:
    """Show the photos attached to a complaint."""
    query = update.callback_query
    actor = context.official
    assert query is not None and actor is not None
    complaint_id = _complaint_id(update)
    if complaint_id is None or update.effective_chat is None:
        await refuse(update, context, "common.errors.stale_button")
        return
    async with context.db.session() as session:
        photos = await complaint_service.photos_of(
            session, viewer=actor, complaint_id=complaint_id, rules=context.settings.complaints)
    if not photos:
        raise NotFound("complaints.errors.no_photos")
    await query.answer()
    for photo in photos:
        await context.bot.send_photo(update.effective_chat.id, photo.file_id)


async def show_search_results(update: Update, context: WilayahContext, text: str) -> None:
    """Search by ticket, NIK or name within scope; each hit gets an open button."""
    viewer = context.official
    assert viewer is not None
    async with context.db.session() as session:
        result = await query_service.search_complaints(
            session, context.clock, viewer=viewer, rules=context.settings.complaints, text=text)
    tr = context.tr
    if not result.items:
        await reply(update, context, f"complaints.search.none_{result.kind}")
        return
    header = tr("complaints.search.header", count=len(result.items),
                kind=tr(f"complaints.search.kind_{result.kind}"))
    body = render.complaint_lines(tr, result.items, context.clock.now())
    await send_html(update, context, header + "\n\n" + body,
                    reply_markup=buttons(render.open_buttons(result.items)))


@guard(Action.AUDIT_READ)
async def audit_command(update: Update, context: WilayahContext) -> None:
    """/audit: who saw a citizen's full NIK, newest first."""
    await _show_audit(update, context, 0)


@guard(Action.AUDIT_READ)
async def on_audit_page(update: Update, context: WilayahContext) -> None:
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    page = data.int_arg(0) if data else None
    if page is None or page < 0:
        await refuse(update, context, "common.errors.stale_button")
        return
    await query.answer()
    await _show_audit(update, context, page)


async def _show_audit(update: Update, context: WilayahContext, page: int) -> None:
    viewer = context.official
    assert viewer is not None
    async with context.db.session() as session:
        views = await query_service.nik_views(session, viewer=viewer, limit=AUDIT_PAGE + 1,
                                              offset=page * AUDIT_PAGE)
    tr = context.tr
    if not views and page == 0:
        await edit_or_send(update, context, tr("complaints.audit.empty"))
        return
    zone = _zone_of(context, viewer)
    lines = [tr("complaints.audit.line", when=tr.datetime(v.at, zone, with_day=False),
                actor=v.actor_name, ticket=v.ticket) for v in views[:AUDIT_PAGE]]
    nav = []
    if page > 0:
        nav.append((tr("common.buttons.prev"), callbacks.pack(render.KIND_AUDIT, page - 1)))
    if len(views) > AUDIT_PAGE:
        nav.append((tr("common.buttons.next"), callbacks.pack(render.KIND_AUDIT, page + 1)))
    await edit_or_send(update, context,
                       tr("complaints.audit.header", page=page + 1) + "\n" + "\n".join(lines),
                       reply_markup=buttons([nav]) if nav else None)


def register(app: Any) -> None:
    """Handlers that need no typed input, so they live outside the conversation."""
    app.add_handler(CommandHandler(["aduan_saya", "my_complaints"], list_command))
    app.add_handler(CommandHandler("audit", audit_command))
    button = CallbackQueryHandler
    app.add_handler(button(on_list, pattern=callbacks.pattern(render.KIND_LIST)))
    app.add_handler(button(on_filter, pattern=callbacks.pattern(render.KIND_FILTER)))
    app.add_handler(button(on_open, pattern=callbacks.pattern(render.KIND_OPEN)))
    app.add_handler(button(on_status, pattern=callbacks.pattern(render.KIND_STATUS)))
    app.add_handler(button(on_forward_menu, pattern=callbacks.pattern(render.KIND_FORWARD)))
    app.add_handler(button(on_receipt, pattern=callbacks.pattern(render.KIND_RECEIPT)))
    app.add_handler(button(on_photos, pattern=callbacks.pattern(render.KIND_PHOTOS)))
    app.add_handler(button(on_audit_page, pattern=callbacks.pattern(render.KIND_AUDIT)))
