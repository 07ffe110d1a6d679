"""What /rekap and /ekspor share: the row of period buttons."""

from __future__ import annotations

from bot import callbacks
from bot.i18n import Translator
from bot.services.recap_period import QUICK_PERIODS


def period_rows(tr: Translator, kind: str, range_kind: str, *extra: object,
                ) -> list[list[tuple[str, str]]]:
    """[Hari ini][7 hari][30 hari] / [Bulan ini][Rentang tanggal…] for callback `kind`."""
    labels = [(tr(f"reports.period.{p}"), callbacks.pack(kind, p, *extra)) for p in QUICK_PERIODS]
    return [labels[:3], [*labels[3:], (tr("reports.period.range"),
                                       callbacks.pack(range_kind, *extra))]]
