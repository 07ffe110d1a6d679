"""Incident reports as chat text and buttons: summaries, details, notifications, keyboards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Html, Translator
from bot.services.incidents import MAX_DESCRIPTION_CHARS, DraftMedia, IncidentDraft
from bot.services.incidents_query import IncidentDetail
from bot.services.incidents_workflow import CLOSED_STATUSES
from bot.services.regions import timezone_for
from handlers.common import buttons
from models.incidents import (
    Incident,
    IncidentStatus,
    IncidentStatusChange,
    IncidentUrgency,
    MediaKind,
)
from models.officials import Official

STATUS_KIND = "inc.st"
ASK_KIND = "inc.ask"
ANSWER_KIND = "inc.ans"
OPEN_KIND = "inc.o"
STATUS_BUTTONS = {
    IncidentStatus.DITERIMA: "incidents.buttons.accept",
    IncidentStatus.DITINDAKLANJUTI: "incidents.buttons.follow_up",
    IncidentStatus.SELESAI: "incidents.buttons.finish",
    IncidentStatus.DITOLAK: "incidents.buttons.reject",
}
# Telegram allows 4096 UTF-16 units; leave room for the escaping of user text
MESSAGE_BUDGET = 3900
SHOWN_QUESTIONS = 3
SHOWN_NOTE_CHARS = 300


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def when(tr: Translator, moment: datetime, region_code: str) -> str:
    return tr.datetime(moment, timezone_for(region_code))


def place(tr: Translator, *, latitude: float | None, longitude: float | None,
          address: str | None) -> str:
    if address:
        return address
    if latitude is not None and longitude is not None:
        return tr("incidents.report.coordinates", latitude=f"{latitude:.5f}",
                  longitude=f"{longitude:.5f}")
    return "-"


def media_count(tr: Translator, kinds: Sequence[MediaKind | str]) -> str:
    photos = sum(1 for k in kinds if k == MediaKind.PHOTO)
    documents = len(kinds) - photos
    parts = []
    if photos:
        parts.append(tr("incidents.media.photos", count=photos))
    if documents:
        parts.append(tr("incidents.media.documents", count=documents))
    return ", ".join(parts) or tr("incidents.media.none")


def marker(tr: Translator, urgency: IncidentUrgency | str) -> Html:
    return Html(tr(f"incidents.marker.{urgency}"))


def label(tr: Translator, section: str, value: object) -> str:
    return tr(f"incidents.{section}.{value}")


# --- the draft ------------------------------------------------------------------------------

def summary_text(tr: Translator, draft: IncidentDraft, region_code: str) -> str:
    return tr(
        "incidents.report.summary",
        category=label(tr, "category", draft.category) if draft.category else "-",
        urgency=label(tr, "urgency", draft.urgency) if draft.urgency else "-",
        time=when(tr, draft.occurred_at, region_code) if draft.occurred_at else "-",
        location=place(tr, latitude=draft.latitude, longitude=draft.longitude,
                       address=draft.address),
        media=media_count(tr, [m.kind for m in draft.media]),
        description=draft.description or "-",
    )


def media_saved_text(tr: Translator, item: DraftMedia, count: int, limit: int) -> str:
    return tr("incidents.report.media_saved", kind=label(tr, "media", item.kind),
              count=count, limit=limit)


# --- stored reports -------------------------------------------------------------------------

def notification_text(tr: Translator, incident: Incident, *, reporter: Official,
                      region_name: str, media_kinds: Sequence[MediaKind | str]) -> str:
    return tr(
        "incidents.notify.new", marker=marker(tr, incident.urgency), ticket=incident.ticket,
        category=label(tr, "category", incident.category),
        urgency=label(tr, "urgency", incident.urgency),
        region=region_name, reporter=reporter.full_name,
        role=tr(f"common.roles.{reporter.role}"),
        time=when(tr, incident.occurred_at, incident.region_code),
        location=place(tr, latitude=incident.latitude, longitude=incident.longitude,
                       address=incident.address),
        media=media_count(tr, media_kinds),
        description=incident.description,
    )


def _history_line(tr: Translator, change: IncidentStatusChange, incident: Incident,
                  actors: dict[int, Official]) -> str:
    actor = actors.get(change.actor_id)
    line = tr("incidents.detail.history_line",
              time=when(tr, change.at, incident.region_code),
              status=label(tr, "status", change.to_status),
              actor=actor.full_name if actor else "-")
    if change.note:
        line += tr("incidents.detail.history_note", note=clip(change.note, SHOWN_NOTE_CHARS))
    return line


def _question_lines(tr: Translator, detail: IncidentDetail) -> str:
    shown = list(detail.questions)[-SHOWN_QUESTIONS:]
    lines = []
    for question in shown:
        asker = detail.actors.get(question.asked_by_id)
        answer = (tr("incidents.detail.answer", answer=clip(question.answer, SHOWN_NOTE_CHARS))
                  if question.answer else tr("incidents.detail.no_answer"))
        lines.append(tr("incidents.detail.question", asker=asker.full_name if asker else "-",
                        question=clip(question.question, SHOWN_NOTE_CHARS),
                        answer=Html(answer)))
    return "\n".join(lines)


def detail_text(tr: Translator, detail: IncidentDetail) -> str:
    """The whole report; the description is shortened only if the message would not fit."""
    incident = detail.incident
    history = "\n".join(_history_line(tr, c, incident, detail.actors) for c in detail.history)
    questions = _question_lines(tr, detail)

    def render(description: str) -> str:
        return tr(
            "incidents.detail.body", marker=marker(tr, incident.urgency),
            ticket=incident.ticket, category=label(tr, "category", incident.category),
            urgency=label(tr, "urgency", incident.urgency),
            status=label(tr, "status", incident.status), region=detail.region_name,
            reporter=detail.reporter.full_name,
            time=when(tr, incident.occurred_at, incident.region_code),
            reported=when(tr, incident.created_at, incident.region_code),
            location=place(tr, latitude=incident.latitude, longitude=incident.longitude,
                           address=incident.address),
            media=media_count(tr, [m.kind for m in detail.media]),
            description=description, history=Html(history),
            questions=Html(tr("incidents.detail.questions", lines=Html(questions))
                           if questions else ""),
        )

    text = render(incident.description)
    overflow = utf16_len(text) - MESSAGE_BUDGET
    if overflow > 0:
        keep = max(200, MAX_DESCRIPTION_CHARS - overflow - 10)
        text = render(clip(incident.description, min(keep, len(incident.description))))
    return text


def status_changed_text(tr: Translator, incident: Incident, change: IncidentStatusChange,
                        actor: Official) -> str:
    """What the reporter reads after each change of their report."""
    note = tr("incidents.notify.note", note=change.note) if change.note else ""
    return tr("incidents.notify.status_changed", ticket=incident.ticket,
              status=label(tr, "status", change.to_status), actor=actor.full_name,
              role=tr(f"common.roles.{actor.role}"),
              time=when(tr, change.at, incident.region_code), note=Html(note))


# --- keyboards ------------------------------------------------------------------------------

def follow_up_keyboard(tr: Translator, incident: Incident, statuses: Sequence[IncidentStatus],
                       *, may_ask: bool, details: bool,
                       back: tuple[str, str] | None = None) -> InlineKeyboardMarkup | None:
    """Terima, Tindak lanjuti, Minta info, Selesai, Tolak — whatever this person may do now."""
    actions = [(tr(STATUS_BUTTONS[s]), callbacks.pack(STATUS_KIND, incident.id, s.value))
               for s in statuses if s in STATUS_BUTTONS]
    if may_ask and incident.status not in CLOSED_STATUSES:
        actions.insert(min(2, len(actions)),
                       (tr("incidents.buttons.ask_info"), callbacks.pack(ASK_KIND, incident.id)))
    rows = [actions[i:i + 2] for i in range(0, len(actions), 2)]
    if details:
        rows.append([(tr("incidents.buttons.details"), callbacks.pack(OPEN_KIND, incident.id))])
    if back is not None:
        rows.append([back])
    return buttons(rows) if rows else None
