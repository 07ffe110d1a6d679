"""/ekspor (admins): period → area → format, then the file arrives as a document.

The file is built in the background (a worker thread with its own database engine), so the
admin and everyone else keep using the bot; the "Sedang disiapkan…" message is edited when
the file has been sent.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError
from bot.i18n import Html, Translator
from bot.policy import Action
from bot.services.exports import ExportFormat, ExportRequest, prepare_export, run_export
from bot.services.recap_format import period_text
from bot.services.recap_period import Period, from_token, parse_range
from bot.services.regions import (
    children,
    describe,
    is_within,
    regions_at_level,
    scope_of,
    timezone_for,
)
from handlers.common import buttons, edit_or_send, guard, send_html
from handlers.reports_common import (
    ask_for_range,
    period_rows,
    pressed_arguments,
    pressed_period,
    typed_period,
)
from models.regions import RegionLevel

log = logging.getLogger(__name__)

PERIOD, RANGE, AREA, GO = "exp.p", "exp.r", "exp.a", "exp.go"
EXPORT_RANGE = "export_range"
WHOLE_AREA = "-"
MAX_AREA_BUTTONS = 40
UPLOAD_TIMEOUT = 300.0
FORMATS = {"x": ExportFormat.XLSX, "c": ExportFormat.CSV}

# exports running per application, by official id: one at a time per admin
_RUNNING: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()


def _zone(context: WilayahContext) -> str:
    official = context.official
    assert official is not None
    area = scope_of(official)
    return timezone_for(area) if area else context.settings.bot.default_timezone


async def _area_name(context: WilayahContext, code: str | None) -> str:
    if not code:
        return Html(context.tr("reports.recap.everywhere"))
    async with context.db.session() as session:
        return await describe(session, code) or code


@guard(Action.EXPORT)
async def show_menu(update: Update, context: WilayahContext) -> int:
    """/ekspor: the period buttons; '/ekspor 1/11/2024-15/11/2024' skips to the area."""
    official = context.official
    assert official is not None
    if context.args:
        period = parse_range(" ".join(context.args), timezone=_zone(context))
        await _show_areas(update, context, period)
        return ConversationHandler.END
    area = await _area_name(context, scope_of(official))
    await send_html(update, context, context.tr("reports.export.choose_period", area=area),
                    reply_markup=buttons(period_rows(context.tr, PERIOD, RANGE)))
    return ConversationHandler.END


@guard(Action.EXPORT)
async def on_period(update: Update, context: WilayahContext) -> int:
    """A period button: now choose the area."""
    query = update.callback_query
    assert query is not None
    period = pressed_period(update, context, _zone(context))
    await query.answer()
    await _show_areas(update, context, period)
    return ConversationHandler.END


@guard(Action.EXPORT)
async def ask_range(update: Update, context: WilayahContext) -> str:
    """Rentang tanggal: ask for '1/11/2024-15/11/2024'."""
    return await ask_for_range(update, context, state=EXPORT_RANGE)


@guard(Action.EXPORT)
async def on_range(update: Update, context: WilayahContext) -> int:
    """The typed range: now choose the area (a range that cannot be read is asked again)."""
    await _show_areas(update, context, typed_period(update, _zone(context)))
    return ConversationHandler.END


async def _show_areas(update: Update, context: WilayahContext, period: Period) -> None:
    """The whole area first, then the kecamatan (or, for a superadmin, the kab/kota)."""
    official = context.official
    assert official is not None
    own = scope_of(official)
    async with context.db.session() as session:
        parts = await children(session, own) if own else await regions_at_level(
            session, RegionLevel.KABKOTA)
    tr, token = context.tr, period.token()
    rows = [[(tr("reports.export.whole_area", area=await _area_name(context, own)),
              callbacks.pack(AREA, token, WHOLE_AREA))]]
    picks = [(region.name, callbacks.pack(AREA, token, region.code))
             for region in parts[:MAX_AREA_BUTTONS]]
    rows += [picks[i:i + 2] for i in range(0, len(picks), 2)]
    await edit_or_send(update, context,
                       tr("reports.export.choose_region", period=period_text(tr, period)),
                       reply_markup=buttons(rows))


def _chosen_area(context: WilayahContext, code: str) -> str | None:
    """The area from callback data, re-checked against the presser's own area."""
    official = context.official
    assert official is not None
    own = scope_of(official)
    area = own if code == WHOLE_AREA else code
    if area is None and own is not None or not is_within(area, own):
        raise DomainError("reports.errors.region_out_of_scope")
    return area


