"""The composition root: build_application() wires settings, database, clock and handlers."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

import handlers
from bot.botapi import WilayahBot
from bot.clock import Clock, SystemClock
from bot.context import SERVICES_KEY, Services, WilayahContext
from bot.db import Database
from bot.http import AiohttpRequest
from bot.persistence import SqlPersistence
from bot.send_meter import CountingRateLimiter
from bot.settings import Settings
from bot.updates import PerUserUpdateProcessor, WilayahApplication
from handlers.common import set_default_menus
from scheduler.alarm import Scheduler, is_leader
from scheduler.alarm import install as install_scheduler
from scheduler.leadership import Leadership

log = logging.getLogger(__name__)
POLLING_RETRY_SECONDS = 5.0
# conversations are per user on purpose; PTB warns about per_message for every one of them
warnings.filterwarnings("ignore", message=r"If 'per_message=False'", category=UserWarning)


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    rate_limiter: bool = True,
    scheduler: bool = True,
) -> Application[Any, WilayahContext, Any, Any, Any, Any]:
    """Assemble the bot; nothing is opened until the application is initialised.

    With `scheduler`, reminders and broadcasts are delivered by this process once it holds
    leadership (PostgreSQL: an advisory lock, a standby waits in post_init; SQLite: a lock
    file, a second instance refuses to start). A PostgreSQL leader whose lock connection
    breaks keeps answering updates, stops sending and wins the lock back; if another instance
    took it meanwhile, this one stops polling and stands by until it leads again.
    """
    if settings.telegram.token is None:
        raise ValueError("telegram.token is not set")
    clock = clock or SystemClock()
    database = database or Database(settings.database_url, echo=settings.database.echo)
    settings.bot.data_dir.mkdir(parents=True, exist_ok=True)
    timeouts = settings.telegram
    limiter = None
    if rate_limiter:
        # counted, so the broadcast worker leaves room for replies and reminders
        # 29.5 messages/s in bursts of at most 25, a little under Telegram's 30 and 30: it
        # counts requests when they arrive, the limiter when they leave, so with no margin
        # timing jitter alone gets some refused
        limiter = CountingRateLimiter(AIORateLimiter(
            overall_max_rate=25, overall_time_period=25 / 29.5, max_retries=3))
    bot = WilayahBot(
        settings.telegram.token.get_secret_value(),
        base_url=settings.telegram.api_base_url,
        base_file_url=settings.telegram.file_base_url,
        # a Bot API call costs a fifth of the CPU on aiohttp that it costs on PTB's httpx
        # client; a request waiting for a free connection under load waits like for an answer
        request=AiohttpRequest(
            connection_pool_size=16, connect_timeout=timeouts.connect_timeout,
            read_timeout=timeouts.read_timeout, write_timeout=timeouts.read_timeout,
            pool_timeout=timeouts.read_timeout),
        get_updates_request=AiohttpRequest(
            connection_pool_size=1, read_timeout=timeouts.read_timeout + timeouts.poll_timeout),
        rate_limiter=limiter,
    )
    builder = (
        ApplicationBuilder()
        .application_class(WilayahApplication)
        .bot(bot)
        .context_types(ContextTypes(context=WilayahContext))
        .persistence(SqlPersistence(database, clock,
                                    update_interval=settings.bot.persistence_flush_seconds))
        .concurrent_updates(PerUserUpdateProcessor(64))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    app = builder.build()
    leadership = Leadership(database) if scheduler else None
    app.bot_data[SERVICES_KEY] = Services(settings=settings, clock=clock, db=database,
                                          leadership=leadership)
    handlers.register_all(app)
    if leadership is not None:
        installed = install_scheduler(app, database=database, settings=settings, clock=clock,
                                      leadership=leadership)
        polling = StandbyPolling(app, settings, leading=lambda: is_leader(leadership))
        leadership.on_standby = polling.pause
        leadership.on_acquired = lambda: _lead(installed, polling)
    return app


def polling_options(settings: Settings) -> dict[str, Any]:
    """How this bot long-polls: for run_polling at start and after standing by."""
    return {"allowed_updates": Update.ALL_TYPES, "timeout": settings.telegram.poll_timeout,
            "poll_interval": 0.0}


class StandbyPolling:
    """Telegram serves getUpdates to one consumer at a time, so only the leader polls: a
    former leader that finds another instance leading pauses its polling until it leads again.
    (A webhook needs nothing: Telegram posts each update once, to one address.)"""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], settings: Settings,
                 *, leading: Callable[[], bool]) -> None:
        self.app = app
        self.settings = settings
        self.leading = leading
        self.paused = False

    async def pause(self) -> None:
        updater = self.app.updater
        if self.settings.telegram.mode != "polling" or updater is None or not updater.running:
            return  # a standby at start-up has not started polling yet
        await updater.stop()
        self.paused = True
        log.info("leadership: another instance leads; polling paused")

    def resume_soon(self) -> None:
        if self.paused and self.app.running:  # a task: the lease's watchdog must not wait
            self.app.create_task(self._resume(), name="resume-polling")

    async def _resume(self) -> None:
        updater = self.app.updater
        assert updater is not None
        while self.paused and self.app.running and self.leading():
            if updater.running:  # an earlier resume got there first
                self.paused = False
                return
            try:
                await updater.start_polling(**polling_options(self.settings))
            except Exception as error:  # Telegram unreachable: the next try is soon
                log.warning("leadership: polling not resumed (%s); retrying", error)
                await asyncio.sleep(POLLING_RETRY_SECONDS)
                continue
            self.paused = False
            log.info("leadership: leading again; polling resumed")


def _lead(scheduler: Scheduler, polling: StandbyPolling) -> None:
    """A lease was granted (at start or regained): poll again if paused, recover and send."""
    polling.resume_soon()
    scheduler.resume()


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services: Services = app.bot_data[SERVICES_KEY]
    if services.leadership is not None:
        await services.leadership.acquire()
    try:
        await set_default_menus(app.bot)
    except TelegramError as error:
        log.warning("default command menus not set", extra={"error": str(error)})


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services: Services = app.bot_data[SERVICES_KEY]
    if services.leadership is not None:
        await services.leadership.release()
    await services.db.dispose()
