"""Turning a reminder row into a message: one renderer per kind, tolerant of what it finds.

A renderer gets the facts of the reminder — its JSON payload, completed from the target row
(read generically by table name, whitelisted columns only, so no private data leaks in) —
and returns (text, reply_markup), or None when the reminder is no longer meaningful (the
target was cancelled or closed). Unknown kinds get a generic text, never an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Html, Translator
from bot.services.broadcasts import ACK_REMINDER_KIND
from bot.services.regions import describe, timezone_for
from models.officials import Official
from models.reminders import Reminder

Rendered = tuple[str, InlineKeyboardMarkup | None]
Renderer = Callable[["Facts", Translator], Rendered | None]

# columns a renderer may read from a target row; anything else (names, NIK, phones) stays out
_TARGET_COLUMNS = (
    "title", "starts_at", "ends_at", "venue", "place", "timezone", "ticket", "due_at",
    "rsvp_deadline", "status", "region_code", "target_group",
)
# target statuses after which a reminder about it makes no sense (meetings, drives, complaints)
_CLOSED_STATUSES = {"cancelled", "closed", "resolved", "rejected", "selesai", "ditolak"}
_TIME_KEYS = {"starts_at", "ends_at", "due_at", "rsvp_deadline", "deadline", "at"}


@dataclass(frozen=True)
class Facts:
    """What a renderer may show: payload merged with the target row, plus the recipient."""

    kind: str
    values: dict[str, Any]
    timezone: str
    region_name: str

    def text(self, key: str) -> str | None:
        value = self.values.get(key)
        return None if value in (None, "") else str(value)

    def moment(self, key: str) -> datetime | None:
        value = self.values.get(key)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return None

    @property
    def closed(self) -> bool:
        return str(self.values.get("status", "")).lower() in _CLOSED_STATUSES


RENDERERS: dict[str, Renderer] = {}


def renderer(*kinds: str) -> Callable[[Renderer], Renderer]:
    """Register a renderer for one or more reminder kinds."""
    def decorate(function: Renderer) -> Renderer:
        for kind in kinds:
            RENDERERS[kind] = function
        return function
    return decorate


async def gather_facts(session: AsyncSession, reminder: Reminder, recipient: Official | None,
                       *, default_timezone: str) -> Facts:
    """The payload, completed with whitelisted columns of the target row when there is one."""
    try:
        payload = json.loads(reminder.payload or "{}")
    except ValueError:
        payload = {}
    values: dict[str, Any] = payload if isinstance(payload, dict) else {}
    table = SQLModel.metadata.tables.get(reminder.target_type)
    if table is not None and "id" in table.c:
        columns = [table.c[name] for name in _TARGET_COLUMNS if name in table.c]
        if columns:
            row = (await session.exec(
                select(*columns).where(table.c.id == reminder.target_id))).first()
            if row is not None:
                found = row._mapping  # the documented way to read a Row by column name
                values = {**values, **{k: v for k, v in found.items() if v is not None}}
    region_code = (recipient.region_code if recipient else None)
    timezone = str(values.get("timezone") or "") or (
        timezone_for(region_code) if region_code else default_timezone)
    target_region = str(values.get("region_code") or "")
    region_name = await describe(session, target_region) if target_region else ""
    return Facts(reminder.kind, values, timezone, region_name)


async def render_reminder(session: AsyncSession, reminder: Reminder, translator: Translator,
                          *, recipient: Official | None = None,
                          default_timezone: str = "Asia/Jakarta") -> Rendered | None:
    """The message for a reminder in the recipient's language; None if no longer meaningful."""
    facts = await gather_facts(session, reminder, recipient, default_timezone=default_timezone)
    if facts.closed:
        return None
    function = RENDERERS.get(reminder.kind, _generic)
    return function(facts, translator)


# ---- the kinds features plan --------------------------------------------------------------


def _when(facts: Facts, t: Translator, key: str = "starts_at") -> str:
    moment = facts.moment(key)
    return t.datetime(moment, facts.timezone) if moment else t("reminders.render.unknown_time")


def _lines(t: Translator, *parts: str | None) -> str:
    return "\n".join(part for part in parts if part)


