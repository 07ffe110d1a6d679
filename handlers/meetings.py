"""Rakor for invitees: /rapat, answering an invitation (Hadir / Tidak hadir / Diwakilkan), check-in.

Creating a meeting lives in `meetings_create`, the admin's recap and changes in
`meetings_manage`, texts and delivery in `meetings_view`.
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
from bot.i18n import Html
from bot.policy import Action
from bot.services import meetings_query
from bot.services import meetings_rsvp as rsvp_service
from bot.services.meetings import record_invitation_message
from bot.services.meetings_rsvp import check_in_window
from handlers import meetings_create, meetings_manage
from handlers.common import CommandSpec, buttons, cancel_handlers, edit_or_send, guard, reply
from handlers.meetings_view import (
    ANSWER_CODES,
    label,
    refresh_invitation,
    send_invitation,
    send_long,
    when,
)
from models.meetings import Meeting, MeetingInvite, RsvpStatus
from models.officials import Role

COMMANDS = [
    CommandSpec("rapat_baru", Action.MEETING_CREATE, "meetings.commands.rapat_baru",
                ("new_meeting",)),
    CommandSpec("rapat", Action.MEETING_LIST, "meetings.commands.rapat", ("meetings",)),
]
REASON, DELEGATE_NAME, DELEGATE_POSITION = range(3)
DRAFT = "draft_rsvp"
ADMIN_ROLES = frozenset({Role.ADMIN, Role.SUPERADMIN})


# --- /rapat ---------------------------------------------------------------------------------

@guard(Action.MEETING_LIST)
async def list_meetings(update: Update, context: WilayahContext) -> None:
    """Invitees: their upcoming rakor with their answer. Admins: a recap of each meeting."""
    official = context.official
    assert official is not None
    if official.role in ADMIN_ROLES:
        await meetings_manage.send_recaps(update, context)
        return
    async with context.db.session() as session:
        rows = await meetings_query.upcoming_for_invitee(session, context.clock,
                                                         official=official)
    tr, now = context.tr, context.clock.now()
    if not rows:
        await reply(update, context, "meetings.list.empty")
        return
    lines = [tr("meetings.list.header")]
    keyboard: list[list[tuple[str, str]]] = []
    for number, (meeting, invite) in enumerate(rows, start=1):
        assert meeting.id is not None
        lines.append(tr("meetings.list.item", number=number, title=meeting.title,
                        when=Html(when(tr, meeting)), venue=meeting.venue,
                        answer=tr(f"meetings.rsvp.{invite.rsvp}")))
        keyboard.append([(label(tr, "meetings.buttons.open", number=number,
                                title=meeting.title[:40]), callbacks.pack("mtg.o", meeting.id))])
        opens, closes = check_in_window(meeting)
        if opens <= now <= closes and invite.checked_in_at is None:
            keyboard.append([(tr("meetings.buttons.check_in_numbered", number=number),
                              callbacks.pack("mtg.ci", meeting.id))])
    chat = update.effective_chat
    assert chat is not None
    await send_long(context, chat.id, "\n\n".join(lines), reply_markup=buttons(keyboard))


@guard(Action.MEETING_RSVP)
async def open_invitation(update: Update, context: WilayahContext) -> None:
    """Show the invitation again, with its buttons; it becomes the copy kept up to date."""
    query, official = update.callback_query, context.official
    assert query is not None and official is not None
    meeting_id = _meeting_arg(query.data)
    async with context.db.session() as session:
        meeting, invite = await rsvp_service.my_invitation(session, meeting_id=meeting_id,
                                                           official=official)
    await query.answer()
    await send_invitation(context, meeting, invite, official)


@guard(Action.MEETING_RSVP)
async def send_pin(update: Update, context: WilayahContext) -> None:
    """The venue's pin, as a location message."""
    query, official = update.callback_query, context.official
    assert query is not None and official is not None
    async with context.db.session() as session:
        meeting, _ = await rsvp_service.my_invitation(
            session, meeting_id=_meeting_arg(query.data), official=official)
    if meeting.venue_latitude is None or meeting.venue_longitude is None:
        raise DomainError("common.errors.stale_button")
    await query.answer()
    await context.bot.send_location(official.telegram_id, latitude=meeting.venue_latitude,
                                    longitude=meeting.venue_longitude)


