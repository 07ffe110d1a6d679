"""Shared helpers for the reminder and broadcast tests (no tests here)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.clock import Clock
from bot.db import Database
from models.officials import Official, OfficialStatus, Role
from scheduler.sending import SendError

_telegram_ids = itertools.count(700_000)


async def add_official(db: Database, clock: Clock, *, role: Role = Role.LURAH,
                       region: str | None = "32.77.03.1002", name: str = "Pejabat",
                       language: str = "id", status: OfficialStatus = OfficialStatus.ACTIVE,
                       reachable: bool = True) -> Official:
    async with db.session() as session:
        official = Official(telegram_id=next(_telegram_ids), full_name=name, role=role,
                            region_code=region, status=status, language=language,
                            reachable=reachable, created_at=clock.now())
        session.add(official)
    return official


@dataclass
class FakeTelegram:
    """Records sends; `errors` maps a chat id to the SendError its next sends raise."""

    sent: list[tuple[int, str]] = field(default_factory=list)
    markups: list[InlineKeyboardMarkup | None] = field(default_factory=list)
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    errors: dict[int, list[SendError]] = field(default_factory=dict)
    delay: float = 0.0
    sent_at: list[datetime] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def _maybe_fail(self, chat_id: int) -> None:
        queue = self.errors.get(chat_id)
        if queue:
            raise queue.pop(0)

    async def send_text(self, chat_id: int, text: str,
                        reply_markup: InlineKeyboardMarkup | None = None) -> int:
        if self.delay:
            await asyncio.sleep(self.delay)
        self._maybe_fail(chat_id)
        self.sent.append((chat_id, text))
        self.markups.append(reply_markup)
        return next(self._ids)

    async def send_content(self, chat_id: int, *, content_type: str, text: str,
                           file_id: str | None,
                           reply_markup: InlineKeyboardMarkup | None = None) -> int:
        return await self.send_text(chat_id, text, reply_markup)

    async def edit_text(self, chat_id: int, message_id: int, text: str,
                        reply_markup: InlineKeyboardMarkup | None = None) -> None:
        self.edits.append((chat_id, message_id, text))

    def chats(self) -> list[int]:
        return [chat for chat, _ in self.sent]
