"""/rekap (camat, admins): a period → one recap message plus a chart; the weekly digest switch.

/ekspor lives in `reports_export`; both share one conversation, used only while the user is
typing a date range. The weekly digest is planned by a repeating job registered here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.context import WilayahContext
from bot.i18n import Html, Translator
from bot.policy import Action
from bot.services.charts import render_recap_chart
from bot.services.recap import RecapScope, compute_recap, scope_for
from bot.services.recap_digest import digest_enabled, plan_weekly_digests, set_digest_enabled
from bot.services.recap_format import chart_caption, recap_text
from bot.services.recap_period import Period, parse_range
from bot.services.regions import describe
from handlers import reports_export
from handlers.common import (
    CommandSpec,
    buttons,
    cancel_handlers,
    edit_or_send,
    guard,
    load_official,
    refuse,
    reply,
    send_html,
)
from handlers.reports_common import ask_for_range, period_rows, pressed_period, typed_period

log = logging.getLogger(__name__)

COMMANDS = [
    CommandSpec("rekap", Action.RECAP, "reports.commands.rekap", ("recap",)),
    CommandSpec("ekspor", Action.EXPORT, "reports.commands.ekspor", ("export",)),
]
PERIOD, RANGE, DIGEST = "rkp.p", "rkp.r", "rkp.d"
RECAP_RANGE, EXPORT_RANGE = "recap_range", reports_export.EXPORT_RANGE
DIGEST_JOB = "reports.digest_plan"
DIGEST_JOB_EVERY = timedelta(minutes=30)
DIGEST_JOB_FIRST = timedelta(minutes=1)


def _menu_markup(tr: Translator, enabled: bool) -> InlineKeyboardMarkup:
    switch = (tr("reports.menu.digest_on"), callbacks.pack(DIGEST, 0)) if enabled else \
        (tr("reports.menu.digest_off"), callbacks.pack(DIGEST, 1))
    return buttons([*period_rows(tr, PERIOD, RANGE), [switch]])


def _scope(context: WilayahContext) -> RecapScope:
    official = context.official
    assert official is not None
    return scope_for(official, context.settings)


async def _menu(context: WilayahContext) -> tuple[str, InlineKeyboardMarkup]:
    official = context.official
    assert official is not None and official.id is not None
    scope = _scope(context)
    async with context.db.session() as session:
        enabled = await digest_enabled(session, official.id)
        area = await describe(session, scope.area_code) if scope.area_code else ""
    tr = context.tr
    return (tr("reports.menu.title", area=area or Html(tr("reports.recap.everywhere"))),
            _menu_markup(tr, enabled))


@guard(Action.RECAP)
async def show_menu(update: Update, context: WilayahContext) -> int:
    """/rekap: the period buttons; '/rekap 1/11/2024-15/11/2024' goes straight to the recap."""
    scope = _scope(context)
    if context.args:
        await deliver_recap(update, context, parse_range(" ".join(context.args),
                                                         timezone=scope.timezone))
        return ConversationHandler.END
    text, markup = await _menu(context)
    await send_html(update, context, text, reply_markup=markup)
    return ConversationHandler.END


async def deliver_recap(update: Update, context: WilayahContext, period: Period) -> None:
    """The recap message (edited into the pressed menu, if any), then the chart photo."""
    chat = update.effective_chat
    assert chat is not None
    scope = _scope(context)
    async with context.db.session() as session:
        recap = await compute_recap(session, context.clock, scope=scope, period=period)
    tr = context.tr
    markup = buttons(period_rows(tr, PERIOD, RANGE))
    await edit_or_send(update, context, recap_text(tr, recap), reply_markup=markup)
    if recap.is_empty:
        return
    with contextlib.suppress(TelegramError):  # only a courtesy
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
    # drawing takes a second of CPU: a worker thread keeps other users' updates flowing
    png = await asyncio.to_thread(render_recap_chart, recap, tr)
    await context.bot.send_photo(chat.id, png, caption=chart_caption(tr, recap),
                                 parse_mode=ParseMode.HTML)


@guard(Action.RECAP)
async def on_period(update: Update, context: WilayahContext) -> int:
    """A period button: the recap of that period."""
    query = update.callback_query
    assert query is not None
    period = pressed_period(update, context, _scope(context).timezone)
    await query.answer()
    await edit_or_send(update, context, context.tr("reports.menu.working"))
    await deliver_recap(update, context, period)
    return ConversationHandler.END


@guard(Action.RECAP)
async def ask_recap_range(update: Update, context: WilayahContext) -> str:
    """Rentang tanggal: ask for '1/11/2024-15/11/2024'."""
    return await ask_for_range(update, context, state=RECAP_RANGE)


@guard(Action.RECAP)
async def on_recap_range(update: Update, context: WilayahContext) -> int:
    """The typed range: the recap, or the reason it cannot be read (and ask again)."""
    period = typed_period(update, _scope(context).timezone)
    await deliver_recap(update, context, period)
    return ConversationHandler.END


async def range_hint(update: Update, context: WilayahContext) -> None:
    """Anything but a range while one is expected: say what to type; the step stays."""
    await load_official(update, context)
    await reply(update, context, "reports.menu.range_hint")


@guard(Action.RECAP)
async def on_digest_switch(update: Update, context: WilayahContext) -> int:
    """Ringkasan mingguan: aktif/nonaktif — switch it, then show the menu as it is now."""
    query, official = update.callback_query, context.official
    assert query is not None and official is not None
    parsed = callbacks.parse(query.data)
    wanted = parsed.arg(0) if parsed else ""
    if wanted not in ("0", "1"):
        await refuse(update, context, "common.errors.stale_button")
        return ConversationHandler.END
    async with context.db.session() as session:
        enabled = await set_digest_enabled(session, context.clock, context.settings,
                                           official=official, enabled=wanted == "1")
    tr = context.tr
    await query.answer(tr("reports.menu.digest_enabled" if enabled
                          else "reports.menu.digest_disabled"))
    text, markup = await _menu(context)
    await edit_or_send(update, context, text, reply_markup=markup)
    return ConversationHandler.END


async def plan_digests_job(context: WilayahContext) -> None:
    """The repeating job: plan next Monday's digests and fill in last week's figures."""
    try:
        async with context.db.session() as session:
            plan = await plan_weekly_digests(session, context.clock, context.settings)
    except IntegrityError:
        # another process planned the same rows at the same moment; the next run is clean
        log.info("weekly digest planning raced another process; retrying later")
        return
    log.info("weekly digests planned", extra={"planned": plan.planned,
                                              "cancelled": plan.cancelled,
                                              "filled": plan.filled})


def register(app: Any) -> None:
    """/rekap and /ekspor with their buttons, the range step, and the digest planning job."""
    text = filters.TEXT & ~filters.COMMAND

    def button(callback: Any, kind: str) -> CallbackQueryHandler[Any, Any]:
        return CallbackQueryHandler(callback, pattern=callbacks.pattern(kind))

    # every entry point also works mid-conversation (allow_reentry), ending the range step
    entry_points = [
        CommandHandler(["rekap", "recap"], show_menu),
        CommandHandler(["ekspor", "export"], reports_export.show_menu),
        button(on_period, PERIOD), button(ask_recap_range, RANGE),
        button(on_digest_switch, DIGEST),
        *[button(callback, kind) for kind, callback in reports_export.BUTTONS.items()],
        button(reports_export.ask_range, reports_export.RANGE),
    ]
    app.add_handler(ConversationHandler(
        name="reports",
        persistent=True,
        entry_points=entry_points,
        states={
            RECAP_RANGE: [MessageHandler(text, on_recap_range),
                          MessageHandler(~filters.COMMAND, range_hint)],
            EXPORT_RANGE: [MessageHandler(text, reports_export.on_range),
                           MessageHandler(~filters.COMMAND, range_hint)],
        },
        fallbacks=[*cancel_handlers()],
        allow_reentry=True,
    ))
    if app.job_queue is not None:
        app.job_queue.run_repeating(plan_digests_job, interval=DIGEST_JOB_EVERY,
                                    first=DIGEST_JOB_FIRST, name=DIGEST_JOB)
