"""The baseline: a minimal python-telegram-bot echo bot (`python -m bench.echo_bot`).

It reads the same WILAYAH_TELEGRAM__* variables as the real bot and polls the same way
(long polling, no pause between polls, 64 updates at once — what Wilayah's application is
built with), so the difference to Wilayah is the application's own work per update.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


def main() -> None:
    app = (ApplicationBuilder()
           .token(os.environ["WILAYAH_TELEGRAM__TOKEN"])
           .base_url(os.environ["WILAYAH_TELEGRAM__API_BASE_URL"])
           .base_file_url(os.environ["WILAYAH_TELEGRAM__FILE_BASE_URL"])
           .concurrent_updates(64)
           .connection_pool_size(64)
           .build())
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=20, poll_interval=0.0)


if __name__ == "__main__":
    main()
