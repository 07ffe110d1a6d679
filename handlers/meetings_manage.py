"""The admin's side of a rakor: recap, reminding the silent, attendance, cancelling.

Rescheduling, a new venue and the notulen are conversations in `meetings_change`.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.i18n import Translator
from bot.policy import Action
from bot.services import meetings as meeting_service
from bot.services import meetings_query
from bot.services import meetings_rsvp as rsvp_service
from handlers import meetings_change
from handlers.common import buttons, edit_or_send, guard, reply
from handlers.meetings_input import signed_in
from handlers.meetings_view import (
    MAX_MESSAGE,
    deliver,
    recap_buttons,
    recap_text,
    refresh_invitation,
    send_invitation,
    send_long,
)

PAGE_SIZE = 8


def _args(update: Update) -> callbacks.Callback:
    query = update.callback_query
    parsed = callbacks.parse(query.data if query else None)
    if parsed is None or parsed.int_arg(0) is None:
        raise DomainError("common.errors.stale_button")
    return parsed


async def send_recaps(update: Update, context: WilayahContext) -> None:
    """/rapat for admins: one recap per upcoming (or just finished) meeting."""
    actor = context.official
    chat = update.effective_chat
    assert actor is not None and chat is not None
    async with context.db.session() as session:
        meetings = await meetings_query.managed_meetings(session, context.clock, actor=actor)
        recaps = [await rsvp_service.meeting_recap(session, actor=actor, meeting_id=m.id or 0)
                  for m in meetings]
    if not recaps:
        await reply(update, context, "meetings.list.empty_admin")
        return
    now, tr = context.clock.now(), context.tr
    for recap in recaps:
        await send_long(context, chat.id, recap_text(tr, recap, now),
                        reply_markup=recap_buttons(tr, recap, now))


async def _show_recap(update: Update, context: WilayahContext, meeting_id: int) -> None:
    actor = context.official
    assert actor is not None
    async with context.db.session() as session:
        recap = await rsvp_service.meeting_recap(session, actor=actor, meeting_id=meeting_id)
    now, tr = context.clock.now(), context.tr
    text, markup = recap_text(tr, recap, now), recap_buttons(tr, recap, now)
    if len(text) <= MAX_MESSAGE:
        await edit_or_send(update, context, text, reply_markup=markup)
    else:
        chat = update.effective_chat
        assert chat is not None
        await send_long(context, chat.id, text, reply_markup=markup)


@guard(Action.MEETING_MANAGE)
async def on_recap(update: Update, context: WilayahContext) -> None:
    """Refresh a recap (also the way back from attendance or cancel)."""
    assert update.callback_query is not None
    meeting_id = _args(update).int_arg(0) or 0
    await _show_recap(update, context, meeting_id)
    await update.callback_query.answer()


@guard(Action.MEETING_MANAGE)
async def on_remind(update: Update, context: WilayahContext) -> None:
    """Send the invitation again to everyone who has not answered."""
    actor, query = context.official, update.callback_query
    assert actor is not None and query is not None
    async with context.db.session() as session:
        meeting, rows = await rsvp_service.unanswered(session, context.clock, actor=actor,
                                                      meeting_id=_args(update).int_arg(0) or 0)
    sent = 0
    for invite, official in rows:
        sent += await send_invitation(context, meeting, invite, official,
                                      header="meetings.render.reminder_header")
    await query.answer(context.tr("meetings.recap.reminded", count=sent), show_alert=True)


@guard(Action.MEETING_MANAGE)
async def on_attendance(update: Update, context: WilayahContext) -> None:
    """The attendance list: press a name to mark them present (again to undo)."""
    data = _args(update)
    meeting_id, page = data.int_arg(0) or 0, data.int_arg(1) or 0
    if data.kind == "mtg.am":
        page = data.int_arg(2) or 0
        async with context.db.session() as session:
            invite = await _invite(session, meeting_id, data.int_arg(1))
            await rsvp_service.mark_attendance(
                session, context.clock, actor=signed_in(context),
                meeting_id=meeting_id, official_id=invite.official_id,
                present=invite.checked_in_at is None)
    await _show_attendance(update, context, meeting_id, page)


async def _invite(session: Any, meeting_id: int, official_id: int | None) -> Any:
    rows = await meeting_service.invitations(session, meeting_id)
    for invite, _official in rows:
        if invite.official_id == official_id:
            return invite
    raise DomainError("common.errors.stale_button")


async def _show_attendance(update: Update, context: WilayahContext, meeting_id: int,
                           page: int) -> None:
    actor, query = context.official, update.callback_query
    assert actor is not None and query is not None
    async with context.db.session() as session:
        meeting = await meeting_service.get_managed_meeting(session, actor=actor,
                                                            meeting_id=meeting_id)
        rows = await meeting_service.invitations(session, meeting_id)
    opens, _ = rsvp_service.check_in_window(meeting)
    if context.clock.now() < opens:
        raise rsvp_service.CheckInNotOpen()
    tr = context.tr
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    keyboard = [[(f"{'☑' if invite.checked_in_at else '☐'} {official.full_name}",
                  callbacks.pack("mtg.am", meeting_id, official.id, page))]
                for invite, official in rows[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]
    nav = []
    if page > 0:
        nav.append((tr("common.buttons.prev"), callbacks.pack("mtg.at", meeting_id, page - 1)))
    if page < pages - 1:
        nav.append((tr("common.buttons.next"), callbacks.pack("mtg.at", meeting_id, page + 1)))
    if nav:
        keyboard.append(nav)
    keyboard.append([(tr("common.buttons.back"), callbacks.pack("mtg.rc", meeting_id))])
    present = sum(1 for invite, _ in rows if invite.checked_in_at)
    await query.answer()
    await edit_or_send(update, context, tr("meetings.attendance.header", title=meeting.title,
                                           present=present, total=len(rows)),
                       reply_markup=buttons(keyboard))


@guard(Action.MEETING_MANAGE)
async def on_cancel(update: Update, context: WilayahContext) -> None:
    """Ask for confirmation before cancelling."""
    actor, query = context.official, update.callback_query
    assert actor is not None and query is not None
    meeting_id = _args(update).int_arg(0) or 0
    async with context.db.session() as session:
        meeting = await meeting_service.changeable_meeting(
            session, actor=actor, meeting_id=meeting_id, now=context.clock.now())
    tr = context.tr
    await query.answer()
    await edit_or_send(update, context, tr("meetings.cancel.confirm", title=meeting.title),
                       reply_markup=buttons([
                           [(tr("meetings.buttons.confirm_cancel"),
                             callbacks.pack("mtg.cxy", meeting_id))],
                           [(tr("common.buttons.back"), callbacks.pack("mtg.rc", meeting_id))]]))


@guard(Action.MEETING_MANAGE)
async def on_cancel_confirmed(update: Update, context: WilayahContext) -> None:
    """Cancel; every invitee is told and their invitation loses its buttons."""
    actor, query = context.official, update.callback_query
    assert actor is not None and query is not None
    async with context.db.session() as session:
        meeting, rows = await meeting_service.cancel_meeting(
            session, context.clock, actor=actor, meeting_id=_args(update).int_arg(0) or 0)
    await query.answer()
    told = 0
    for invite, official in rows:
        await refresh_invitation(context, meeting, invite, official)
        tr = Translator(official.language)
        told += await deliver(context, official, tr(
            "meetings.notice.cancelled", title=meeting.title,
            when=tr.datetime(meeting.starts_at, meeting.timezone))) is not None
    await edit_or_send(update, context, context.tr("meetings.cancel.done", title=meeting.title,
                                                   count=told, total=len(rows)))


def register(app: Any) -> None:
    """Recap, reminder, attendance and cancel buttons, and the change conversation."""
    meetings_change.register(app)
    for kind, callback in (("mtg.rc", on_recap), ("mtg.rm", on_remind),
                           ("mtg.at", on_attendance), ("mtg.am", on_attendance),
                           ("mtg.cx", on_cancel), ("mtg.cxy", on_cancel_confirmed)):
        app.add_handler(CallbackQueryHandler(callback, pattern=callbacks.pattern(kind)))
