"""PTB persistence in the bot's own database: conversation states and drafts survive restarts.

Only `user_data` (an in-progress draft) and conversation states are stored; domain data lives
in its own tables. PTB hands over a user's draft and their conversation state in separate
calls; they are buffered and written together in one transaction when the application asks
(`write_pending`, after every update — see `WilayahApplication`), so a crash can never leave a
conversation at one step and its draft at another, and loses at most the update being handled.
"""

from __future__ import annotations

import asyncio
import json
from copy import deepcopy
from typing import Any

from sqlmodel import select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.clock import Clock
from bot.db import Database
from models.botstate import BotState

USER_DATA = "user_data"


def _conversation_namespace(name: str) -> str:
    return f"conversation:{name}"


class SqlPersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    """Stores user_data and conversations as JSON rows of `bot_state`."""

    def __init__(self, database: Database, clock: Clock, *, update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._db = database
        self._clock = clock
        # (namespace, key) -> JSON to store, or None to delete; see write_pending()
        self._pending: dict[tuple[str, str], str | None] = {}
        self._write_lock = asyncio.Lock()

    async def _rows(self, namespace: str) -> list[BotState]:
        async with self._db.session() as session:
            return list((await session.exec(
                select(BotState).where(BotState.namespace == namespace))).all())

    async def _put(self, namespace: str, key: str, data: object | None) -> None:
        payload = None if data is None else json.dumps(data, ensure_ascii=False, default=str)
        self._pending[(namespace, key)] = payload

    async def write_pending(self) -> None:
        """Write everything handed over since the last call in one transaction."""
        async with self._write_lock:  # writes happen in the order their values were taken
            pending, self._pending = self._pending, {}
            if not pending:
                return
            try:
                async with self._db.session() as session:
                    for (namespace, key), payload in pending.items():
                        await self._write(session, namespace, key, payload)
            except BaseException:
                for item, payload in pending.items():  # newer values win; retried next time
                    self._pending.setdefault(item, payload)
                raise

    async def _write(self, session: Any, namespace: str, key: str, payload: str | None) -> None:
        row = await session.get(BotState, (namespace, key))
        if payload is None:
            if row is not None:
                await session.delete(row)
            return
        if row is None:
            session.add(BotState(namespace=namespace, key=key, data=payload,
                                 updated_at=self._clock.now()))
        elif row.data != payload:
            row.data = payload
            row.updated_at = self._clock.now()
            session.add(row)

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {int(r.key): json.loads(r.data) for r in await self._rows(USER_DATA)}

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        await self._put(USER_DATA, str(user_id), deepcopy(data) if data else None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._put(USER_DATA, str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """Drafts are only written by this process, so there is nothing to refresh."""

    async def get_conversations(self, name: str) -> ConversationDict:
        return {tuple(json.loads(r.key)): json.loads(r.data)
                for r in await self._rows(_conversation_namespace(name))}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self._put(_conversation_namespace(name), json.dumps(list(key)), new_state)

    # chat data, bot data and callback data are not stored (see store_data above)
    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: object) -> None:
        return None

    async def flush(self) -> None:
        """On shutdown: write what is still buffered."""
        await self.write_pending()
