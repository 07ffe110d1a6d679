"""Inline region pickers: paginated buttons, narrowed by typing part of a name."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from models.regions import Region

PAGE_SIZE = 8


def region_keyboard(regions: Sequence[Region], *, kind: str, parent: str | None, page: int,
                    tr: Translator, back: bool = False) -> InlineKeyboardMarkup:
    """Two columns of region names; ◀ ▶ when there are more pages; ⬆ to go up a level."""
    pages = max(1, -(-len(regions) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = regions[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    rows: list[list[InlineKeyboardButton]] = []
    for start in range(0, len(shown), 2):
        rows.append([InlineKeyboardButton(r.name, callback_data=callbacks.pack(kind, "pick",
                                                                              r.code))
                     for r in shown[start:start + 2]])
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=callbacks.pack(
            kind, "page", parent or "-", page - 1)))
    if pages > 1:
        nav.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=callbacks.pack(
            kind, "page", parent or "-", page)))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("▶", callback_data=callbacks.pack(
            kind, "page", parent or "-", page + 1)))
    if nav:
        rows.append(nav)
    if back:
        rows.append([InlineKeyboardButton(tr("common.buttons.up"),
                                          callback_data=callbacks.pack(kind, "up"))])
    return InlineKeyboardMarkup(rows)
