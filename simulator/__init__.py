"""In-process, real-HTTP Telegram Bot API double for end-to-end tests, demos and benchmarks."""

from simulator.limits import FloodLimits
from simulator.media import tiny_png
from simulator.server import BotApiSimulator
from simulator.spec import ApiError, validate_call
from simulator.state import CallbackQueryRecord, CallRecord, SimMessage
from simulator.telegram_html import parse_html, safe_html

__all__ = [
    "ApiError",
    "BotApiSimulator",
    "CallRecord",
    "CallbackQueryRecord",
    "FloodLimits",
    "SimMessage",
    "parse_html",
    "safe_html",
    "tiny_png",
    "validate_call",
]
