"""The recap chart: one portrait PNG with large type, meant to be read on a phone.

matplotlib is imported inside the function (it takes a second to load) and used through its
object API with the Agg canvas — no pyplot, no global figure state — so charts can be drawn
in a worker thread while the bot keeps answering.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import Any

from bot.i18n import Translator
from bot.services.recap import Recap
from bot.services.recap_format import area_text, duration_text, label, period_text

WIDTH_INCHES, HEIGHT_INCHES, DPI = 7.2, 12.8, 125  # 900 × 1600 px, fits a phone screen
MAX_BARS = 8
FONT_SIZE = 13
URGENCY_COLOURS = {"darurat": "#c62828", "penting": "#ef8f00", "biasa": "#5c7fa3"}
COMPLAINT_COLOURS = ("#5c7fa3", "#ef8f00", "#c62828", "#2e7d32", "#7d7d7d")
RATE_COLOURS = ("#2e7d32", "#81c784")
DRIVE_COLOURS = ("#b0bec5", "#1565c0")


def _plain(text: str) -> str:
    """Catalog text for a chart: no HTML entities, and '$' not read as mathtext."""
    return html.unescape(text).replace("$", r"\$")


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _no_data(axes: Any, tr: Translator) -> None:
    axes.text(0.5, 0.5, _plain(tr("reports.chart.no_data")), ha="center", va="center",
              fontsize=FONT_SIZE + 1, color="#777777", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])
    for side in ("top", "right", "bottom", "left"):
        axes.spines[side].set_visible(False)


def _tidy(axes: Any) -> None:
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    axes.tick_params(labelsize=FONT_SIZE - 1)


def _legend_below(axes: Any) -> None:
    """Values are written on the bars, so the x axis gives its room to the legend."""
    axes.set_xticks([])
    axes.spines["bottom"].set_visible(False)
    handles, _ = axes.get_legend_handles_labels()
    axes.legend(fontsize=FONT_SIZE - 1, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                ncol=max(len(handles), 1), frameon=False)


def _incidents(axes: Any, recap: Recap, tr: Translator) -> None:
    axes.set_title(_plain(tr("reports.chart.incidents")), fontsize=FONT_SIZE + 1, loc="left",
                   fontweight="bold")
    by_category = recap.incidents.by_category
    if not recap.incidents.total:
        _no_data(axes, tr)
        return
    categories = sorted(by_category, key=lambda c: -by_category[c])[:MAX_BARS]
    positions = list(range(len(categories)))[::-1]
    split = recap.incidents.by_category_urgency
    left = [0] * len(categories)
    for urgency in ("darurat", "penting", "biasa"):
        widths = [split.get(c, {}).get(urgency, 0) for c in categories]
        if not any(widths):
            continue
        axes.barh(positions, widths, left=left, color=URGENCY_COLOURS[urgency],
                  label=_plain(label(tr, "incident_urgency", urgency)), height=0.65)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for position, category in zip(positions, categories, strict=True):
        axes.text(by_category[category], position, f" {by_category[category]}",
                  va="center", fontsize=FONT_SIZE - 1)
    axes.set_yticks(positions, [_plain(_short(label(tr, "incident_category", c)))
                                for c in categories])
    axes.set_xlim(0, max(by_category.values()) * 1.15)
    _legend_below(axes)
    _tidy(axes)


def _complaints(axes: Any, recap: Recap, tr: Translator) -> None:
    figures = recap.complaints
    title = tr("reports.chart.complaints") if figures.median_resolution_hours is None else tr(
        "reports.chart.complaints_median",
        duration=duration_text(tr, figures.median_resolution_hours))
    axes.set_title(_plain(title), fontsize=FONT_SIZE + 1, loc="left",
                   fontweight="bold")
    if not figures.received:
        _no_data(axes, tr)
        return
    names = ("received", "open", "overdue", "resolved", "rejected")
    values = [figures.received, figures.open, figures.overdue, figures.resolved,
              figures.rejected]
    bars = axes.bar(range(len(values)), values, color=COMPLAINT_COLOURS, width=0.65)
    axes.bar_label(bars, fontsize=FONT_SIZE - 1, padding=2)
    axes.set_xticks(range(len(values)), [_plain(tr(f"reports.chart.{n}")) for n in names])
    axes.set_ylim(0, max(values) * 1.2)
    axes.set_yticks([])
    axes.spines["left"].set_visible(False)
    _tidy(axes)


def _grouped_barh(axes: Any, names: Sequence[str], series: Sequence[tuple[str, list[float]]],
                  colours: Sequence[str], value_format: str) -> None:
    positions = list(range(len(names)))[::-1]
    height = 0.8 / len(series)
    for index, ((series_label, values), colour) in enumerate(zip(series, colours, strict=True)):
        offsets = [p + 0.4 - height * (index + 0.5) for p in positions]
        bars = axes.barh(offsets, values, height=height * 0.95, color=colour,
                         label=series_label)
        axes.bar_label(bars, labels=[value_format.format(v) for v in values],
                       fontsize=FONT_SIZE - 2, padding=2)
    axes.set_yticks(positions, [_plain(_short(name)) for name in names])
    _legend_below(axes)
    _tidy(axes)


def _attendance(axes: Any, recap: Recap, tr: Translator) -> None:
    axes.set_title(_plain(tr("reports.chart.attendance")), fontsize=FONT_SIZE + 1, loc="left",
                   fontweight="bold")
    groups = [g for g in recap.attendance_by_kecamatan if g.invited][:MAX_BARS]
    if not groups:
        _no_data(axes, tr)
        return
    names = [g.name or _plain(tr("reports.recap.no_region")) for g in groups]
    _grouped_barh(axes, names, [
        (_plain(tr("reports.chart.attendance_rate")),
         [round((g.attendance_rate or 0) * 100) for g in groups]),
        (_plain(tr("reports.chart.check_in_rate")),
         [round((g.check_in_rate or 0) * 100) for g in groups]),
    ], RATE_COLOURS, "{:.0f}%")
    axes.set_xlim(0, 118)


def _drives(axes: Any, recap: Recap, tr: Translator) -> None:
    axes.set_title(_plain(tr("reports.chart.drives")), fontsize=FONT_SIZE + 1, loc="left",
                   fontweight="bold")
    groups = [g for g in recap.drives_by_kecamatan if g.target or g.realised][:MAX_BARS]
    if not groups:
        _no_data(axes, tr)
        return
    names = [g.name or _plain(tr("reports.recap.no_region")) for g in groups]
    _grouped_barh(axes, names, [
        (_plain(tr("reports.chart.target")), [g.target for g in groups]),
        (_plain(tr("reports.chart.realised")), [g.realised for g in groups]),
    ], DRIVE_COLOURS, "{:,.0f}")
    axes.set_xlim(0, max(max(g.target, g.realised) for g in groups) * 1.2)


def render_recap_chart(recap: Recap, tr: Translator) -> bytes:
    """The recap's chart as PNG bytes (900 × 1600 px), labels in the reader's language."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(
        _plain(tr("reports.chart.title", area=area_text(tr, recap))) + "\n"
        + _plain(tr("reports.chart.subtitle", period=period_text(tr, recap.period))),
        fontsize=FONT_SIZE + 3, fontweight="bold")
    panels = figure.subplots(4, 1, height_ratios=[1.25, 0.9, 1.0, 1.0])
    _incidents(panels[0], recap, tr)
    _complaints(panels[1], recap, tr)
    _attendance(panels[2], recap, tr)
    _drives(panels[3], recap, tr)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()
