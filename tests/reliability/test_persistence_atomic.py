"""A draft and its conversation state are stored together or not at all.

PTB hands them to the persistence in separate calls; if they were separate transactions, a
kill between the two commits would leave a conversation one step ahead of its draft (a
SIGKILL test of `wilayah-bot run` found 4 such states in 20 kills). Buffered and written in
one transaction, a failure in the middle stores neither and keeps both for the next attempt.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import Clock
from bot.db import Database
from bot.persistence import SqlPersistence
from models.botstate import BotState

USER = 4242
DRAFT = {"draft_complaint": {"step": "location", "description": "Jalan berlubang"}}


async def stored(db: Database) -> dict[tuple[str, str], Any]:
    async with db.session() as session:
        rows = (await session.exec(select(BotState))).all()
    return {(r.namespace, r.key): json.loads(r.data) for r in rows}


async def test_a_draft_and_its_step_are_written_in_one_transaction(
        db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    persistence = SqlPersistence(db, clock)
    await persistence.update_user_data(USER, DRAFT)
    await persistence.update_conversation("complaints", (USER, USER), 6)
    assert await stored(db) == {}  # nothing half-written while PTB is still handing over

    written: list[str] = []
    original = persistence._write  # noqa: SLF001

    async def dies_on_the_second_row(session: Any, namespace: str, key: str,
                                     payload: str | None) -> None:
        if written:
            raise ConnectionError("database went away")
        written.append(namespace)
        await original(session, namespace, key, payload)

    monkeypatch.setattr(persistence, "_write", dies_on_the_second_row)
    with pytest.raises(ConnectionError):
        await persistence.write_pending()
    assert await stored(db) == {}, "the first row was committed without the second"

    monkeypatch.setattr(persistence, "_write", original)
    await persistence.update_conversation("complaints", (USER, USER), 6)  # a newer hand-over
    await persistence.write_pending()
    assert await stored(db) == {("user_data", str(USER)): DRAFT,
                                ("conversation:complaints", json.dumps([USER, USER])): 6}
    assert await persistence.get_conversations("complaints") == {(USER, USER): 6}

    await persistence.update_conversation("complaints", (USER, USER), None)
    await persistence.drop_user_data(USER)
    await persistence.flush()  # what PTB calls on shutdown
    assert await stored(db) == {}
