"""Complaint texts and keyboards: pure functions of the data and the translator."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Html, Translator
from bot.services import complaints_rules as rules_
from bot.services.complaints import ComplaintDetail, Receipt
from bot.services.complaints_query import ComplaintPage
from bot.services.regions import timezone_for
from handlers.common import buttons
from models.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    ForwardTarget,
)

MAX_TEXT = 4000
HISTORY_SHOWN = 8
PERIODS = ("7d", "30d", "mon")
KIND_LIST = "adu.ls"
KIND_FILTER = "adu.fl"
KIND_OPEN = "adu.op"
KIND_STATUS = "adu.st"
KIND_FORWARD = "adu.fw"
KIND_NOTE = "adu.nt"
KIND_RECEIPT = "adu.rc"
KIND_PHOTOS = "adu.ph"
KIND_FIND = "adu.find"
KIND_AUDIT = "adu.au"


def status_label(tr: Translator, status: str) -> str:
    return tr(f"complaints.status.{status}")


def category_label(tr: Translator, category: str) -> str:
    return tr(f"complaints.category.{category}")


def channel_label(tr: Translator, channel: str) -> str:
    return tr(f"complaints.channel.{channel}")


def receipt_text(tr: Translator, receipt: Receipt, region_name: str) -> str:
    """The citizen-facing receipt: number, category, dates, office; nothing private."""
    due = datetime.combine(receipt.due_on, rules_.END_OF_DAY, tzinfo=ZoneInfo(receipt.timezone))
    return tr("complaints.receipt.body", ticket=receipt.ticket,
              category=category_label(tr, receipt.category), region=region_name,
              received=tr.date(receipt.received_at, receipt.timezone),
              due=tr.date(due, receipt.timezone))


def summary_text(tr: Translator, draft: dict[str, Any]) -> str:
    """The draft as it will be stored, with NIK and phone masked."""
    none = tr("complaints.summary.none")
    location = draft.get("location") or none
    if draft.get("lat") is not None:
        location = tr("complaints.summary.coordinates", lat=f"{draft['lat']:.5f}",
                      lon=f"{draft['lon']:.5f}")
    return tr(
        "complaints.summary.body", name=draft.get("name", "-"),
        phone=rules_.mask(draft.get("phone")) or none, nik=rules_.mask(draft.get("nik")) or none,
        channel=channel_label(tr, draft.get("channel", "lainnya")),
        category=category_label(tr, draft.get("category", "lainnya")),
        description=draft.get("description", "-"), location=location,
        photos=len(draft.get("photos", [])))


def _history_line(tr: Translator, change: Any, names: dict[int, str], zone: str) -> str:
    target = ""
    if change.forwarded_to == ForwardTarget.CAMAT:
        target = tr("complaints.detail.to_camat")
    elif change.forwarded_to == ForwardTarget.AGENCY:
        target = tr("complaints.detail.to_agency", agency=change.forwarded_agency or "-")
    return tr("complaints.detail.history_line", when=tr.datetime(change.at, zone, with_day=False),
              status=status_label(tr, change.to_status), target=Html(target),
              actor=names.get(change.actor_id, "?"))


def detail_text(tr: Translator, detail: ComplaintDetail, region_name: str) -> str:
    """Everything the viewer may know about one complaint, within Telegram's length limit."""
    complaint = detail.complaint
    zone = timezone_for(complaint.region_code)
    history = detail.history[-HISTORY_SHOWN:]
    lines = Html("\n".join(_history_line(tr, h, detail.names, zone) for h in history))
    forwarded = ""
    if complaint.forwarded_to == ForwardTarget.CAMAT:
        forwarded = tr("complaints.detail.forwarded", target=Html(tr("complaints.detail.to_camat")))
    elif complaint.forwarded_to == ForwardTarget.AGENCY:
        forwarded = tr("complaints.detail.forwarded", target=Html(tr(
            "complaints.detail.to_agency", agency=complaint.forwarded_agency or "-")))
    none = tr("complaints.summary.none")
    location = complaint.location_text or none
    if complaint.latitude is not None and complaint.longitude is not None:
        location = tr("complaints.summary.coordinates", lat=f"{complaint.latitude:.5f}",
                      lon=f"{complaint.longitude:.5f}")

    def render(description: str) -> str:
        return tr(
            "complaints.detail.body", ticket=complaint.ticket,
            category=category_label(tr, complaint.category),
            status=status_label(tr, complaint.status),
            overdue=Html(tr("complaints.detail.overdue") if detail.overdue else ""),
            sensitive=Html(tr("complaints.detail.sensitive") if detail.sensitive else ""),
            name=complaint.citizen_name, phone=detail.phone or none, nik=detail.nik or none,
            channel=channel_label(tr, complaint.channel), region=region_name,
            location=location, photos=len(detail.photos),
            received=Html(tr.datetime(complaint.received_at, zone)),
            due=tr.date(complaint.due_at, zone), forwarded=Html(forwarded),
            assignee=detail.names.get(complaint.assignee_id, "?"), description=description,
            resolution=Html(tr("complaints.detail.resolution", note=complaint.resolution_note)
                            if complaint.resolution_note else ""),
            history=lines)

    text = render(complaint.description)
    if len(text) > MAX_TEXT:
        keep = max(0, len(complaint.description) - (len(text) - MAX_TEXT) - 1)
        text = render(complaint.description[:keep] + "…")
    return text


