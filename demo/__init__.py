"""`wilayah-bot demo`: the real bot, the Bot API simulator and a Telegram-like chat page."""
