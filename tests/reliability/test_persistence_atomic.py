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

    original = persistence._write  # noqa: SLF001

    async def dies_before_the_commit(connection: Any, changes: dict[Any, Any]) -> None:
        await original(connection, changes)  # both rows written inside the transaction…
        raise ConnectionError("database went away")  # …which never commits

    monkeypatch.setattr(persistence, "_write", dies_before_the_commit)
    with pytest.raises(ConnectionError):
        await persistence.write_pending()
    assert await stored(db) == {}, "a row was committed without the other"

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


async def test_a_value_handed_over_unchanged_is_not_written_again(
        db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    first = SqlPersistence(db, clock)
    await first.update_user_data(USER, DRAFT)
    await first.update_conversation("complaints", (USER, USER), 6)
    await first.write_pending()

    restarted = SqlPersistence(db, clock)
    assert await restarted.get_user_data() == {USER: DRAFT}
    assert await restarted.get_conversations("complaints") == {(USER, USER): 6}
    writes: list[dict[Any, Any]] = []
    original = restarted._write  # noqa: SLF001

    async def counted(connection: Any, changes: dict[Any, Any]) -> None:
        writes.append(dict(changes))
        await original(connection, changes)

    monkeypatch.setattr(restarted, "_write", counted)
    await restarted.update_user_data(USER, DRAFT)  # what the table already holds
    await restarted.update_user_data(USER + 1, {})  # nothing stored, nothing to delete
    await restarted.update_conversation("complaints", (USER, USER), 6)
    await restarted.write_pending()
    assert writes == []

    newer = {"draft_complaint": {"step": "photo", "description": "Jalan berlubang"}}
    await restarted.update_user_data(USER, newer)
    await restarted.update_conversation("complaints", (USER, USER), 6)
    await restarted.write_pending()
    assert len(writes) == 1 and list(writes[0]) == [("user_data", str(USER))]
    assert await stored(db) == {("user_data", str(USER)): newer,
                                ("conversation:complaints", json.dumps([USER, USER])): 6}