def detail_keyboard(tr: Translator, detail: ComplaintDetail) -> InlineKeyboardMarkup:
    """Status buttons for what may happen next, plus receipt and photos."""
    complaint = detail.complaint
    cid, current = complaint.id, str(complaint.status)
    allowed = rules_.TRANSITIONS[ComplaintStatus(current)]
    rows: list[list[tuple[str, str]]] = []
    first: list[tuple[str, str]] = []
    if ComplaintStatus.DIPROSES in allowed:
        first.append((tr("complaints.buttons.process"),
                      callbacks.pack(KIND_STATUS, cid, "diproses", current)))
    if ComplaintStatus.DITERUSKAN in allowed:
        first.append((tr("complaints.buttons.forward"),
                      callbacks.pack(KIND_FORWARD, cid, current)))
    if first:
        rows.append(first)
    if ComplaintStatus.SELESAI in allowed:
        rows.append([(tr("complaints.buttons.resolve"),
                      callbacks.pack(KIND_NOTE, cid, "selesai", current)),
                     (tr("complaints.buttons.reject"),
                      callbacks.pack(KIND_NOTE, cid, "ditolak", current))])
    extra = [(tr("complaints.buttons.receipt"), callbacks.pack(KIND_RECEIPT, cid))]
    if detail.photos:
        extra.append((tr("complaints.buttons.photos", count=len(detail.photos)),
                      callbacks.pack(KIND_PHOTOS, cid)))
    rows.append(extra)
    return buttons(rows)


def forward_keyboard(tr: Translator, complaint: Complaint, *,
                     to_camat: bool) -> InlineKeyboardMarkup:
    cid, current = complaint.id, str(complaint.status)
    rows: list[list[tuple[str, str]]] = []
    if to_camat:
        rows.append([(tr("complaints.buttons.to_camat"),
                      callbacks.pack(KIND_STATUS, cid, "camat", current))])
    rows.append([(tr("complaints.buttons.to_agency"),
                  callbacks.pack(KIND_NOTE, cid, "opd", current))])
    rows.append([(tr("common.buttons.back"), callbacks.pack(KIND_OPEN, cid, "back"))])
    return buttons(rows)


@dataclass(frozen=True)
class ListState:
    """The filters and page of a complaint list, carried in its buttons."""

    status: str = "-"
    overdue: bool = False
    category: str = "-"
    period: str = "-"
    page: int = 0

    def args(self) -> tuple[object, ...]:
        return (self.status, "1" if self.overdue else "0", self.category, self.period, self.page)

    def pack(self, kind: str = KIND_LIST, *prefix: object) -> str:
        return callbacks.pack(kind, *prefix, *self.args())

    @classmethod
    def parse(cls, args: tuple[str, ...]) -> ListState | None:
        """The state from callback arguments, or None if any of them is not a known value."""
        if len(args) != 5:
            return None
        status, overdue, category, period, page = args
        if status != "-" and status not in {s.value for s in ComplaintStatus}:
            return None
        if category != "-" and category not in {c.value for c in ComplaintCategory}:
            return None
        if (period != "-" and period not in PERIODS) or overdue not in ("0", "1"):
            return None
        if not page.isdigit() or int(page) > 10_000:
            return None
        return cls(status, overdue == "1", category, period, int(page))

    def since(self, now: datetime, zone: str) -> datetime | None:
        if self.period == "7d":
            return now - timedelta(days=7)
        if self.period == "30d":
            return now - timedelta(days=30)
        if self.period == "mon":
            local = now.astimezone(ZoneInfo(zone))
            return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return None


