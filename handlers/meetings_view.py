"""How a rakor looks in chat: the invitation with its buttons, the recap, and delivering them."""

from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot import callbacks
from bot.context import WilayahContext
from bot.i18n import Html, Translator
from bot.services import meetings as meeting_service
from bot.services.meetings_rsvp import RECAP_ORDER, MeetingRecap, check_in_window, rsvp_open
from handlers.common import buttons
from models.meetings import Meeting, MeetingInvite, MeetingStatus, RsvpStatus
from models.officials import Official

log = logging.getLogger(__name__)
MAX_MESSAGE = 4000
ANSWER_CODES = {"h": RsvpStatus.HADIR, "t": RsvpStatus.TIDAK_HADIR, "w": RsvpStatus.DIWAKILKAN}
CODE_OF = {status: code for code, status in ANSWER_CODES.items()}


def label(tr: Translator, key: str, **values: Any) -> str:
    """A button label: catalog text with values, but plain (buttons do not render HTML)."""
    return html.unescape(tr(key, **values))


def when(tr: Translator, meeting: Meeting) -> str:
    """'Selasa, 12 November 2024 pukul 09.00 WIB s.d. 12.00'."""
    return tr("meetings.render.when", start=Html(tr.datetime(meeting.starts_at, meeting.timezone)),
              end=tr.time(meeting.ends_at, meeting.timezone))


def answer_line(tr: Translator, invite: MeetingInvite, timezone: str) -> str:
    """The invitee's current answer, with delegate or reason, and their check-in."""
    status = RsvpStatus(invite.rsvp)
    line = tr("meetings.render.your_answer", answer=tr(f"meetings.rsvp.{status}"))
    if status == RsvpStatus.DIWAKILKAN:
        line += "\n" + tr("meetings.render.delegate", name=invite.delegate_name or "-",
                          position=invite.delegate_position or "-")
    if status == RsvpStatus.TIDAK_HADIR and invite.reason:
        line += "\n" + tr("meetings.render.reason", reason=invite.reason)
    if invite.checked_in_at is not None:
        line += "\n" + tr("meetings.render.checked_in",
                          time=tr.time(invite.checked_in_at, timezone))
    return line


def meeting_body(tr: Translator, meeting: Meeting) -> str:
    """Title, time, venue and agenda."""
    parts = [tr("meetings.render.title", title=meeting.title),
             tr("meetings.render.time", when=Html(when(tr, meeting))),
             tr("meetings.render.venue", venue=meeting.venue)]
    if meeting.agenda:
        parts.append(tr("meetings.render.agenda", agenda=meeting.agenda))
    return "\n".join(parts)


def invitation_text(tr: Translator, meeting: Meeting, invite: MeetingInvite, now: datetime,
                    *, header: str = "meetings.render.invitation_header") -> str:
    """The invitation as the invitee sees it, showing their current answer."""
    if meeting.status == MeetingStatus.CANCELLED:
        return "\n".join([tr("meetings.render.cancelled_header"), meeting_body(tr, meeting)])
    deadline = tr.datetime(meeting.rsvp_deadline, meeting.timezone)
    closing = (tr("meetings.render.deadline", deadline=Html(deadline)) if rsvp_open(meeting, now)
               else tr("meetings.render.rsvp_closed"))
    return "\n".join([tr(header), meeting_body(tr, meeting), "", closing, "",
                      answer_line(tr, invite, meeting.timezone)])


def invitation_buttons(tr: Translator, meeting: Meeting, now: datetime,
                       ) -> InlineKeyboardMarkup | None:
    """Hadir / Tidak hadir / Diwakilkan; the venue pin; check-in when it is open."""
    if meeting.status == MeetingStatus.CANCELLED:
        return None
    assert meeting.id is not None
    rows: list[list[tuple[str, str]]] = []
    if rsvp_open(meeting, now):
        rows.append([(tr(f"meetings.buttons.{status}"),
                      callbacks.pack("mtg.r", meeting.id, code))
                     for code, status in ANSWER_CODES.items()])
    opens, closes = check_in_window(meeting)
    if opens <= now <= closes:
        rows.append([(tr("meetings.buttons.check_in"), callbacks.pack("mtg.ci", meeting.id))])
    if meeting.venue_latitude is not None:
        rows.append([(tr("meetings.buttons.pin"), callbacks.pack("mtg.pin", meeting.id))])
    return buttons(rows) if rows else None


def recap_text(tr: Translator, recap: MeetingRecap, now: datetime) -> str:
    """Answers by kind and kecamatan with names; confirmed versus present once it started."""
    meeting = recap.meeting
    lines = [tr("meetings.recap.header"), meeting_body(tr, meeting), "",
             tr("meetings.recap.counts", total=recap.total,
                hadir=recap.counts[RsvpStatus.HADIR],
                diwakilkan=recap.counts[RsvpStatus.DIWAKILKAN],
                tidak_hadir=recap.counts[RsvpStatus.TIDAK_HADIR],
                pending=recap.counts[RsvpStatus.PENDING])]
    if now >= check_in_window(meeting)[0]:
        lines.append(tr("meetings.recap.attendance", confirmed=recap.confirmed,
                        present=recap.present))
    if meeting.minutes_added_at is not None:
        lines.append(tr("meetings.recap.minutes_attached"))
    for status in RECAP_ORDER:
        groups = recap.groups[status]
        if not groups:
            continue
        lines += ["", tr(f"meetings.recap.section_{status}",
                         count=recap.counts[status])]
        for group in groups:
            lines.append(tr("meetings.recap.kecamatan", name=group.kecamatan_name))
            for entry in group.entries:
                lines.append(_recap_entry(tr, entry))
    return "\n".join(lines)