@guard(Action.MEETING_RSVP)
async def check_in(update: Update, context: WilayahContext) -> None:
    """'Saya sudah hadir' from 30 minutes before the start until the end."""
    query, official = update.callback_query, context.official
    assert query is not None and official is not None
    async with context.db.session() as session:
        meeting, invite, recorded = await rsvp_service.check_in(
            session, context.clock, meeting_id=_meeting_arg(query.data), official=official)
    tr = context.tr
    key = "meetings.checkin.done" if recorded else "meetings.checkin.already"
    await query.answer(tr(key, time=tr.time(invite.checked_in_at or context.clock.now(),
                                            meeting.timezone)), show_alert=True)
    if recorded:
        await refresh_invitation(context, meeting, invite, official)


def _meeting_arg(data: str | None) -> int:
    parsed = callbacks.parse(data)
    meeting_id = parsed.int_arg(0) if parsed else None
    if meeting_id is None:
        raise DomainError("common.errors.stale_button")
    return meeting_id


# --- answering ------------------------------------------------------------------------------

@guard(Action.MEETING_RSVP)
async def on_answer_button(update: Update, context: WilayahContext) -> int:
    """Hadir and Tidak hadir are recorded at once (a reason may follow); Diwakilkan asks who."""
    query, official = update.callback_query, context.official
    assert query is not None and official is not None
    parsed = callbacks.parse(query.data)
    meeting_id = parsed.int_arg(0) if parsed else None
    answer = ANSWER_CODES.get(parsed.arg(1)) if parsed else None
    if meeting_id is None or answer is None:
        raise DomainError("common.errors.stale_button")
    async with context.db.session() as session:
        await rsvp_service.ensure_can_answer(session, context.clock, meeting_id=meeting_id,
                                             official=official)
    draft: dict[str, Any] = {"meeting_id": meeting_id}
    if query.message is not None:
        # the pressed copy of the invitation becomes the one kept up to date
        draft.update(chat_id=query.message.chat.id, message_id=query.message.message_id)
    context.user_data[DRAFT] = draft
    tr = context.tr
    if answer == RsvpStatus.DIWAKILKAN:
        await query.answer()
        await reply(update, context, "meetings.answer.ask_delegate_name")
        return DELEGATE_NAME
    await _save_answer(update, context, answer)
    await query.answer(tr("meetings.answer.saved_popup", answer=tr(f"meetings.rsvp.{answer}")))
    if answer == RsvpStatus.HADIR:
        context.user_data.pop(DRAFT, None)
        return ConversationHandler.END
    await reply(update, context, "meetings.answer.ask_reason", reply_markup=buttons([[
        (tr("common.buttons.skip"), callbacks.pack("mtg.rsk", meeting_id))]]))
    return REASON


async def _save_answer(update: Update, context: WilayahContext, answer: RsvpStatus,
                       **details: str | None) -> Meeting:
    """Store the answer and keep the invitation message showing it."""
    official = context.official
    draft = context.user_data.get(DRAFT) or {}
    assert official is not None
    async with context.db.session() as session:
        _, before = await rsvp_service.my_invitation(session, meeting_id=draft["meeting_id"],
                                                     official=official)
        shown = _shown(before)
        meeting, invite = await rsvp_service.answer_invitation(
            session, context.clock, meeting_id=draft["meeting_id"], official=official,
            answer=answer, rules=context.settings.reminders, **details)
        if draft.get("message_id") is not None and invite.id is not None:
            await record_invitation_message(session, invite_id=invite.id,
                                            chat_id=draft["chat_id"],
                                            message_id=draft["message_id"])
    if _shown(invite) != shown:
        # Telegram refuses an edit that changes nothing (the same answer pressed twice)
        await refresh_invitation(context, meeting, invite, official)
    return meeting


def _shown(invite: MeetingInvite) -> tuple[object, ...]:
    """What the invitation message shows of an answer, and where that message is."""
    return (invite.rsvp, invite.delegate_name, invite.delegate_position, invite.reason,
            invite.chat_id, invite.message_id)


async def _confirm(update: Update, context: WilayahContext, meeting: Meeting,
                   answer: RsvpStatus) -> None:
    context.user_data.pop(DRAFT, None)
    await reply(update, context, "meetings.answer.saved", title=meeting.title,
                answer=context.tr(f"meetings.rsvp.{answer}"))


