"""Follow-up buttons: Terima, Tindak lanjuti, Minta info, Selesai, Tolak — and the answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.i18n import Translator
from bot.policy import Action
from bot.services import incidents as service
from bot.services import incidents_workflow as workflow
from bot.services import officials as official_service
from bot.services.incidents_query import get_visible
from handlers.common import buttons, edit_or_send, load_official, notify, refusal_key, refuse, reply
from handlers.incidents_ask import ANSWER, DRAFT, NOTE, QUESTION
from handlers.incidents_notify import render_detail, send_detail, tell_reporter
from handlers.incidents_render import ANSWER_KIND, OPEN_KIND, label
from models.incidents import IncidentInfoRequest, IncidentStatus
from models.officials import Official

FOLLOW = "draft_incident_followup"
NOTE_KIND = "inc.nt"
CONVERSATION_NAME = "incidents"
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def checked(action: Action) -> Callable[[F], F]:
    """Like guard, but a refusal keeps whatever the user is in the middle of (returns None)."""

    def decorate(callback: F) -> F:
        @wraps(callback)
        async def wrapper(update: Update, context: WilayahContext) -> Any:
            key = refusal_key(await load_official(update, context), action)
            if key is not None:
                await refuse(update, context, key)
                return None
            try:
                return await callback(update, context)
            except service.InvalidTransition as error:
                tr = context.tr
                await refuse(update, context, error.key,
                             current=label(tr, "status", error.values["current"]),
                             wanted=label(tr, "status", error.values["wanted"]))
            except DomainError as error:
                await refuse(update, context, error.key, **error.values)
            return None

        return wrapper  # type: ignore[return-value]

    return decorate


def _flows(update: Update, context: WilayahContext) -> tuple[bool, bool]:
    """(this feature's conversation is open, another feature's conversation is open)."""
    mine = other = False
    for handler in context.application.handlers.get(0, []):
        if isinstance(handler, ConversationHandler):
            if handler._conversations.get(handler._get_key(update)) is None:  # noqa: SLF001
                continue
            if handler.name == CONVERSATION_NAME:
                mine = True
            else:
                other = True
    return mine, other


def _busy(update: Update, context: WilayahContext) -> bool:
    """A typed answer is needed, but the user is filling in a form: finish that first."""
    mine, other = _flows(update, context)
    return other or (mine and DRAFT in context.user_data)


def _stay(update: Update, context: WilayahContext) -> int | None:
    """Inside the conversation keep its state; as an entry point start nothing."""
    mine, _ = _flows(update, context)
    return None if mine else ConversationHandler.END


async def _fresh_official(context: WilayahContext) -> Official:
    assert context.official is not None
    async with context.db.session() as session:
        context.official = await official_service.get(session, context.official.id or 0)
    return context.official


async def _apply(update: Update, context: WilayahContext, incident_id: int,
                 status: IncidentStatus, note: str) -> None:
    actor = await _fresh_official(context)
    async with context.db.session() as session:
        result = await workflow.change_status(session, context.clock, incident_id=incident_id,
                                              actor=actor, to_status=status, note=note)
    await tell_reporter(context, result.incident, result.change, actor)
    tr = context.tr
    done = tr("incidents.follow.changed", ticket=result.incident.ticket,
              status=label(tr, "status", status))
    query = update.callback_query
    if query is not None:
        await query.answer(done)
        text, keyboard = await render_detail(context, actor, incident_id)
        await edit_or_send(update, context, text, reply_markup=keyboard)
    else:
        await reply(update, context, "incidents.follow.changed", ticket=result.incident.ticket,
                    status=label(tr, "status", status))
        assert update.effective_chat is not None
        await send_detail(context, update.effective_chat.id, actor, incident_id)


async def _visible_for_follow_up(context: WilayahContext, incident_id: int) -> Any:
    actor = await _fresh_official(context)
    async with context.db.session() as session:
        incident = await get_visible(session, incident_id=incident_id, viewer=actor)
    if not workflow.can_follow_up(actor, incident):
        raise service.IncidentNotAllowed()
    return incident


@checked(Action.INCIDENT_FOLLOW_UP)
async def on_status_button(update: Update, context: WilayahContext) -> int | None:
    """Terima applies at once; Tindak lanjuti and Selesai ask for a note; Tolak for a reason."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    incident_id = data.int_arg(0) if data else None
    wanted = data.arg(1) if data else ""
    if incident_id is None or wanted not in set(IncidentStatus) - {IncidentStatus.BARU}:
        await refuse(update, context, "common.errors.stale_button")
        return None
    status = IncidentStatus(wanted)
    try:
        if status == IncidentStatus.DITERIMA:
            await _apply(update, context, incident_id, status, "")
            return _stay(update, context)
        incident = await _visible_for_follow_up(context, incident_id)
        if status not in workflow.next_statuses(context.official, incident):
            raise service.InvalidTransition(current=incident.status, wanted=status.value)
    except service.InvalidTransition:
        # someone else was faster: show the report as it is now, with the buttons that fit
        text, keyboard = await render_detail(context, await _fresh_official(context),
                                             incident_id)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        raise
    if _busy(update, context):
        await refuse(update, context, "common.flow.busy")
        return None
    await query.answer()
    context.user_data[FOLLOW] = {"incident": incident_id, "status": status.value}
    tr = context.tr
    if status in workflow.NOTE_REQUIRED:
        await reply(update, context, "incidents.follow.ask_reason", ticket=incident.ticket)
    else:
        await reply(update, context, "incidents.follow.ask_note", ticket=incident.ticket,
                    status=label(tr, "status", status), reply_markup=buttons(
                        [[(tr("incidents.buttons.skip_note"), callbacks.pack(NOTE_KIND, "skip"))]]))
    return NOTE