def _recap_entry(tr: Translator, entry: Any) -> str:
    text = tr("meetings.recap.entry", name=entry.name, region=entry.region_name)
    if entry.rsvp == RsvpStatus.DIWAKILKAN:
        text += tr("meetings.recap.entry_delegate", name=entry.delegate_name or "-",
                   position=entry.delegate_position or "-")
    if entry.rsvp == RsvpStatus.TIDAK_HADIR and entry.reason:
        text += tr("meetings.recap.entry_reason", reason=entry.reason)
    if entry.present:
        text += tr("meetings.recap.entry_present")
    return text


def recap_buttons(tr: Translator, recap: MeetingRecap, now: datetime) -> InlineKeyboardMarkup:
    """Remind, attendance, reschedule, venue, cancel, minutes — whatever fits the moment."""
    meeting = recap.meeting
    assert meeting.id is not None
    mid = meeting.id
    rows: list[list[tuple[str, str]]] = []
    if rsvp_open(meeting, now) and recap.counts[RsvpStatus.PENDING]:
        rows.append([(tr("meetings.buttons.remind"), callbacks.pack("mtg.rm", mid))])
    if now >= check_in_window(meeting)[0]:
        rows.append([(tr("meetings.buttons.attendance"), callbacks.pack("mtg.at", mid, 0))])
    if now < meeting.ends_at:
        rows.append([(tr("meetings.buttons.reschedule"), callbacks.pack("mtg.rs", mid)),
                     (tr("meetings.buttons.venue"), callbacks.pack("mtg.vn", mid))])
    if now >= meeting.starts_at:
        rows.append([(tr("meetings.buttons.minutes"), callbacks.pack("mtg.nt", mid))])
    row = [(tr("meetings.buttons.refresh"), callbacks.pack("mtg.rc", mid))]
    if now < meeting.ends_at:
        row.append((tr("meetings.buttons.cancel_meeting"), callbacks.pack("mtg.cx", mid)))
    rows.append(row)
    return buttons(rows)


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Cut a long text at line ends so each part fits in one Telegram message."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = line[:limit]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return parts


async def send_long(context: WilayahContext, chat_id: int, text: str, *,
                    reply_markup: Any = None) -> Message | None:
    """Send a text of any length; the buttons go on the last part."""
    parts = split_message(text)
    last: Message | None = None
    for index, part in enumerate(parts):
        markup = reply_markup if index == len(parts) - 1 else None
        last = await context.bot.send_message(chat_id, part, parse_mode=ParseMode.HTML,
                                              reply_markup=markup,
                                              disable_web_page_preview=True)
    return last


async def deliver(context: WilayahContext, official: Official, text: str, *,
                  reply_markup: Any = None) -> Message | None:
    """Send to an official; an unreachable chat is logged and skipped."""
    try:
        return await context.bot.send_message(official.telegram_id, text,
                                               parse_mode=ParseMode.HTML,
                                               reply_markup=reply_markup,
                                               disable_web_page_preview=True)
    except TelegramError as error:
        log.warning("meeting message not delivered",
                    extra={"official_id": official.id, "error": type(error).__name__})
        return None


async def send_invitation(context: WilayahContext, meeting: Meeting, invite: MeetingInvite,
                          official: Official, *,
                          header: str = "meetings.render.invitation_header") -> bool:
    """Deliver a fresh copy of the invitation and remember it as the one to keep current."""
    tr = Translator(official.language)
    now = context.clock.now()
    message = await deliver(context, official,
                            invitation_text(tr, meeting, invite, now, header=header),
                            reply_markup=invitation_buttons(tr, meeting, now))
    if message is None:
        return False
    assert invite.id is not None
    async with context.db.session() as session:
        await meeting_service.record_invitation_message(
            session, invite_id=invite.id, chat_id=message.chat_id, message_id=message.message_id)
    invite.chat_id, invite.message_id = message.chat_id, message.message_id
    return True


async def refresh_invitation(context: WilayahContext, meeting: Meeting, invite: MeetingInvite,
                             official: Official) -> None:
    """Edit the delivered invitation so it shows the current answer and state."""
    if invite.chat_id is None or invite.message_id is None:
        return
    tr = Translator(official.language)
    now = context.clock.now()
    try:
        await context.bot.edit_message_text(
            invitation_text(tr, meeting, invite, now), chat_id=invite.chat_id,
            message_id=invite.message_id, parse_mode=ParseMode.HTML,
            reply_markup=invitation_buttons(tr, meeting, now), disable_web_page_preview=True)
    except TelegramError as error:
        # "message is not modified" or a message the user deleted: nothing to fix
        log.info("invitation not refreshed", extra={"error": str(error)[:80]})