def _detail(t: Translator, key: str, value: str | None) -> str | None:
    return t(key, value=value) if value else None


@renderer("meeting.day_before", "meeting.hour_before")
def _meeting_soon(facts: Facts, t: Translator) -> Rendered:
    key = "reminders.meeting.day_before" if facts.kind.endswith("day_before") else \
        "reminders.meeting.hour_before"
    title = facts.text("title") or t("reminders.render.untitled_meeting")
    place = facts.text("venue") or facts.text("place")
    return _lines(t, t(key, title=title, when=Html(_when(facts, t))),
                  _detail(t, "reminders.render.place", place)), None


@renderer("meeting.rsvp_due")
def _meeting_rsvp(facts: Facts, t: Translator) -> Rendered:
    title = facts.text("title") or t("reminders.render.untitled_meeting")
    deadline = facts.moment("rsvp_deadline")
    return _lines(
        t, t("reminders.meeting.rsvp_due", title=title, when=Html(_when(facts, t))),
        t("reminders.meeting.rsvp_deadline", deadline=Html(t.datetime(deadline, facts.timezone)))
        if deadline else None,
    ), None


@renderer("drive.before")
def _drive_before(facts: Facts, t: Translator) -> Rendered:
    return _lines(
        t, t("reminders.drive.before", when=Html(_when(facts, t))),
        _detail(t, "reminders.render.place", facts.text("place") or facts.text("venue")),
        _detail(t, "reminders.render.target_group", facts.text("target_group")),
    ), None


@renderer("drive.realisasi")
def _drive_realisation(facts: Facts, t: Translator) -> Rendered:
    return _lines(
        t, t("reminders.drive.realisasi", when=Html(_when(facts, t))),
        _detail(t, "reminders.render.place", facts.text("place") or facts.text("venue")),
    ), None


@renderer("complaint.due_soon", "complaint.escalate_camat", "complaint.escalate_admin")
def _complaint(facts: Facts, t: Translator) -> Rendered:
    key = {"complaint.due_soon": "reminders.complaint.due_soon",
           "complaint.escalate_camat": "reminders.complaint.escalate_camat",
           "complaint.escalate_admin": "reminders.complaint.escalate_admin"}[facts.kind]
    ticket = facts.text("ticket") or "—"
    return _lines(
        t, t(key, ticket=ticket, due=Html(_when(facts, t, "due_at"))),
        _detail(t, "reminders.render.region", facts.region_name),
    ), None


@renderer(ACK_REMINDER_KIND)
def _broadcast_ack(facts: Facts, t: Translator) -> Rendered | None:
    broadcast_id = facts.values.get("broadcast_id")
    if not isinstance(broadcast_id, int):
        return None
    excerpt = facts.text("excerpt") or ""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(
        t("broadcasts.buttons.ack"), callback_data=callbacks.pack("bc.ack", broadcast_id))]])
    return t("reminders.broadcast.ack_reminder", excerpt=excerpt), markup


def _generic(facts: Facts, t: Translator) -> Rendered:
    title = facts.text("title") or facts.text("ticket") or _kind_label(facts.kind)
    moment = next((facts.moment(k) for k in ("starts_at", "due_at", "at") if facts.moment(k)),
                  None)
    return _lines(
        t, t("reminders.render.generic", title=title),
        _detail(t, "reminders.render.when", t.datetime(moment, facts.timezone) if moment else None),
        _detail(t, "reminders.render.place", facts.text("venue") or facts.text("place")),
    ), None


def _kind_label(kind: str) -> str:
    return re.sub(r"[._]", " ", kind).strip()


def kind_label(kind: str, t: Translator) -> str:
    """A short human name of a reminder kind, for lists such as /pengingat."""
    key = f"reminders.kinds.{kind.replace('.', '_')}"
    return t(key) if t.has(key) else _kind_label(kind)


# ---- the weekly digest (reports feature): its figures travel in the payload --------------

from bot.services.recap_digest import DIGEST_KIND, render_digest  # noqa: E402

RENDERERS[DIGEST_KIND] = render_digest
