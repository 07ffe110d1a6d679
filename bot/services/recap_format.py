"""The recap as text, in the reader's language: the /rekap message and the weekly digest."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.i18n import ZONE_ABBREVIATIONS, Html, Translator
from bot.services.recap import (
    KECAMATAN_CODE_LENGTH,
    AttendanceGroup,
    DriveGroup,
    IncidentGroup,
    Recap,
)
from bot.services.recap_period import Period
from models.complaints import ComplaintCategory
from models.incidents import IncidentCategory, IncidentStatus, IncidentUrgency

MAX_MESSAGE = 4096
# kecamatan lines per section; a kab/kota rarely has more, and the message must stay short
MAX_ROWS = 10
ORDERS: dict[str, list[str]] = {
    "incident_category": [str(v) for v in IncidentCategory],
    "incident_urgency": [str(v) for v in reversed(IncidentUrgency)],
    "incident_status": [str(v) for v in IncidentStatus],
    "complaint_category": [str(v) for v in ComplaintCategory],
}


def label(tr: Translator, group: str, value: str | None) -> str:
    """A short label for an enum value ('darurat' → 'Darurat'), or the value itself."""
    if value is None or value == "":
        return ""
    key = f"reports.labels.{group}.{value}"
    return tr(key) if tr.has(key) else str(value)


def percent(tr: Translator, rate: float | None) -> str:
    return tr("reports.recap.no_rate") if rate is None else f"{round(rate * 100)}%"


def zone_name(timezone: str) -> str:
    return ZONE_ABBREVIATIONS.get(timezone, timezone)


def period_text(tr: Translator, period: Period) -> Html:
    """'29 Oktober – 4 November 2024 (WIB)', or one day when the period is a single day."""
    def day(value: date) -> str:
        moment = datetime.combine(value, time(12), tzinfo=ZoneInfo(period.timezone))
        return tr.date(moment, period.timezone, with_day=False)

    last = day(period.last_day)
    if period.first_day == period.last_day:
        text = last
    else:
        first = day(period.first_day)
        if period.first_day.year == period.last_day.year:
            first = first.removesuffix(f" {period.first_day.year}")
        text = tr("reports.recap.range", first=first, last=last)
    return Html(tr("reports.recap.period_zone", period=Html(text),
                   zone=zone_name(period.timezone)))


def duration_text(tr: Translator, hours: float | None) -> Html:
    """'1 hari 12 jam', '5 jam', '40 menit'."""
    if hours is None:
        return Html(tr("reports.recap.no_rate"))
    minutes = round(hours * 60)
    if minutes < 60:
        return Html(tr("reports.duration.minutes", count=minutes))
    days, hours_left = divmod(round(minutes / 60), 24)

    def unit(name: str, count: int) -> Html:
        return Html(tr(f"reports.duration.{name}_{'one' if count == 1 else 'other'}",
                       count=count))

    if not days:
        return unit("hour", hours_left)
    if not hours_left:
        return unit("day", days)
    return Html(tr("reports.duration.join", days=unit("day", days),
                   hours=unit("hour", hours_left)))


def counts(tr: Translator, group: str, values: dict[str, int]) -> Html:
    """'Bencana 2 · Keamanan 1': largest first, then in the enum's order."""
    order = ORDERS.get(group, [])

    def rank(item: tuple[str, int]) -> tuple[int, int]:
        return (-item[1], order.index(item[0]) if item[0] in order else len(order))

    return Html(tr("reports.recap.separator").join(
        f"{label(tr, group, key)} {tr.number(count)}"
        for key, count in sorted(values.items(), key=rank) if count))


def _rows(tr: Translator, groups: Iterable[object], line: Callable[[object], str]) -> list[str]:
    items = list(groups)
    lines = [line(group) for group in items[:MAX_ROWS]]
    if len(items) > MAX_ROWS:
        lines.append(tr("reports.recap.more", count=len(items) - MAX_ROWS))
    return lines


def _per_kecamatan(recap: Recap) -> bool:
    """A camat's recap is one kecamatan already; rows would repeat the totals."""
    return recap.area_code is None or len(recap.area_code) < KECAMATAN_CODE_LENGTH


def _name(tr: Translator, name: str) -> str:
    return name or Html(tr("reports.recap.no_region"))


