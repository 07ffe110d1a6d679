"""PTB persistence in the bot's own database: conversation states and drafts survive restarts.

Only `user_data` (an in-progress draft) and conversation states are stored; domain data lives
in its own tables. PTB hands over a user's draft and their conversation state in separate
calls; they are buffered and written together in one transaction when the application asks
(`write_pending`, right behind every update — see `WilayahApplication`), so a crash can never
leave a conversation at one step and its draft at another; it loses at most the steps of the
last few milliseconds, whose write had not committed yet.
The rows go in at most two statements (an upsert and a delete, each for many rows) and are
never read first: the persistence remembers a digest of what the table holds (read at
start-up, then written by this process alone), so a value PTB hands over unchanged costs no
database round trip at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.clock import Clock
from bot.db import Database
from models.botstate import BotState

USER_DATA = "user_data"
Item = tuple[str, str]  # (namespace, key)
_TABLE = BotState.__table__  # type: ignore[attr-defined]
_DELETE = delete(_TABLE).where(_TABLE.c.namespace == bindparam("gone_namespace"),
                               _TABLE.c.key == bindparam("gone_key"))


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
        self._pending: dict[Item, str | None] = {}
        self._write_lock = asyncio.Lock()
        # what the table holds, for the namespaces read at start-up: item -> digest of the JSON
        self._stored: dict[Item, bytes] = {}
        self._known_namespaces: set[str] = set()
        insert = postgresql.insert if database.is_postgres else sqlite.insert
        statement = insert(_TABLE)
        self._upsert = statement.on_conflict_do_update(
            index_elements=[_TABLE.c.namespace, _TABLE.c.key],
            set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at})

    async def _rows(self, namespace: str) -> list[BotState]:
        async with self._db.session() as session:
            rows = list((await session.exec(
                select(BotState).where(BotState.namespace == namespace))).all())
        self._known_namespaces.add(namespace)
        for row in rows:
            self._stored[(namespace, row.key)] = _digest(row.data)
        return rows

    async def _put(self, namespace: str, key: str, data: object | None) -> None:
        payload = None if data is None else json.dumps(data, ensure_ascii=False, default=str)
        self._pending[(namespace, key)] = payload

    def _unchanged(self, item: Item, payload: str | None) -> bool:
        """True when the table already holds exactly this (an absent row for None)."""
        if item[0] not in self._known_namespaces:
            return False
        stored = self._stored.get(item)
        return stored is None if payload is None else stored == _digest(payload)

    async def write_pending(self) -> None:
        """Write everything handed over since the last call in one transaction."""
        async with self._write_lock:  # writes happen in the order their values were taken
            pending, self._pending = self._pending, {}
            changes = {item: payload for item, payload in pending.items()
                       if not self._unchanged(item, payload)}
            if not changes:
                return
            try:
                async with self._db.engine.begin() as connection:  # Core: no ORM needed
                    await self._write(connection, changes)
            except BaseException:
                for item, payload in pending.items():  # newer values win; retried next time
                    self._pending.setdefault(item, payload)
                raise
            for item, payload in changes.items():
                if payload is None:
                    self._stored.pop(item, None)
                else:
                    self._stored[item] = _digest(payload)

    async def _write(self, connection: AsyncConnection, changes: dict[Item, str | None]) -> None:
        """Two statements at most, each for many rows: the deletions, then the rows to insert
        or update (an upsert, so nothing has to be read first)."""
        gone = [{"gone_namespace": namespace, "gone_key": key}
                for (namespace, key), payload in changes.items() if payload is None]
        now = self._clock.now()
        kept = [{"namespace": namespace, "key": key, "data": payload, "updated_at": now}
                for (namespace, key), payload in changes.items() if payload is not None]
        if gone:
            await connection.execute(_DELETE, gone)
        if kept:
            await connection.execute(self._upsert, kept)

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {int(r.key): json.loads(r.data) for r in await self._rows(USER_DATA)}

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        # serialised at once, so the copy PTB hands over needs no second copy
        await self._put(USER_DATA, str(user_id), data or None)

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


def _digest(payload: str) -> bytes:
    return hashlib.blake2b(payload.encode(), digest_size=16).digest()
