"""Pacing sends to a rate that other sends of the bot may take part of."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# the longest the pacer sleeps before looking again at what other sends leave it
PACER_LOOK_SECONDS = 0.1


class Pacer:
    """A token bucket on the monotonic clock: `wait()` returns when a send may start.

    Its rate is `rate` minus `others()` (the bot's other sends in the last second), never
    below `floor`.
    """

    def __init__(self, rate: float, burst: int = 1, *,
                 others: Callable[[], int] | None = None, floor: float = 1.0) -> None:
        self.rate = rate
        self.others = others
        self.floor = min(floor, rate)
        self.capacity = float(max(burst, 1))
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    def current_rate(self) -> float:
        used = self.others() if self.others is not None else 0
        return max(self.floor, self.rate - used)

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    async def wait(self) -> None:
        async with self._lock:  # one waiter at a time keeps the spacing even
            while True:
                now = time.monotonic()
                if now < self.paused_until:
                    await asyncio.sleep(self.paused_until - now)
                    continue
                rate = self.current_rate()
                self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * rate)
                self.stamp = now
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                    return
                await asyncio.sleep(min((1.0 - self.tokens) / rate, PACER_LOOK_SECONDS))
