"""The composition root: build_application() wires settings, database, clock and handlers."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

import handlers
from bot.clock import Clock, SystemClock
from bot.context import SERVICES_KEY, Services, WilayahContext
from bot.db import Database
from bot.persistence import SqlPersistence
from bot.settings import Settings
from bot.updates import PerUserUpdateProcessor, WilayahApplication
from handlers.common import set_default_menus
from scheduler.alarm import install as install_scheduler
from scheduler.leadership import Leadership

log = logging.getLogger(__name__)
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
    file, a second instance refuses to start).
    """
    if settings.telegram.token is None:
        raise ValueError("telegram.token is not set")
    clock = clock or SystemClock()
    database = database or Database(settings.database_url, echo=settings.database.echo)
    settings.bot.data_dir.mkdir(parents=True, exist_ok=True)
    timeouts = settings.telegram
    builder = (
        ApplicationBuilder()
        .application_class(WilayahApplication)
        .token(settings.telegram.token.get_secret_value())
        .base_url(settings.telegram.api_base_url)
        .base_file_url(settings.telegram.file_base_url)
        .context_types(ContextTypes(context=WilayahContext))
        .persistence(SqlPersistence(database, clock,
                                    update_interval=settings.bot.persistence_flush_seconds))
        .concurrent_updates(PerUserUpdateProcessor(64))
        .connect_timeout(timeouts.connect_timeout)
        .read_timeout(timeouts.read_timeout)
        .write_timeout(timeouts.read_timeout)
        .get_updates_read_timeout(timeouts.read_timeout + timeouts.poll_timeout)
        .connection_pool_size(64)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    leadership = Leadership(database, on_lost=app.stop_running) if scheduler else None
    app.bot_data[SERVICES_KEY] = Services(settings=settings, clock=clock, db=database,
                                          leadership=leadership)
    handlers.register_all(app)
    if scheduler:
        install_scheduler(app, database=database, settings=settings, clock=clock,
                          leadership=leadership)
    return app


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
