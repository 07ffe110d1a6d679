"""The demo's Telegram-like chat page: an aiohttp server, a Jinja2 template, plain JS/CSS."""
