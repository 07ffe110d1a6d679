"""`wilayah-bot run`: migrate, seed the pilot regions, then poll or serve the webhook."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from typing import Any

from telegram import Update

from bot.app import build_application, polling_options
from bot.db import Database
from bot.migrate import upgrade
from bot.services.regions import ensure_pilot_regions
from bot.settings import Settings, TelegramSettings
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
    try:
        _serve(app, settings)
    except AnotherInstanceRunning as error:
        print(f"wilayah-bot: {error}", file=sys.stderr)
        return 1
    return 0


def _serve(app: Any, settings: Settings) -> None:
    telegram = settings.telegram
    if telegram.mode == "webhook":
        app.run_webhook(listen=telegram.webhook_listen, port=telegram.webhook_port,
                        webhook_url=telegram.webhook_url, secret_token=webhook_secret(telegram),
                        allowed_updates=Update.ALL_TYPES)
    else:
        app.run_polling(**polling_options(settings))


def webhook_secret(telegram: TelegramSettings) -> str:
    """The secret Telegram must send with every update: the configured one, else a random
    one for this run (setWebhook registers it again at each start, so nobody needs to know it)."""
    if telegram.webhook_secret_token is not None:
        return telegram.webhook_secret_token.get_secret_value()
    log.info("telegram.webhook_secret_token is not set: generated a random secret token for "
             "this run; requests without it get 403")
    return secrets.token_urlsafe(32)  # 43 characters, all of them A-Z a-z 0-9 _ -
