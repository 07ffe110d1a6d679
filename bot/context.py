"""WilayahContext: typed access to settings, clock, database and the user's language."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import make_transient_to_detached
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.db import Database
from bot.i18n import Translator
from bot.services import officials as official_service
from bot.settings import Settings
from models.officials import Official
from scheduler.leadership import Leadership

SERVICES_KEY = "wilayah.services"
# how long another process's change to an official may go unseen (this process's: not at all)
OFFICIAL_CACHE_SECONDS = 10.0
_OFFICIAL_COLUMNS = [attribute.key for attribute in inspect(Official).column_attrs]
_OFFICIAL_MANAGER = inspect(Official).class_manager


class _OfficialWrites:
    """Counts the officials this process inserts, updates or deletes through the ORM."""

    count = 0

    @classmethod
    def seen(cls, *_: object) -> None:
        cls.count += 1


for _name in ("after_insert", "after_update", "after_delete"):
    event.listen(Official, _name, _OfficialWrites.seen)


class OfficialCache:
    """The official behind each Telegram id, read once for a burst of updates rather than once
    per update. Any write to any official in this process forgets everything at once; a change
    made by another process (the CLI) is seen within `ttl` seconds. Each caller gets its own
    detached copy, so a handler changing its copy changes nobody else's."""

    def __init__(self, ttl: float = OFFICIAL_CACHE_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._monotonic = monotonic
        # telegram id -> (read at, writes counted before the read, column values or None)
        self._entries: dict[int, tuple[float, int, dict[str, Any] | None]] = {}
        self._pruned_at = monotonic()

    async def find(self, database: Database, telegram_id: int) -> Official | None:
        now = self._monotonic()
        entry = self._entries.get(telegram_id)
        if entry is not None and now - entry[0] < self._ttl and entry[1] == _OfficialWrites.count:
            return None if entry[2] is None else _detached(entry[2])
        writes = _OfficialWrites.count  # a write during the read makes this entry stale
        async with database.session() as session:
            official = await official_service.by_telegram_id(session, telegram_id)
        values = None if official is None else \
            {name: getattr(official, name) for name in _OFFICIAL_COLUMNS}
        self._prune(now)
        self._entries[telegram_id] = (now, writes, values)
        return official

    def _prune(self, now: float) -> None:
        """Forget expired entries now and then, so memory follows the active users."""
        if now - self._pruned_at < self._ttl:
            return
        self._pruned_at = now
        self._entries = {key: entry for key, entry in self._entries.items()
                         if now - entry[0] < self._ttl}


def _detached(values: dict[str, Any]) -> Official:
    # built as the ORM builds a row it loads, without __init__'s validation (8x cheaper)
    official = _OFFICIAL_MANAGER.new_instance()
    official.__dict__.update(values)
    make_transient_to_detached(official)  # as if loaded by a session that has closed
    return official


@dataclass
class Services:
    """What every handler may need; built once by the composition root."""

    settings: Settings
    clock: Clock
    db: Database
    leadership: Leadership | None = None
    officials: OfficialCache = field(default_factory=OfficialCache)


class WilayahContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any],
                                     dict[Any, Any]]):
    """The callback context of every Wilayah handler."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any],
                 chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.official: Official | None = None
        self._language: str | None = None

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def db(self) -> Database:
        return self.services.db

    def use_update_language(self, update: object) -> None:
        """Strangers are answered in their Telegram client's language when it is English."""
        user = update.effective_user if isinstance(update, Update) else None
        chosen = self.user_data.get("language") if user is not None else None
        if chosen in ("id", "en"):
            self._language = chosen
            return
        code = (user.language_code or "") if user else ""
        self._language = "en" if code.startswith("en") else self.settings.bot.default_language

    def set_language(self, language: str) -> None:
        """Answer the rest of this update in the language just chosen."""
        self._language = language
        if self.official is not None:
            self.official.language = language

    @property
    def language(self) -> str:
        if self.official is not None and self.official.language:
            return self.official.language
        return self._language or self.settings.bot.default_language

    @property
    def tr(self) -> Translator:
        """The catalog in this user's language."""
        return Translator(self.language)
