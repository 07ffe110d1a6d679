"""Drafts are written behind the updates: an update does not wait for the commit, a failed
write is reported and kept for the next one, and stopping writes whatever is pending."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlmodel import select
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.botapi import WilayahBot
from bot.clock import Clock
from bot.db import Database
from bot.persistence import SqlPersistence
from bot.updates import WilayahApplication
from models.botstate import BotState
from tests.canned_botapi import CannedBotApi

USER, OTHER = 5151, 5252
# a text that makes the handler stop half-way until the test releases it
GATES: dict[str, asyncio.Event] = {}


ME = {"id": 1, "is_bot": True, "first_name": "Wilayah", "username": "wilayah_bot"}


async def _remember(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and context.user_data is not None
    gate = GATES.get(update.message.text or "")
    if gate is not None:
        context.user_data["last"] = "half-way"  # as a handler between two changes
        await gate.wait()
    context.user_data["last"] = update.message.text


def _application(db: Database, clock: Clock) -> tuple[WilayahApplication, SqlPersistence]:
    persistence = SqlPersistence(db, clock, update_interval=3600)
    bot = WilayahBot("123:abc", request=CannedBotApi({"getMe": ME}),
                     get_updates_request=CannedBotApi({"getMe": ME}))
    app = (ApplicationBuilder().application_class(WilayahApplication).bot(bot)
           .persistence(persistence).updater(None).build())
    app.add_handler(MessageHandler(filters.TEXT, _remember))
    return app, persistence  # type: ignore[return-value]


def _text(update_id: int, text: str, bot: WilayahBot, user: int = USER) -> Update:
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_780_000_000, "text": text,
        "chat": {"id": user, "type": "private"},
        "from": {"id": user, "is_bot": False, "first_name": "Sari"}}}, bot)


async def _stored(db: Database, user: int = USER) -> Any:
    async with db.session() as session:
        row = (await session.exec(select(BotState).where(
            BotState.namespace == "user_data", BotState.key == str(user)))).first()
    return None if row is None else json.loads(row.data)


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "not written in time"
        await asyncio.sleep(0.01)


async def test_an_update_does_not_wait_for_its_write(db: Database, clock: Clock) -> None:
    app, persistence = _application(db, clock)
    release = asyncio.Event()
    original = persistence._write

    async def slow(connection: Any, changes: dict[Any, Any]) -> None:
        await release.wait()
        await original(connection, changes)

    persistence._write = slow  # type: ignore[method-assign]
    async with app:
        await app.start()
        await asyncio.wait_for(app.process_update(_text(1, "banjir", app.bot)), 2)
        await app.process_update(_text(2, "banjir surut", app.bot))  # queued behind the write
        assert await _stored(db) is None
        release.set()

        async def latest() -> bool:
            return await _stored(db) == {"last": "banjir surut"}

        await _until(latest)
        await app.stop()


async def test_a_failed_write_is_reported_and_kept(db: Database, clock: Clock) -> None:
    app, persistence = _application(db, clock)
    errors: list[object] = []

    async def on_error(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app.add_error_handler(on_error)
    original = persistence._write
    failures = [ConnectionError("database went away")]

    async def flaky(connection: Any, changes: dict[Any, Any]) -> None:
        if failures:
            raise failures.pop()
        await original(connection, changes)

    persistence._write = flaky  # type: ignore[method-assign]
    async with app:
        await app.start()
        await app.process_update(_text(1, "kebakaran", app.bot))

        async def reported() -> bool:
            return bool(errors)

        await _until(reported)
        assert isinstance(errors[0], ConnectionError)
        assert await _stored(db) is None
        await app.stop()  # stopping writes what is still pending
        assert await _stored(db) == {"last": "kebakaran"}


async def test_stopping_writes_what_is_pending(db: Database, clock: Clock) -> None:
    app, _ = _application(db, clock)
    async with app:
        await app.start()
        for update_id in range(1, 30):
            await app.process_update(_text(update_id, f"pesan {update_id}", app.bot))
        await app.stop()
        assert await _stored(db) == {"last": "pesan 29"}  # already, not only at shutdown


async def test_a_draft_half_way_through_an_answer_is_not_stored(
        db: Database, clock: Clock) -> None:
    app, _ = _application(db, clock)
    GATES["lambat"] = gate = asyncio.Event()
    try:
        async with app:
            await app.start()
            first = _text(1, "banjir", app.bot)
            # as PTB runs updates: its task marks the user for the persistence once more at
            # the end, so the next hand-over of anyone copies this user's draft again
            await app.create_task(app.process_update(first), update=first)
            slow = app.create_task(app.process_update(_text(2, "lambat", app.bot)))
            await asyncio.sleep(0.05)  # the handler now waits half-way
            await app.process_update(_text(3, "halo", app.bot, user=OTHER))
            await app.update_persistence()  # every write so far has landed
            assert await _stored(db, OTHER) == {"last": "halo"}
            assert await _stored(db) == {"last": "banjir"}  # not "half-way"
            gate.set()
            await slow
            await app.update_persistence()
            assert await _stored(db) == {"last": "lambat"}
            await app.stop()
    finally:
        GATES.clear()
