"""Update processing: many users at once, but each user's updates strictly in order."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
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


class _WriteBehind:
    """One task running `write` whenever woken, a write at a time: changes handed over during a
    write go together in the next one."""

    def __init__(self, write: Callable[[], Awaitable[None]]) -> None:
        self._write = write
        self._wanted = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="persistence-writer")

    def wake(self) -> None:
        self._wanted.set()

    @property
    def alive(self) -> bool:
        return not self._task.done()

    async def close(self) -> None:
        """End once a write in progress has finished (never cut off inside a transaction)."""
        self._closing = True
        self._wanted.set()
        await self._task

    async def _run(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            if self._closing:
                return
            await self._write()


class WilayahApplication(Application):  # type: ignore[type-arg]
    """Writes drafts and conversation states behind every update, not once a minute.

    After each update the changes are handed to the persistence (no database work) and one
    writer task stores them, while the update's slot goes on to the next update: the reply has
    already gone out, so waiting for the commit would only hold the next update back. Under
    load one transaction carries the steps of many users. A failed write keeps the changes for
    the next attempt (the next update, or PTB's periodic run); stopping writes what is pending.

    A hand-over skips the drafts of users whose handler is running at that moment (PTB marks a
    user again after each update, so another user's hand-over would copy a draft half-way
    through the next answer, ahead of its conversation state); they go with that update's own
    hand-over, together with its state.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._writer: _WriteBehind | None = None
        self._handling: Counter[int] = Counter()  # users whose handler runs now, how many

    async def process_update(self, update: object) -> None:
        user = _sender_of(update)
        handling = self._handling
        handling[user] += 1
        try:
            await super().process_update(update)
        finally:
            handling[user] -= 1
            if not handling[user]:
                del handling[user]
        if self.persistence is not None and self.running:
            await self._hand_over()
            if self._writer is None or not self._writer.alive:
                self._writer = _WriteBehind(self._write_pending)
            self._writer.wake()

    async def update_persistence(self) -> None:
        """Hand the changes over and store them in one transaction now (PTB's periodic run,
        stopping and shutting down)."""
        await self._hand_over()
        await self._write_pending()

    async def stop(self) -> None:
        await super().stop()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await writer.close()
        if self.persistence is not None:
            await self.update_persistence()  # what the last updates left: stored at once

    async def _hand_over(self) -> None:
        busy = self._user_ids_to_be_updated_in_persistence & self._handling.keys()
        self._user_ids_to_be_updated_in_persistence -= busy
        try:
            await super().update_persistence()
        finally:  # PTB replaced the set of marked users: mark the skipped ones again
            self._user_ids_to_be_updated_in_persistence |= busy

    async def _write_pending(self) -> None:
        write_pending = getattr(self.persistence, "write_pending", None)
        if write_pending is not None:
            try:
                await write_pending()
            except Exception as error:  # kept for the next attempt; reported like PTB does
                await self.process_error(update=None, error=error)
