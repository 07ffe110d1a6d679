"""Drive the real PTB Application through the Bot API simulator, as officials would."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.clock import Clock
from bot.db import Database
from bot.services import officials as official_service
from bot.settings import Settings
from models.officials import Official, OfficialStatus, Role
from simulator import BotApiSimulator, SimMessage

TOKEN = "123456:TEST-wilayah"


class Harness:
    """One simulator, one database, and a bot that can be stopped and started again."""

    def __init__(self, sim: BotApiSimulator, db: Database, clock: Clock, data_dir: Path,
                 **setting_overrides: Any) -> None:
        self.sim = sim
        self.db = db
        self.clock = clock
        bot_settings = {"data_dir": str(data_dir), **setting_overrides.pop("bot", {})}
        self.settings = Settings(
            telegram={"token": TOKEN, "api_base_url": sim.api_base_url,
                      "file_base_url": sim.file_base_url, "poll_timeout": 1},
            database={"url": db.url}, bot=bot_settings, **setting_overrides)
        self.app: Application[Any, Any, Any, Any, Any, Any] | None = None

    async def start_bot(self) -> None:
        # the harness owns the database; the bot gets its own engine like a real process
        self.app = build_application(self.settings, clock=self.clock,
                                     database=Database(self.db.url))
        await self.app.initialize()
        if self.app.post_init is not None:  # run_polling() would call it; we start by hand
            await self.app.post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1)

    async def stop_bot(self) -> None:
        if self.app is None:
            return
        app, self.app = self.app, None
        assert app.updater is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def restart_bot(self) -> None:
        await self.stop_bot()
        await self.start_bot()

    # --- people ---------------------------------------------------------------------------

    async def official(self, telegram_id: int, role: Role, region: str | None, *,
                       name: str = "Pejabat Uji", language: str = "id",
                       status: OfficialStatus = OfficialStatus.ACTIVE) -> Official:
        """An official who registered earlier (set up directly, without the chat)."""
        await self.sim.add_user(telegram_id, name.split()[0], language_code=language,
                                started=True)
        async with self.db.session() as session:
            official = Official(telegram_id=telegram_id, full_name=name, role=role,
                                region_code=region, status=status, language=language,
                                phone="+628120000" + str(telegram_id)[-4:].zfill(4),
                                created_at=self.clock.now())
            session.add(official)
            await session.flush()
            return official

    async def reload(self, official: Official) -> Official:
        async with self.db.session() as session:
            return await official_service.get(session, official.id or 0)

    # --- chatting -------------------------------------------------------------------------

    async def say(self, user_id: int, text: str, *, expect: str | None = None,
                  timeout: float = 5.0) -> SimMessage:
        """Send text (or a command) and return the bot's next message (containing `expect`)."""
        await self.sim.send_text(user_id, text)
        return await self.sim.wait_for_bot_message(user_id, contains=expect, timeout=timeout)

    def find_button(self, user_id: int, label: str) -> tuple[int, str]:
        """The newest bot message with a button whose text contains `label`."""
        for message in reversed(self.sim.bot_messages(user_id)):
            for text, data in message.buttons:
                if label in text and data is not None:
                    return message.message_id, data
        raise AssertionError(f"no button {label!r} in chat {user_id}")

    async def press(self, user_id: int, label: str, *, expect: str | None = None,
                    timeout: float = 5.0) -> SimMessage:
        """Press a button by its label and return the bot's next message or edit."""
        message_id, data = self.find_button(user_id, label)
        await self.sim.press_button(user_id, message_id, data)
        return await self.sim.wait_for_bot_message(user_id, contains=expect, timeout=timeout)

    async def press_for_answer(self, user_id: int, label: str) -> str:
        """Press a button that is answered with a popup only; returns the popup text."""
        message_id, data = self.find_button(user_id, label)
        query_id = await self.sim.press_button(user_id, message_id, data)
        return (await self.sim.wait_for_callback_answer(query_id)).text or ""

    async def forge(self, user_id: int, data: str, message_id: int | None = None) -> str:
        """Press a button that was never offered; returns the popup text."""
        if message_id is None:
            last = self.sim.last_bot_message(user_id)
            assert last is not None
            message_id = last.message_id
        query_id = await self.sim.forge_callback(user_id, message_id, data)
        return (await self.sim.wait_for_callback_answer(query_id)).text or ""

    async def settle(self, seconds: float = 0.3) -> None:
        await asyncio.sleep(seconds)