@guard(Action.MEETING_RSVP)
async def on_reason(update: Update, context: WilayahContext) -> int | None:
    """The (optional) reason for Tidak hadir."""
    if "meeting_id" not in (context.user_data.get(DRAFT) or {}):
        return ConversationHandler.END
    text = update.effective_message.text if update.effective_message else ""
    meeting = await _save_answer(update, context, RsvpStatus.TIDAK_HADIR,
                                 reason=rsvp_service.check_reason(text))
    await _confirm(update, context, meeting, RsvpStatus.TIDAK_HADIR)
    return ConversationHandler.END


@guard(Action.MEETING_RSVP)
async def on_skip_reason(update: Update, context: WilayahContext) -> int | None:
    """No reason: the answer already stands."""
    query, official = update.callback_query, context.official
    assert query is not None and official is not None
    draft = context.user_data.get(DRAFT) or {}
    if draft.get("meeting_id") != _meeting_arg(query.data):
        raise DomainError("common.errors.stale_button")
    async with context.db.session() as session:
        meeting, _ = await rsvp_service.my_invitation(session, meeting_id=draft["meeting_id"],
                                                      official=official)
    await query.answer()
    await edit_or_send(update, context, context.tr("meetings.answer.reason_skipped"))
    await _confirm(update, context, meeting, RsvpStatus.TIDAK_HADIR)
    return ConversationHandler.END


@guard(Action.MEETING_RSVP)
async def on_delegate_name(update: Update, context: WilayahContext) -> int:
    """Who comes instead."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    name, _ = rsvp_service.check_delegate(text, "-")
    context.user_data.setdefault(DRAFT, {})["delegate_name"] = name
    await reply(update, context, "meetings.answer.ask_delegate_position", name=name)
    return DELEGATE_POSITION


@guard(Action.MEETING_RSVP)
async def on_delegate_position(update: Update, context: WilayahContext) -> int | None:
    """The delegate's position; then the answer is saved."""
    draft = context.user_data.get(DRAFT) or {}
    if "meeting_id" not in draft or "delegate_name" not in draft:
        return ConversationHandler.END
    text = (update.effective_message.text or "") if update.effective_message else ""
    name, position = rsvp_service.check_delegate(draft["delegate_name"], text)
    meeting = await _save_answer(update, context, RsvpStatus.DIWAKILKAN, delegate_name=name,
                                 delegate_position=position)
    await _confirm(update, context, meeting, RsvpStatus.DIWAKILKAN)
    return ConversationHandler.END


async def hint_text_expected(update: Update, context: WilayahContext) -> None:
    """Anything but text while a reason or delegate is asked."""
    await reply(update, context, "meetings.answer.hint_text")


def _answer_conversation() -> ConversationHandler[Any]:
    text = filters.TEXT & ~filters.COMMAND
    other = MessageHandler(~filters.COMMAND, hint_text_expected)
    return ConversationHandler(
        name="meetings_rsvp",
        persistent=True,
        entry_points=[CallbackQueryHandler(on_answer_button, pattern=callbacks.pattern("mtg.r"))],
        states={
            REASON: [MessageHandler(text, on_reason),
                     CallbackQueryHandler(on_skip_reason, pattern=callbacks.pattern("mtg.rsk")),
                     other],
            DELEGATE_NAME: [MessageHandler(text, on_delegate_name), other],
            DELEGATE_POSITION: [MessageHandler(text, on_delegate_position), other],
        },
        fallbacks=[*cancel_handlers()],
        allow_reentry=True,
    )


def register(app: Any) -> None:
    """Creating, answering, listing and managing rakor."""
    meetings_create.register(app)
    meetings_manage.register(app)
    app.add_handler(_answer_conversation())
    app.add_handler(CommandHandler(["rapat", "meetings"], list_meetings))
    app.add_handler(CallbackQueryHandler(open_invitation, pattern=callbacks.pattern("mtg.o")))
    app.add_handler(CallbackQueryHandler(send_pin, pattern=callbacks.pattern("mtg.pin")))
    app.add_handler(CallbackQueryHandler(check_in, pattern=callbacks.pattern("mtg.ci")))

