"""Texts and buttons about a broadcast's delivery: progress, final report, the ack button.

Shared by the delivery worker and the /siaran handlers, so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Html, Translator
from bot.services.broadcasts import BroadcastProgress
from models.broadcasts import Broadcast, BroadcastDelivery, BroadcastStatus, DeliveryStatus
from models.officials import Official

ACK = "bc.ack"
CANCEL = "bc.cancel"
ACKS = "bc.acks"
REMIND = "bc.remind"


def ack_markup(t: Translator, broadcast_id: int) -> InlineKeyboardMarkup:
    """The "Sudah dibaca" button under a delivered broadcast."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        t("broadcasts.buttons.ack"), callback_data=callbacks.pack(ACK, broadcast_id))]])


def progress_text(t: Translator, broadcast: Broadcast, figures: BroadcastProgress) -> str:
    """'Terkirim 1.240 / 3.000 · gagal 3' with the state of the broadcast."""
    key = {
        BroadcastStatus.DONE: "broadcasts.progress.done",
        BroadcastStatus.CANCELLED: "broadcasts.progress.cancelled",
    }.get(BroadcastStatus(broadcast.status), "broadcasts.progress.running")
    total = figures.total or broadcast.total
    lines = [t(key, id=broadcast.id),
             t("broadcasts.progress.figures", sent=t.number(figures.sent),
               total=t.number(total), failed=t.number(figures.failed))]
    unknown = figures.count(DeliveryStatus.UNKNOWN)
    if unknown:
        lines.append(t("broadcasts.progress.unknown", count=t.number(unknown)))
    if broadcast.ask_ack:
        lines.append(t("broadcasts.progress.acked", acked=t.number(figures.acked),
                       sent=t.number(figures.sent)))
    return "\n".join(lines)


def progress_markup(t: Translator, broadcast: Broadcast) -> InlineKeyboardMarkup | None:
    """A cancel button while it can still be stopped; the ack overview once it is over."""
    assert broadcast.id is not None
    if broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        return InlineKeyboardMarkup([[InlineKeyboardButton(
            t("broadcasts.buttons.cancel"), callback_data=callbacks.pack(CANCEL, broadcast.id))]])
    if broadcast.ask_ack:
        return InlineKeyboardMarkup([[InlineKeyboardButton(
            t("broadcasts.buttons.acks"), callback_data=callbacks.pack(ACKS, broadcast.id))]])
    return None


_REASON_KEYS = {
    DeliveryStatus.BLOCKED: "broadcasts.report.reason_blocked",
    DeliveryStatus.UNKNOWN: "broadcasts.report.reason_unknown",
    DeliveryStatus.FAILED: "broadcasts.report.reason_failed",
}


def final_report_text(t: Translator, broadcast: Broadcast, figures: BroadcastProgress,
                      failures: Sequence[tuple[Official, BroadcastDelivery]]) -> str:
    """The closing report: figures, then who was not reached and why (first few)."""
    key = ("broadcasts.report.cancelled" if broadcast.status == BroadcastStatus.CANCELLED
           else "broadcasts.report.done")
    lines = [t(key, id=broadcast.id),
             t("broadcasts.report.figures", sent=t.number(figures.sent),
               total=t.number(figures.total), blocked=t.number(figures.count(
                   DeliveryStatus.BLOCKED)), failed=t.number(figures.count(DeliveryStatus.FAILED)),
               unknown=t.number(figures.count(DeliveryStatus.UNKNOWN)),
               cancelled=t.number(figures.count(DeliveryStatus.CANCELLED)))]
    if failures:
        lines.append("")
        lines.append(t("broadcasts.report.failures_title"))
        for official, delivery in failures:
            reason = t(_REASON_KEYS.get(DeliveryStatus(delivery.status),
                                        "broadcasts.report.reason_failed"),
                       error=delivery.error or "—")
            lines.append(t("broadcasts.report.failure_line", name=official.full_name,
                           reason=Html(reason)))
        shown = len(failures)
        missing = (figures.count(DeliveryStatus.BLOCKED) + figures.count(DeliveryStatus.FAILED)
                   + figures.count(DeliveryStatus.UNKNOWN))
        if missing > shown:
            lines.append(t("broadcasts.report.more_failures", count=t.number(missing - shown)))
    return "\n".join(lines)