@checked(Action.INCIDENT_FOLLOW_UP)
async def on_note(update: Update, context: WilayahContext) -> int | None:
    """The note (or reason) for the status chosen a moment ago."""
    pending = context.user_data.get(FOLLOW) or {}
    if "status" not in pending:
        return ConversationHandler.END
    note = ""
    if update.callback_query is not None:
        data = callbacks.parse(update.callback_query.data)
        if data is None or data.args != ("skip",) or pending["status"] in workflow.NOTE_REQUIRED:
            await refuse(update, context, "common.errors.stale_button")
            return None
    else:
        note = (update.effective_message.text if update.effective_message else "") or ""
    await _apply(update, context, int(pending["incident"]), IncidentStatus(pending["status"]),
                 note)
    context.user_data.pop(FOLLOW, None)
    return ConversationHandler.END


@checked(Action.INCIDENT_FOLLOW_UP)
async def on_ask_button(update: Update, context: WilayahContext) -> int | None:
    """Minta info: ask what to put to the reporter."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    incident_id = data.int_arg(0) if data else None
    if incident_id is None:
        await refuse(update, context, "common.errors.stale_button")
        return None
    incident = await _visible_for_follow_up(context, incident_id)
    if incident.status in workflow.CLOSED_STATUSES:
        raise service.IncidentClosed(status=label(context.tr, "status", incident.status))
    if _busy(update, context):
        await refuse(update, context, "common.flow.busy")
        return None
    await query.answer()
    context.user_data[FOLLOW] = {"ask": incident_id}
    await reply(update, context, "incidents.follow.ask_question", ticket=incident.ticket)
    return QUESTION


@checked(Action.INCIDENT_FOLLOW_UP)
async def on_question(update: Update, context: WilayahContext) -> int | None:
    """Store the question and put it to the reporter with a Jawab button."""
    pending = context.user_data.get(FOLLOW) or {}
    if "ask" not in pending:
        return ConversationHandler.END
    actor = await _fresh_official(context)
    text = (update.effective_message.text if update.effective_message else "") or ""
    async with context.db.session() as session:
        request = await workflow.request_info(session, context.clock,
                                              incident_id=int(pending["ask"]), actor=actor,
                                              question=text)
        incident = await service.get_incident(session, request.incident_id)
        reporter = await session.get(Official, incident.reporter_id)
    context.user_data.pop(FOLLOW, None)
    assert reporter is not None
    tr = Translator(reporter.language)
    delivered = await notify(context, reporter, tr(
        "incidents.follow.question_for_reporter", ticket=incident.ticket, asker=actor.full_name,
        role=tr(f"common.roles.{actor.role}"), question=request.question),
        reply_markup=buttons([[(tr("incidents.buttons.answer"),
                                callbacks.pack(ANSWER_KIND, request.id))]]))
    key = "incidents.follow.question_sent" if delivered else "incidents.follow.not_delivered"
    await reply(update, context, key, ticket=incident.ticket)
    return ConversationHandler.END


@checked(Action.INCIDENT_REPORT)
async def on_answer_button(update: Update, context: WilayahContext) -> int | None:
    """Jawab, pressed by the reporter under a question about their report."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    request_id = data.int_arg(0) if data else None
    async with context.db.session() as session:
        request = await session.get(IncidentInfoRequest, request_id) if request_id else None
        incident = await service.get_incident(session, request.incident_id) if request else None
    if request is None or incident is None:
        await refuse(update, context, "common.errors.stale_button")
        return None
    if context.official is None or incident.reporter_id != context.official.id:
        raise service.IncidentNotAllowed()
    if request.answered_at is not None:
        raise service.InfoAlreadyAnswered()
    if _busy(update, context):
        await refuse(update, context, "common.flow.busy")
        return None
    await query.answer()
    context.user_data[FOLLOW] = {"answer": request.id}
    await reply(update, context, "incidents.follow.ask_answer", ticket=incident.ticket,
                question=request.question)
    return ANSWER


@checked(Action.INCIDENT_REPORT)
async def on_answer(update: Update, context: WilayahContext) -> int | None:
    """Attach the reporter's answer to the report and pass it to whoever asked."""
    pending = context.user_data.get(FOLLOW) or {}
    if "answer" not in pending:
        return ConversationHandler.END
    reporter = await _fresh_official(context)
    text = (update.effective_message.text if update.effective_message else "") or ""
    async with context.db.session() as session:
        request, incident = await workflow.answer_info(
            session, context.clock, request_id=int(pending["answer"]), reporter=reporter,
            answer=text)
        asker = await session.get(Official, request.asked_by_id)
    context.user_data.pop(FOLLOW, None)
    if asker is not None:
        tr = Translator(asker.language)
        await notify(context, asker, tr(
            "incidents.follow.answer_for_asker", ticket=incident.ticket,
            reporter=reporter.full_name, question=request.question,
            answer=request.answer or ""), reply_markup=buttons([[(
                tr("incidents.buttons.details"), callbacks.pack(OPEN_KIND, incident.id))]]))
    await reply(update, context, "incidents.follow.answer_sent", ticket=incident.ticket)
    return ConversationHandler.END


async def hint_text(update: Update, context: WilayahContext) -> None:
    """Anything but text where a typed note, question or answer is expected."""
    await load_official(update, context)
    await reply(update, context, "incidents.hint.text")

