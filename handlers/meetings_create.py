"""/rapat_baru: title, agenda, time, venue, invitees, RSVP deadline, preview, then send."""

from __future__ import annotations

from datetime import datetime, time, timedelta
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
from bot.services import meetings as meeting_service
from bot.services import meetings_rules
from bot.services import regions as region_service
from bot.services.dateparse import parse_datetime
from handlers.common import buttons, cancel_handlers, edit_or_send, guard, reply, send_html
from handlers.meetings_area import area_keyboard, on_area_page, pick_area
from handlers.meetings_input import (
    ZONE_ABBREVIATIONS,
    message_text,
    step_hint,
    take_end,
    take_start,
)
from handlers.meetings_pick import invitee_menu, on_invitee_button, on_people_search
from handlers.meetings_view import label, meeting_body, send_invitation
from models.meetings import Meeting
from models.officials import Official, Role

AREA, TITLE, AGENDA, START, END, VENUE, PIN, INVITEES, DEADLINE, PREVIEW = range(10)
DRAFT = "draft_meeting"
KIND = "mtgn"
AREA_KIND = "mtga"


def _draft(context: WilayahContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})


def _moment(draft: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(draft[key])


def _action(update: Update) -> callbacks.Callback:
    query = update.callback_query
    parsed = callbacks.parse(query.data if query else None)
    if parsed is None:
        raise DomainError("common.errors.stale_button")
    return parsed


@guard(Action.MEETING_CREATE)
async def start(update: Update, context: WilayahContext) -> int:
    """Begin a new rakor; a superadmin first picks the kab/kota."""
    actor = context.official
    assert actor is not None
    context.user_data[DRAFT] = {}
    if actor.role == Role.SUPERADMIN and actor.region_code is None:
        async with context.db.session() as session:
            markup = await area_keyboard(session, kind=AREA_KIND, page=0, tr=context.tr)
        await reply(update, context, "meetings.create.ask_area", reply_markup=markup)
        return AREA
    _draft(context)["area"] = meeting_service.organising_area(actor)
    await reply(update, context, "meetings.create.ask_title")
    return TITLE


@guard(Action.MEETING_CREATE)
async def on_area(update: Update, context: WilayahContext) -> int | None:
    """A superadmin's kab/kota."""
    actor = context.official
    assert actor is not None
    data = _action(update)
    if data.arg(0) == "page":
        await on_area_page(update, context, kind=AREA_KIND, page=data.int_arg(2) or 0)
        return None
    area = await pick_area(update, context, actor, data)
    _draft(context)["area"] = meeting_service.organising_area(actor, area)
    await reply(update, context, "meetings.create.ask_title")
    return TITLE


@guard(Action.MEETING_CREATE)
async def on_title(update: Update, context: WilayahContext) -> int:
    """The title; then the agenda."""
    _draft(context)["title"] = meetings_rules.check_title(message_text(update))
    await reply(update, context, "meetings.create.ask_agenda", reply_markup=buttons([[
        (context.tr("common.buttons.skip"), callbacks.pack(KIND, "skip_agenda"))]]))
    return AGENDA


@guard(Action.MEETING_CREATE)
async def on_agenda(update: Update, context: WilayahContext) -> int:
    """The agenda (optional); then the start."""
    _draft(context)["agenda"] = meetings_rules.check_agenda(message_text(update))
    return await _ask_start(update, context)


@guard(Action.MEETING_CREATE)
async def on_skip_agenda(update: Update, context: WilayahContext) -> int | None:
    """No agenda; on to the start."""
    if _action(update).arg(0) != "skip_agenda":
        raise DomainError("common.errors.stale_button")
    assert update.callback_query is not None
    await update.callback_query.answer()
    _draft(context)["agenda"] = ""
    return await _ask_start(update, context)


async def _ask_start(update: Update, context: WilayahContext) -> int:
    zone = region_service.timezone_for(_draft(context)["area"])
    await reply(update, context, "meetings.create.ask_start", zone=ZONE_ABBREVIATIONS[zone])
    return START


@guard(Action.MEETING_CREATE)
async def on_start(update: Update, context: WilayahContext) -> int:
    """When it starts, read in the area's own time zone and said back in words."""
    draft = _draft(context)
    now = context.clock.now()
    await take_start(update, context, draft, region_service.timezone_for(draft["area"]),
                     check=lambda starts_at: meetings_rules.check_start(now, starts_at),
                     ask_end="meetings.create.ask_end")
    return END


@guard(Action.MEETING_CREATE)
async def on_end(update: Update, context: WilayahContext) -> int:
    """When it ends: a time on the same day, or a full date and time."""
    draft = _draft(context)
    zone = region_service.timezone_for(draft["area"])
    _, ends_at = take_end(update, context, draft, zone, check=meetings_rules.check_end)
    await reply(update, context, "meetings.create.ask_venue",
                end=Html(context.tr.datetime(ends_at, zone)))
    return VENUE


@guard(Action.MEETING_CREATE)
async def on_venue(update: Update, context: WilayahContext) -> int:
    """The venue in words; a pin may follow."""
    _draft(context)["venue"] = meetings_rules.check_venue(message_text(update))
    await reply(update, context, "meetings.create.ask_pin", reply_markup=buttons([[
        (context.tr("common.buttons.skip"), callbacks.pack(KIND, "skip_pin"))]]))
    return PIN


@guard(Action.MEETING_CREATE)
async def on_pin(update: Update, context: WilayahContext) -> int:
    """The venue's location pin."""
    message = update.effective_message
    assert message is not None and message.location is not None
    draft = _draft(context)
    latitude, longitude = message.location.latitude, message.location.longitude
    meetings_rules.check_venue(draft["venue"], latitude, longitude)
    draft.update(latitude=latitude, longitude=longitude)
    await reply(update, context, "meetings.create.pin_saved")
    return await _show_invitees(update, context, edit=False)


@guard(Action.MEETING_CREATE)
async def on_skip_pin(update: Update, context: WilayahContext) -> int | None:
    """No pin; on to the invitees."""
    if _action(update).arg(0) != "skip_pin":
        raise DomainError("common.errors.stale_button")
    assert update.callback_query is not None
    await update.callback_query.answer()
    draft = _draft(context)
    draft.pop("latitude", None)
    draft.pop("longitude", None)
    return await _show_invitees(update, context, edit=False)


async def _show_invitees(update: Update, context: WilayahContext, *, edit: bool) -> int:
    draft = _draft(context)
    draft.setdefault("invitees", {"camat": False, "lurah": False, "kecamatan": [],
                                  "officials": [], "view": "main", "search": ""})
    actor = context.official
    assert actor is not None
    text, markup = await invitee_menu(context, actor, draft["area"], draft["invitees"])
    if edit:
        await edit_or_send(update, context, text, reply_markup=markup)
    else:
        await send_html(update, context, text, reply_markup=markup)
    return INVITEES


@guard(Action.MEETING_CREATE)
async def on_invitees_button(update: Update, context: WilayahContext) -> int | None:
    """Toggle groups, kecamatan or people; Lanjut goes on to the RSVP deadline."""
    actor = context.official
    assert actor is not None and update.callback_query is not None
    draft = _draft(context)
    if "invitees" not in draft:
        raise DomainError("common.errors.stale_button")
    done = await on_invitee_button(update, context, actor, draft["area"], draft["invitees"],
                                   _action(update))
    if not done:
        return INVITEES
    return await _ask_deadline(update, context)


@guard(Action.MEETING_CREATE)
async def on_invitees_text(update: Update, context: WilayahContext) -> int:
    """Typing part of a name searches camat and lurah of the area."""
    actor = context.official
    assert actor is not None
    draft = _draft(context)
    await on_people_search(update, context, actor, draft["area"], draft["invitees"],
                           message_text(update))
    return INVITEES


def suggested_deadline(context: WilayahContext, starts_at: datetime) -> datetime:
    """The configured number of days before the start; the start itself if that is past."""
    days = context.settings.reminders.rsvp_deadline_days_before
    candidate = starts_at - timedelta(days=days)
    return candidate if candidate > context.clock.now() else starts_at


async def _ask_deadline(update: Update, context: WilayahContext) -> int:
    draft = _draft(context)
    zone = region_service.timezone_for(draft["area"])
    suggestion = suggested_deadline(context, _moment(draft, "starts_at"))
    draft["suggested_deadline"] = suggestion.isoformat()
    tr = context.tr
    await reply(update, context, "meetings.create.ask_deadline", reply_markup=buttons([[
        (label(tr, "meetings.buttons.use_suggestion", when=tr.datetime(suggestion, zone)),
         callbacks.pack(KIND, "dl_suggest"))]]))
    return DEADLINE


@guard(Action.MEETING_CREATE)
async def on_deadline(update: Update, context: WilayahContext) -> int:
    """The RSVP deadline in words ('11/11/2024 12.00'); a date alone means 23.59."""
    draft = _draft(context)
    zone = region_service.timezone_for(draft["area"])
    deadline = parse_datetime(message_text(update), context.clock, zone,
                              default_time=time(23, 59))
    return await _set_deadline(update, context, deadline)


@guard(Action.MEETING_CREATE)
async def on_deadline_suggestion(update: Update, context: WilayahContext) -> int | None:
    """Use the suggested RSVP deadline."""
    draft = _draft(context)
    if _action(update).arg(0) != "dl_suggest" or "suggested_deadline" not in draft:
        raise DomainError("common.errors.stale_button")
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await _set_deadline(update, context, _moment(draft, "suggested_deadline"))


async def _set_deadline(update: Update, context: WilayahContext, deadline: datetime) -> int:
    draft = _draft(context)
    meetings_rules.check_deadline(context.clock.now(), _moment(draft, "starts_at"), deadline)
    draft["deadline"] = deadline.isoformat()
    return await _show_preview(update, context)


def _to_draft(draft: dict[str, Any]) -> meeting_service.MeetingDraft:
    return meeting_service.MeetingDraft(
        title=draft["title"], agenda=draft.get("agenda", ""),
        starts_at=_moment(draft, "starts_at"), ends_at=_moment(draft, "ends_at"),
        venue=draft["venue"], rsvp_deadline=_moment(draft, "deadline"),
        venue_latitude=draft.get("latitude"), venue_longitude=draft.get("longitude"))


def _selection(invitees: dict[str, Any]) -> meeting_service.InviteeSelection:
    return meeting_service.InviteeSelection(
        all_camat=bool(invitees.get("camat")), all_lurah=bool(invitees.get("lurah")),
        kecamatan_codes=frozenset(invitees.get("kecamatan", [])),
        official_ids=frozenset(int(i) for i in invitees.get("officials", [])))


async def _show_preview(update: Update, context: WilayahContext) -> int:
    draft = _draft(context)
    actor = context.official
    assert actor is not None
    async with context.db.session() as session:
        people = await meeting_service.resolve_invitees(
            session, actor=actor, area_code=draft["area"],
            selection=_selection(draft["invitees"]))
    tr = context.tr
    zone = region_service.timezone_for(draft["area"])
    preview = Meeting(title=draft["title"], agenda=draft.get("agenda", ""),
                      region_code=draft["area"], timezone=zone,
                      starts_at=_moment(draft, "starts_at"), ends_at=_moment(draft, "ends_at"),
                      venue=draft["venue"], rsvp_deadline=_moment(draft, "deadline"),
                      created_by_id=0, created_at=context.clock.now(),
                      updated_at=context.clock.now())
    text = "\n".join([
        tr("meetings.create.preview_header"), meeting_body(tr, preview),
        tr("meetings.create.preview_pin") if draft.get("latitude") is not None else "",
        tr("meetings.render.deadline",
           deadline=Html(tr.datetime(_moment(draft, "deadline"), zone))),
        tr("meetings.create.preview_invitees", count=len(people))]).replace("\n\n", "\n")
    await send_html(update, context, text, reply_markup=buttons([
        [(tr("meetings.buttons.send"), callbacks.pack(KIND, "send"))],
        [(tr("meetings.buttons.discard"), callbacks.pack(KIND, "discard"))]]))
    return PREVIEW


@guard(Action.MEETING_CREATE)
async def on_preview(update: Update, context: WilayahContext) -> int | None:
    """Kirim: store the meeting and deliver every invitation. Batal: drop the draft."""
    actor = context.official
    query = update.callback_query
    assert actor is not None and query is not None
    action = _action(update).arg(0)
    draft = _draft(context)
    if action == "discard":
        await query.answer()
        context.user_data.pop(DRAFT, None)
        await edit_or_send(update, context, context.tr("meetings.create.discarded"))
        return ConversationHandler.END
    if action != "send" or "deadline" not in draft:
        raise DomainError("common.errors.stale_button")
    async with context.db.session() as session:
        meeting, rows = await meeting_service.create_meeting(
            session, context.clock, actor=actor, draft=_to_draft(draft),
            selection=_selection(draft["invitees"]), rules=context.settings.reminders,
            area_code=draft["area"])
    await query.answer()
    context.user_data.pop(DRAFT, None)
    await edit_or_send(update, context, context.tr("meetings.create.sending",
                                                   title=meeting.title))
    missed = await _deliver_all(context, meeting, rows)
    await report_delivery(update, context, len(rows), missed)
    return ConversationHandler.END


async def _deliver_all(context: WilayahContext, meeting: Meeting,
                       rows: list[tuple[Any, Official]]) -> list[Official]:
    missed = []
    for invite, official in rows:
        if not await send_invitation(context, meeting, invite, official):
            missed.append(official)
    return missed


async def report_delivery(update: Update, context: WilayahContext, total: int,
                          missed: list[Official]) -> None:
    """How many invitees were reached; who was not, by name."""
    await reply(update, context, "meetings.create.sent", sent=total - len(missed), total=total)
    if missed:
        await reply(update, context, "meetings.create.not_delivered",
                    names=", ".join(o.full_name for o in missed))


def register(app: Any) -> None:
    """The /rapat_baru conversation."""
    text = filters.TEXT & ~filters.COMMAND

    def button(callback: Any) -> CallbackQueryHandler[Any, Any]:
        return CallbackQueryHandler(callback, pattern=callbacks.pattern(KIND))

    def other(step: str) -> MessageHandler[Any, Any]:
        return MessageHandler(~filters.COMMAND, step_hint(f"meetings.create.hint.{step}"))

    app.add_handler(ConversationHandler(
        name="meetings_create",
        persistent=True,
        entry_points=[CommandHandler(["rapat_baru", "new_meeting"], start)],
        states={
            AREA: [CallbackQueryHandler(on_area, pattern=callbacks.pattern(AREA_KIND)),
                   other("area")],
            TITLE: [MessageHandler(text, on_title), other("title")],
            AGENDA: [MessageHandler(text, on_agenda), button(on_skip_agenda), other("agenda")],
            START: [MessageHandler(text, on_start), other("start")],
            END: [MessageHandler(text, on_end), other("end")],
            VENUE: [MessageHandler(text, on_venue), other("venue")],
            PIN: [MessageHandler(filters.LOCATION, on_pin), button(on_skip_pin), other("pin")],
            INVITEES: [button(on_invitees_button), MessageHandler(text, on_invitees_text),
                       other("invitees")],
            DEADLINE: [MessageHandler(text, on_deadline), button(on_deadline_suggestion),
                       other("deadline")],
            PREVIEW: [button(on_preview), other("preview")],
        },
        fallbacks=[*cancel_handlers()],
        allow_reentry=True,
    ))
