"""Who sent an update: read once for a burst of updates, never stale after a change here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect

from bot.clock import FrozenClock
from bot.context import OfficialCache
from bot.db import Database
from bot.services import officials as official_service
from models.officials import OfficialStatus, Role
from tests.unit.test_incidents import CIBABAT, add_official

STRANGER = 424242


async def test_an_official_is_read_once_until_one_changes_or_the_time_is_up(
        db: Database, clock: FrozenClock) -> None:
    lurah = await add_official(db, clock, Role.LURAH, CIBABAT)
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM official" in statement and "official.telegram_id =" in statement:
            reads.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    now = [100.0]
    cache = OfficialCache(ttl=10.0, monotonic=lambda: now[0])

    first = await cache.find(db, lurah.telegram_id)
    again = await cache.find(db, lurah.telegram_id)
    assert len(reads) == 1
    assert again is not None and again is not first and again.id == lurah.id
    assert inspect(again).detached  # like an official loaded by a session that has closed
    again.full_name = "changed by one handler"
    third = await cache.find(db, lurah.telegram_id)
    assert third is not None and third.full_name == lurah.full_name

    async with db.session() as session:  # an admin deactivates the lurah, in this process
        fresh = await official_service.get(session, lurah.id or 0)
        fresh.status = OfficialStatus.DEACTIVATED
        session.add(fresh)
    changed = await cache.find(db, lurah.telegram_id)
    assert changed is not None and changed.status == OfficialStatus.DEACTIVATED
    assert len(reads) == 2

    assert await cache.find(db, STRANGER) is None
    assert await cache.find(db, STRANGER) is None
    assert len(reads) == 3
    now[0] += 10.5  # what another process changed is seen once the entry is old enough
    assert await cache.find(db, STRANGER) is None
    assert len(reads) == 4