@guard(Action.EXPORT)
async def on_area(update: Update, context: WilayahContext) -> int:
    """An area button: now choose the format (masked NIK, or full NIK with an audit entry)."""
    query = update.callback_query
    assert query is not None
    arguments = pressed_arguments(update)
    token, code = arguments.arg(0), arguments.arg(1)
    period = from_token(token, now=context.clock.now(), timezone=_zone(context))
    area = _chosen_area(context, code)
    tr = context.tr
    await query.answer()
    text = "\n\n".join([
        tr("reports.export.choose_format", period=period_text(tr, period),
           region=await _area_name(context, area)),
        tr("reports.export.full_nik_note")])
    await edit_or_send(update, context, text, reply_markup=_format_buttons(tr, token, code))
    return ConversationHandler.END


def _format_buttons(tr: Translator, token: str, code: str) -> InlineKeyboardMarkup:
    def go(label: str, format_code: str, full: int) -> tuple[str, str]:
        return tr(f"reports.export.{label}"), callbacks.pack(GO, token, code, format_code, full)

    return buttons([[go("xlsx", "x", 0), go("csv", "c", 0)],
                    [go("xlsx_full", "x", 1), go("csv_full", "c", 1)]])


@guard(Action.EXPORT)
async def on_go(update: Update, context: WilayahContext) -> int:
    """A format button: check again, note the audit entry, and start building the file."""
    query, official = update.callback_query, context.official
    assert query is not None and official is not None and official.id is not None
    arguments = pressed_arguments(update)
    token, code, format_code, full = (arguments.arg(i) for i in range(4))
    if format_code not in FORMATS or full not in ("0", "1"):
        raise DomainError("common.errors.stale_button")
    period = from_token(token, now=context.clock.now(), timezone=_zone(context))
    area = _chosen_area(context, code)
    running = _RUNNING.setdefault(context.application, set())
    if official.id in running:
        await query.answer(context.tr("reports.export.busy"), show_alert=True)
        return ConversationHandler.END
    async with context.db.session() as session:
        request = await prepare_export(session, context.clock, actor=official, area_code=area,
                                       period=period, format=FORMATS[format_code],
                                       full_identity=full == "1")
    await query.answer()
    await edit_or_send(update, context, context.tr("reports.export.preparing"))
    message = query.message
    assert message is not None
    running.add(official.id)
    caption = context.tr("reports.export.caption", region=await _area_name(context, area),
                         period=period_text(context.tr, period))
    context.application.create_task(
        _build_and_send(context, request, message.chat.id, message.message_id, caption),
        update=update, name=f"export-{official.id}")
    return ConversationHandler.END


async def _build_and_send(context: WilayahContext, request: ExportRequest, chat_id: int,
                          message_id: int, caption: str) -> None:
    """Build the file off the event loop, send it, then edit the waiting message."""
    tr, bot = Translator(request.language), context.bot
    result = None
    try:
        result = await run_export(request, database_url=context.db.url,
                                  data_dir=context.settings.bot.data_dir)
        with result.path.open("rb") as handle:
            await bot.send_document(chat_id, handle, filename=result.file_name,
                                    caption=caption, parse_mode=ParseMode.HTML,
                                    write_timeout=UPLOAD_TIMEOUT, read_timeout=UPLOAD_TIMEOUT)
        counts = {name: tr.number(count) for name, count in result.rows.items()}
        await _edit(bot, chat_id, message_id, tr("reports.export.ready",
                                                 incidents=counts.get("incidents", 0),
                                                 complaints=counts.get("complaints", 0),
                                                 invites=counts.get("attendance", 0),
                                                 targets=counts.get("drives", 0)))
    except Exception:
        log.exception("export failed", extra={"official_id": request.actor_id})
        await _edit(bot, chat_id, message_id, tr("reports.export.failed"))
    finally:
        _RUNNING.get(context.application, set()).discard(request.actor_id)
        if result is not None and request.full_identity:
            result.path.unlink(missing_ok=True)  # full NIKs are not kept on disk


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str) -> None:
    try:
        await bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML)
    except TelegramError:
        log.warning("export status message not updated", extra={"chat_id": chat_id})


BUTTONS = {PERIOD: on_period, AREA: on_area, GO: on_go}
