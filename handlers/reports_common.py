"""What /rekap and /ekspor share: the period buttons, and reading the period chosen."""

from __future__ import annotations

from telegram import Update

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.i18n import Translator
from bot.services.recap_period import QUICK_PERIODS, Period, from_token, parse_range
from handlers.common import reply


def period_rows(tr: Translator, kind: str, range_kind: str, *extra: object,
                ) -> list[list[tuple[str, str]]]:
    """[Hari ini][7 hari][30 hari] / [Bulan ini][Rentang tanggal…] for callback `kind`."""
    labels = [(tr(f"reports.period.{p}"), callbacks.pack(kind, p, *extra)) for p in QUICK_PERIODS]
    return [labels[:3], [*labels[3:], (tr("reports.period.range"),
                                       callbacks.pack(range_kind, *extra))]]


def pressed_arguments(update: Update) -> callbacks.Callback:
    """The pressed button's data; malformed data is a stale button."""
    query = update.callback_query
    parsed = callbacks.parse(query.data if query else None)
    if parsed is None:
        raise DomainError("common.errors.stale_button")
    return parsed


def pressed_period(update: Update, context: WilayahContext, timezone: str) -> Period:
    """The period a period button names, its days counted in `timezone`."""
    return from_token(pressed_arguments(update).arg(0), now=context.clock.now(),
                      timezone=timezone)


async def ask_for_range(update: Update, context: WilayahContext, *, state: str) -> str:
    """Rentang tanggal: ask for '1/11/2024-15/11/2024', then wait for it in `state`."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await reply(update, context, "reports.menu.ask_range")
    return state


def typed_period(update: Update, timezone: str) -> Period:
    """The range the user typed (one that cannot be read is refused, and asked again)."""
    message = update.effective_message
    assert message is not None
    return parse_range(message.text or "", timezone=timezone)