def incident_lines(tr: Translator, recap: Recap) -> list[str]:
    whole = recap.incidents
    rows = recap.incidents_by_kecamatan if _per_kecamatan(recap) else ()
    if not whole.total:
        return [tr("reports.recap.incidents_none")]

    def line(group: object) -> str:
        assert isinstance(group, IncidentGroup)
        return tr("reports.recap.incident_row", name=_name(tr, group.name),
                  count=tr.number(group.total),
                  categories=counts(tr, "incident_category", group.by_category),
                  urgency=counts(tr, "incident_urgency", group.by_urgency),
                  status=counts(tr, "incident_status", group.by_status))

    return [
        tr("reports.recap.incidents", count=tr.number(whole.total)),
        tr("reports.recap.by_category", items=counts(tr, "incident_category", whole.by_category)),
        tr("reports.recap.by_urgency", items=counts(tr, "incident_urgency", whole.by_urgency)),
        tr("reports.recap.by_status", items=counts(tr, "incident_status", whole.by_status)),
        *([tr("reports.recap.per_kecamatan")] if rows else []),
        *_rows(tr, rows, line),
    ]


def complaint_lines(tr: Translator, recap: Recap) -> list[str]:
    figures = recap.complaints
    note = [tr("reports.recap.hidden_categories")] if recap.hidden_categories else []
    if not figures.received:
        return [tr("reports.recap.complaints_none"), *note]
    return [
        tr("reports.recap.complaints", count=tr.number(figures.received)),
        tr("reports.recap.complaints_line", open=tr.number(figures.open),
           overdue=tr.number(figures.overdue), resolved=tr.number(figures.resolved),
           rejected=tr.number(figures.rejected)),
        tr("reports.recap.median", duration=duration_text(tr, figures.median_resolution_hours)),
        *note,
    ]


def attendance_lines(tr: Translator, recap: Recap) -> list[str]:
    total = recap.attendance
    if not recap.meetings:
        return [tr("reports.recap.attendance_none")]

    def line(group: object) -> str:
        assert isinstance(group, AttendanceGroup)
        return tr("reports.recap.attendance_row", name=_name(tr, group.name),
                  rate=percent(tr, group.attendance_rate), attending=group.attending,
                  invited=group.invited, checked_in=group.checked_in)

    return [
        tr("reports.recap.attendance", meetings=tr.number(recap.meetings)),
        tr("reports.recap.attendance_total", attending=tr.number(total.attending),
           invited=tr.number(total.invited), rate=percent(tr, total.attendance_rate),
           checked_in=tr.number(total.checked_in), check_in_rate=percent(tr, total.check_in_rate)),
        *_rows(tr, recap.attendance_by_kecamatan if _per_kecamatan(recap) else (), line),
    ]


def drive_lines(tr: Translator, recap: Recap) -> list[str]:
    total = recap.drive_totals
    if not recap.drives:
        return [tr("reports.recap.drives_none")]

    def line(group: object) -> str:
        assert isinstance(group, DriveGroup)
        return tr("reports.recap.drive_row", name=_name(tr, group.name),
                  realised=tr.number(group.realised), target=tr.number(group.target),
                  rate=percent(tr, group.rate))

    return [
        tr("reports.recap.drives", drives=tr.number(recap.drives)),
        tr("reports.recap.drives_total", realised=tr.number(total.realised),
           target=tr.number(total.target), rate=percent(tr, total.rate),
           reported=tr.number(total.reported), places=tr.number(total.places)),
        *_rows(tr, recap.drives_by_kecamatan if _per_kecamatan(recap) else (), line),
    ]


def area_text(tr: Translator, recap: Recap) -> str:
    return recap.area_name or Html(tr("reports.recap.everywhere"))


def recap_text(tr: Translator, recap: Recap, *, title_key: str = "reports.recap.title",
               footer: str = "") -> str:
    """The whole recap as one HTML message (under Telegram's 4096 characters)."""
    head = "\n".join([tr(title_key, area=area_text(tr, recap)),
                      tr("reports.recap.period", period=period_text(tr, recap.period))])
    tail = [footer] if footer else []
    if recap.is_empty:
        return "\n\n".join([head, tr("reports.recap.empty"), *tail])
    sections = [incident_lines(tr, recap), complaint_lines(tr, recap),
                attendance_lines(tr, recap), drive_lines(tr, recap)]
    text = "\n\n".join([head, *("\n".join(lines) for lines in sections), *tail])
    if len(text) > MAX_MESSAGE:  # only with very many kecamatan: keep the totals
        text = "\n\n".join([head, *("\n".join(lines[:4]) for lines in sections), *tail])
    return text


def chart_caption(tr: Translator, recap: Recap) -> str:
    return tr("reports.recap.chart_caption", area=area_text(tr, recap),
              period=period_text(tr, recap.period))
