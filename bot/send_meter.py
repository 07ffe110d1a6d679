"""Counting the bot's own sends that are not broadcast deliveries.

Telegram allows a bot about 30 messages a second overall. The broadcast worker spends what
replies, reminders and alerts leave of it: `CountingRateLimiter` wraps the application's rate
limiter and notes every request aimed at a chat, except those made inside
`broadcast_sends()`; the worker asks `meter_of(bot)` how many went out in the last second.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram.ext import BaseRateLimiter

# set by the broadcast worker around its own requests (a context variable follows the task)
_BROADCASTING: ContextVar[bool] = ContextVar("wilayah_broadcasting", default=False)


@contextmanager
def broadcast_sends() -> Iterator[None]:
    """Requests made inside are the broadcast worker's own: not counted as other sends."""
    token = _BROADCASTING.set(True)
    try:
        yield
    finally:
        _BROADCASTING.reset(token)


class SendMeter:
    """How many sends left in the last `window` seconds (monotonic clock)."""

    def __init__(self, window: float = 1.0) -> None:
        self.window = window
        self._times: deque[float] = deque()

    def note(self) -> None:
        self._times.append(time.monotonic())

    def recent(self) -> int:
        horizon = time.monotonic() - self.window
        while self._times and self._times[0] < horizon:
            self._times.popleft()
        return len(self._times)


Callback = Callable[..., Coroutine[Any, Any, Any]]


class CountingRateLimiter(BaseRateLimiter[int]):
    """Any rate limiter (e.g. PTB's AIORateLimiter), plus a meter of non-broadcast sends."""

    def __init__(self, inner: BaseRateLimiter[int], meter: SendMeter | None = None) -> None:
        self.inner = inner
        self.meter = meter or SendMeter()

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def process_request(self, callback: Callback, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        if data.get("chat_id") is None or _BROADCASTING.get():
            return await self.inner.process_request(callback, args, kwargs, endpoint, data,
                                                    rate_limit_args)

        async def counted(*call_args: Any, **call_kwargs: Any) -> Any:
            self.meter.note()  # when the inner limiter lets it go, not when it was asked
            return await callback(*call_args, **call_kwargs)

        return await self.inner.process_request(counted, args, kwargs, endpoint, data,
                                                rate_limit_args)


def meter_of(bot: Any) -> SendMeter | None:
    """The meter of a bot built with a CountingRateLimiter; None otherwise."""
    limiter = getattr(bot, "rate_limiter", None)
    return limiter.meter if isinstance(limiter, CountingRateLimiter) else None
