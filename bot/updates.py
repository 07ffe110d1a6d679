"""Update processing: many users at once, but each user's updates strictly in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrency across users; one user's conversation never races with itself."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _sender_of(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                # forget idle users so memory stays flat with thousands of officials
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _sender_of(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return 0


class WilayahApplication(Application):  # type: ignore[type-arg]
    """Writes drafts and conversation states through after every update, not once a minute."""

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        if self.persistence is not None and self.running:
            await self.update_persistence()

    async def update_persistence(self) -> None:
        """PTB hands the changes over piece by piece; store them in one transaction."""
        await super().update_persistence()
        write_pending = getattr(self.persistence, "write_pending", None)
        if write_pending is not None:
            try:
                await write_pending()
            except Exception as error:  # kept for the next attempt; reported like PTB does
                await self.process_error(update=None, error=error)
