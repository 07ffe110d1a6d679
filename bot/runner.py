"""`wilayah-bot run`: migrate, seed the pilot regions, then poll or serve the webhook."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from telegram import Update

from bot.app import build_application
from bot.db import Database
from bot.migrate import upgrade
from bot.services.regions import ensure_pilot_regions
from bot.settings import Settings
from scheduler.leadership import AnotherInstanceRunning

log = logging.getLogger("wilayah")


async def prepare_database(settings: Settings) -> None:
    """Apply pending migrations and load the shipped regions into an empty table."""
    await asyncio.to_thread(upgrade, settings.database_url)
    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            added = await ensure_pilot_regions(session)
        if added:
            log.info("pilot regions loaded", extra={"regions": added})
    finally:
        await database.dispose()


def run(settings: Settings) -> int:
    """Start the bot and block until Ctrl-C or SIGTERM."""
    asyncio.run(prepare_database(settings))
    app = build_application(settings)
    log.info("starting", extra={"mode": settings.telegram.mode,
                                "database": settings.database_url.split("://")[0]})
    telegram = settings.telegram
    try:
        _serve(app, settings)
    except AnotherInstanceRunning as error:
        print(f"wilayah-bot: {error}", file=sys.stderr)
        return 1
    return 0


def _serve(app: Any, settings: Settings) -> None:
    telegram = settings.telegram
    if telegram.mode == "webhook":
        secret = telegram.webhook_secret_token
        app.run_webhook(listen=telegram.webhook_listen, port=telegram.webhook_port,
                        webhook_url=telegram.webhook_url,
                        secret_token=secret.get_secret_value() if secret else None,
                        allowed_updates=Update.ALL_TYPES)
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=telegram.poll_timeout,
                        poll_interval=0.0)
