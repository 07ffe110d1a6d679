"""Update processing: many users at once, but each user's updates strictly in order."""

from __future__ import annotations

import asyncio
import contextlib
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
    """Writes drafts and conversation states behind every update, not once a minute.

    After each update the changes are handed to the persistence (no database work) and one
    writer task stores them, while the update's slot goes on to the next update: the reply has
    already gone out, so waiting for the commit would only hold the next update back. Changes
    handed over during a write go together in the next one, so under load one transaction
    carries many updates. A failed write keeps the changes for the next attempt (the next
    update, or PTB's periodic run); stopping writes whatever is still pending.
    """

    _writer: asyncio.Task[None] | None = None
    _changes_waiting: asyncio.Event | None = None

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        if self.persistence is not None and self.running:
            await super().update_persistence()  # hands the changes over
            self._write_soon()

    async def update_persistence(self) -> None:
        """PTB hands the changes over piece by piece; store them in one transaction now (its
        periodic run, and the last step of stopping)."""
        await super().update_persistence()
        await self._write_pending()

    async def stop(self) -> None:
        await super().stop()  # ends with update_persistence(): nothing is left pending
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None

    def _write_soon(self) -> None:
        if self._changes_waiting is None:
            self._changes_waiting = asyncio.Event()
        self._changes_waiting.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_behind(self._changes_waiting),
                                               name="persistence-writer")

    async def _write_behind(self, changes_waiting: asyncio.Event) -> None:
        while True:
            await changes_waiting.wait()
            changes_waiting.clear()
            await self._write_pending()

    async def _write_pending(self) -> None:
        write_pending = getattr(self.persistence, "write_pending", None)
        if write_pending is not None:
            try:
                await write_pending()
            except Exception as error:  # kept for the next attempt; reported like PTB does
                await self.process_error(update=None, error=error)
