"""A bot under test that says when each update is fully handled, plus log capture.

Security and reliability tests send thousands of inputs. Waiting for "the next message" is not
enough there: some inputs are answered with a popup only, some with several messages, and a
bug may answer with nothing. The driver wraps the update processor and records every update
the bot has finished (handlers, error handler and the persistence write included), so each
input is judged on everything it caused and nothing else.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import SQLModel
from telegram import Update
from telegram.ext import ConversationHandler

from bot.clock import Clock
from bot.db import Database
from bot.logs import RedactingFormatter
from bot.services.recap_digest import DIGEST_TARGET
from simulator import BotApiSimulator, CallbackQueryRecord, SimMessage
from tests.e2e.harness import Harness

# tables that change on every update (drafts) or never (reference data)
UNTRACKED_TABLES = {"bot_state", "alembic_version", "region"}
QUIET_LOGGERS = ("httpx", "apscheduler", "alembic")


class LogCapture(logging.Handler):
    """Every record at `level` and above, formatted the way `wilayah-bot run` formats them."""

    def __init__(self, level: int = logging.INFO, *, json_format: bool = False) -> None:
        super().__init__(level)
        self.setFormatter(RedactingFormatter(json_format))
        self.records: list[logging.LogRecord] = []
        self._root_level: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> LogCapture:
        root = logging.getLogger()
        self._levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
        self._root_level = root.level
        root.addHandler(self)
        root.setLevel(min(self.level, root.level or logging.WARNING))
        for name in QUIET_LOGGERS:  # as bot.logs.configure_logging does for `run`
            logging.getLogger(name).setLevel(logging.WARNING)
        return self

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        if self._root_level is not None:
            root.setLevel(self._root_level)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)

    def errors(self, since: int = 0) -> list[logging.LogRecord]:
        """Records at ERROR or above: the error handler ran, or something crashed."""
        return [r for r in self.records[since:] if r.levelno >= logging.ERROR]

    def text(self) -> str:
        """All captured records as the redacting formatter prints them."""
        return "\n".join(self.format(r) for r in self.records)


@dataclass
class Outcome:
    """What the bot did about one input: its messages (new or edited) and popup answer."""

    messages: list[SimMessage] = field(default_factory=list)
    answer: CallbackQueryRecord | None = None

    @property
    def texts(self) -> list[str]:
        return [m.text or m.kind for m in self.messages]

    @property
    def answered(self) -> bool:
        return bool(self.messages) or (self.answer is not None and self.answer.answered)


class Driver(Harness):
    """The e2e harness plus: 'this update is done', conversation state and DB fingerprints."""

    def __init__(self, sim: BotApiSimulator, db: Database, clock: Clock, data_dir: Path,
                 **setting_overrides: Any) -> None:
        super().__init__(sim, db, clock, data_dir, **setting_overrides)
        self._done: dict[tuple[Any, ...], asyncio.Event] = {}
        self.handled = 0
        self.handled_keys: Counter[tuple[Any, ...]] = Counter()

    async def start_bot(self) -> None:
        await super().start_bot()
        assert self.app is not None
        processor = self.app.update_processor
        handle = processor.do_process_update

        async def tracked(update: object, coroutine: Any) -> None:
            try:
                await handle(update, coroutine)
            finally:
                self.handled += 1
                key = update_key(update)
                if key is not None:
                    self.handled_keys[key] += 1
                    self._done.setdefault(key, asyncio.Event()).set()

        processor.do_process_update = tracked  # type: ignore[method-assign]

    async def finished(self, key: tuple[Any, ...], timeout: float = 10.0) -> None:
        """Wait until the bot has completely handled the update with this key."""
        event = self._done.setdefault(key, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
        finally:
            self._done.pop(key, None)

    # --- acting as a user ---------------------------------------------------------------

    async def act(self, user_id: int, action: str, *args: Any, timeout: float = 10.0,
                  **kwargs: Any) -> Outcome:
        """Run one simulator user action (send_text, send_photo, …) and wait until handled."""
        baseline = self.sim.state.seq
        sent = await getattr(self.sim, action)(user_id, *args, **kwargs)
        await self.finished(("m", sent["chat"]["id"], sent["message_id"]), timeout)
        return self._outcome(user_id, baseline)

    async def text(self, user_id: int, message: str, **kwargs: Any) -> Outcome:
        return await self.act(user_id, "send_text", message, **kwargs)

    async def press(self, user_id: int, data: str, *, message_id: int | None = None,
                    timeout: float = 10.0) -> Outcome:
        """Press a button with this data, offered or forged, and wait until handled."""
        if message_id is None:
            last = self.sim.last_bot_message(user_id)
            message_id = last.message_id if last is not None else 1
        baseline = self.sim.state.seq
        query_id = await self.sim.forge_callback(user_id, message_id, data)
        await self.finished(("q", query_id), timeout)
        outcome = self._outcome(user_id, baseline)
        outcome.answer = self.sim.state.callback_queries.get(query_id)
        return outcome

    def use_telegram(self, **values: Any) -> None:
        """Change [telegram] settings (timeouts, webhook…) before start_bot()."""
        telegram = self.settings.telegram.model_copy(update=values)
        self.settings = self.settings.model_copy(update={"telegram": telegram})

    def _outcome(self, chat_id: int, baseline: int) -> Outcome:
        chat = self.sim.state.chats.get(chat_id)
        messages = [m for m in (chat.messages if chat else []) if m.from_bot and m.seq > baseline]
        return Outcome(messages=messages)

    # --- looking inside -----------------------------------------------------------------

    def conversations(self) -> list[ConversationHandler[Any]]:
        assert self.app is not None
        return [h for h in self.app.handlers.get(0, []) if isinstance(h, ConversationHandler)]

    def conversation_of(self, user_id: int) -> tuple[str, object] | None:
        """(conversation name, state) the user is in, or None."""
        for handler in self.conversations():
            state = handler._conversations.get((user_id, user_id))  # noqa: SLF001
            if state is not None:
                return str(handler.name), state
        return None

    def user_data(self, user_id: int) -> dict[str, Any]:
        assert self.app is not None
        return deepcopy(dict(self.app.user_data.get(user_id, {})))

    def restore(self, user_id: int, conversation: tuple[str, object] | None,
                user_data: dict[str, Any]) -> None:
        """Put a user back exactly where a snapshot was taken (conversation and draft)."""
        assert self.app is not None
        for handler in self.conversations():
            key = (user_id, user_id)
            if conversation is not None and handler.name == conversation[0]:
                handler._conversations[key] = conversation[1]  # noqa: SLF001
            elif handler._conversations.get(key) is not None:  # noqa: SLF001
                handler._conversations[key] = None  # noqa: SLF001
                handler._conversations.pop(key, None)  # noqa: SLF001
        live = self.app.user_data[user_id]
        live.clear()
        live.update(deepcopy(user_data))

    async def stored_user_data(self, user_id: int) -> dict[str, Any] | None:
        """The draft as the database holds it (what a restart would continue from), once the
        writes behind the updates handled so far have landed."""
        import json

        assert self.app is not None
        await self.app.update_persistence()  # waits for a write in flight, writes the rest
        async with self.db.session() as session:
            row = (await session.exec(text(  # type: ignore[call-overload]
                "SELECT data FROM bot_state WHERE namespace = 'user_data' AND key = :key"
            ).bindparams(key=str(user_id)))).first()
        return json.loads(row[0]) if row else None

    async def fingerprint(self) -> dict[str, str]:
        """A digest of every domain table: equal fingerprints mean nothing was stored."""
        digests: dict[str, str] = {}
        async with self.db.session() as session:
            for table in SQLModel.metadata.sorted_tables:
                if table.name in UNTRACKED_TABLES:
                    continue
                rows = (await session.exec(table.select())).all()  # type: ignore[call-overload]
                if table.name == "reminder":  # the weekly digests plan themselves on a timer
                    rows = [r for r in rows if r.target_type != DIGEST_TARGET]
                digest = hashlib.sha256()
                for row in sorted(repr(tuple(r)) for r in rows):
                    digest.update(row.encode())
                digests[table.name] = f"{len(rows)}:{digest.hexdigest()[:12]}"
        return digests


def update_key(update: object) -> tuple[Any, ...] | None:
    """How a test names an update: its message (chat, id) or its callback query id."""
    if not isinstance(update, Update):
        return None
    if update.callback_query is not None:
        return ("q", update.callback_query.id)
    message = update.message or update.edited_message
    if message is not None:
        return ("m", message.chat.id, message.message_id)
    return None


async def wait_until(condition: Any, timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll a condition (sync or async callable) until true or the timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
