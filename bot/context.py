"""WilayahContext: typed access to settings, clock, database and the user's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.db import Database
from bot.i18n import Translator
from bot.settings import Settings
from scheduler.leadership import Leadership
from models.officials import Official

SERVICES_KEY = "wilayah.services"


@dataclass
class Services:
    """What every handler may need; built once by the composition root."""

    settings: Settings
    clock: Clock
    db: Database
    leadership: Leadership | None = None


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