def _complaint_line(tr: Translator, complaint: Complaint, now: datetime) -> str:
    zone = timezone_for(complaint.region_code)
    return tr("complaints.list.line", ticket=complaint.ticket, name=complaint.citizen_name,
              category=category_label(tr, complaint.category),
              status=status_label(tr, complaint.status), due=tr.date(complaint.due_at, zone,
                                                                      with_day=False),
              overdue=Html(tr("complaints.list.overdue_mark")
                           if rules_.is_overdue(complaint, now) else ""))


def list_text(tr: Translator, page: ComplaintPage, state: ListState, now: datetime) -> str:
    filters = []
    if state.status != "-":
        filters.append(status_label(tr, state.status))
    if state.overdue:
        filters.append(tr("complaints.list.filter_overdue"))
    if state.category != "-":
        filters.append(category_label(tr, state.category))
    if state.period != "-":
        filters.append(tr(f"complaints.period.{state.period}"))
    header = tr("complaints.list.header", total=page.total,
                filters=", ".join(filters) or tr("complaints.list.no_filter"))
    if not page.items:
        return header + "\n\n" + tr("complaints.list.empty")
    return header + "\n\n" + complaint_lines(tr, page.items, now)


def complaint_lines(tr: Translator, items: list[Complaint], now: datetime) -> str:
    return "\n\n".join(_complaint_line(tr, c, now) for c in items)


def open_buttons(items: list[Complaint]) -> list[list[tuple[str, str]]]:
    return [[(f"{c.ticket} · {c.citizen_name}"[:60], callbacks.pack(KIND_OPEN, c.id))]
            for c in items]


def list_keyboard(tr: Translator, page: ComplaintPage, state: ListState) -> InlineKeyboardMarkup:
    rows = open_buttons(page.items)
    overdue_label = tr("complaints.buttons.overdue_on" if state.overdue
                       else "complaints.buttons.overdue_off")
    rows.append([(tr("complaints.buttons.filter_status"), state.pack(KIND_FILTER, "st")),
                 (tr("complaints.buttons.filter_category"), state.pack(KIND_FILTER, "cat")),
                 (tr("complaints.buttons.filter_period"), state.pack(KIND_FILTER, "per"))])
    rows.append([(overdue_label, replace(state, overdue=not state.overdue, page=0).pack()),
                 (tr("complaints.buttons.search"), callbacks.pack(KIND_FIND))])
    nav = []
    if state.page > 0:
        nav.append((tr("common.buttons.prev"), replace(state, page=state.page - 1).pack()))
    if page.has_next:
        nav.append((tr("common.buttons.next"), replace(state, page=state.page + 1).pack()))
    if nav:
        rows.append(nav)
    return buttons(rows)


def filter_keyboard(tr: Translator, which: str, state: ListState) -> InlineKeyboardMarkup:
    """The choices of one filter; each keeps the other filters and goes back to page one."""
    choices: list[tuple[str, ListState]] = [(tr("complaints.list.all"), state)]
    if which == "st":
        choices[0] = (tr("complaints.list.all"), replace(state, status="-", page=0))
        choices += [(status_label(tr, s), replace(state, status=s.value, page=0))
                    for s in ComplaintStatus]
    elif which == "cat":
        choices[0] = (tr("complaints.list.all"), replace(state, category="-", page=0))
        choices += [(category_label(tr, c), replace(state, category=c.value, page=0))
                    for c in ComplaintCategory]
    else:
        choices[0] = (tr("complaints.list.all"), replace(state, period="-", page=0))
        choices += [(tr(f"complaints.period.{p}"), replace(state, period=p, page=0))
                    for p in PERIODS]
    rows = [[(label, choice.pack())] for label, choice in choices]
    return buttons(rows)


def category_rows(tr: Translator, kind: str) -> list[list[tuple[str, str]]]:
    options = [(category_label(tr, c), callbacks.pack(kind, c.value)) for c in ComplaintCategory]
    return [options[i:i + 2] for i in range(0, len(options), 2)]


def channel_rows(tr: Translator, kind: str) -> list[list[tuple[str, str]]]:
    options = [(channel_label(tr, c), callbacks.pack(kind, c.value)) for c in ComplaintChannel]
    return [options[i:i + 2] for i in range(0, len(options), 2)]
