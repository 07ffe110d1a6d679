"""The meter of the bot's other sends, which the broadcast worker leaves room for."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.clock import FrozenClock
from bot.db import Database
from bot.send_meter import CountingRateLimiter, SendMeter, broadcast_sends, meter_of
from scheduler.broadcast_worker import BroadcastWorker
from tests.unit.test_reminders_support import FakeTelegram


class PassThrough(BaseRateLimiter[int]):
    """A limiter that limits nothing and remembers what it let through."""

    def __init__(self) -> None:
        self.endpoints: list[str] = []

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        self.endpoints.append(endpoint)
        return await callback(*args, **kwargs)


async def request(limiter: BaseRateLimiter[int], endpoint: str, **data: Any) -> Any:
    async def post() -> dict[str, str]:
        return {"ok": endpoint}

    return await limiter.process_request(post, (), {}, endpoint, data, None)


async def test_counts_chat_sends_except_the_broadcasts_own() -> None:
    inner = PassThrough()
    limiter = CountingRateLimiter(inner)
    assert await request(limiter, "sendMessage", chat_id=1, text="a") == {"ok": "sendMessage"}
    await request(limiter, "editMessageText", chat_id=2, message_id=5, text="b")
    await request(limiter, "getUpdates", timeout=1)  # not aimed at a chat
    await request(limiter, "answerCallbackQuery", callback_query_id="x")
    with broadcast_sends():
        await request(limiter, "sendMessage", chat_id=3, text="c")
    await request(limiter, "sendMessage", chat_id=4, text="d")  # the mark does not linger
    assert limiter.meter.recent() == 3
    assert len(inner.endpoints) == 6  # everything still goes through the real limiter


async def test_the_meter_forgets_after_its_window() -> None:
    meter = SendMeter(window=0.0)
    meter.note()
    assert meter.recent() == 0


async def test_the_worker_leaves_room_for_the_bots_other_sends(
        db: Database, clock: FrozenClock) -> None:
    limiter = CountingRateLimiter(AIORateLimiter())
    sender = SimpleNamespace(bot=SimpleNamespace(rate_limiter=limiter))
    assert meter_of(sender.bot) is limiter.meter
    worker = BroadcastWorker(db, clock, sender)  # type: ignore[arg-type]
    assert worker.pacer.current_rate() == 29.0
    for chat_id in range(5):
        await request(CountingRateLimiter(PassThrough(), limiter.meter), "sendMessage",
                      chat_id=chat_id)
    assert worker.pacer.current_rate() == 24.0
    assert meter_of(SimpleNamespace(rate_limiter=AIORateLimiter())) is None
    assert BroadcastWorker(db, clock, FakeTelegram()).pacer.current_rate() == 29.0
