"""The SQLite adapter: one trip to aiosqlite's thread per statement, no trip for idle commits,
and everything SQLAlchemy reads from a cursor as the stock adapter gives it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot import sqlite_driver
from bot.db import Database


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with db.engine.begin() as connection:
        await connection.execute(text(
            "CREATE TABLE desa (id INTEGER PRIMARY KEY, code TEXT UNIQUE, name TEXT)"))
    yield db
    await db.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call aiosqlite runs on its thread, by name."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object,
                      **kwargs: object) -> object:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


def test_the_engine_uses_the_one_trip_adapter(database: Database) -> None:
    assert isinstance(database.engine.dialect.dbapi, sqlite_driver.OneTripDbapi)


async def test_a_statement_is_one_trip_and_a_read_needs_no_commit(
        database: Database, trips: list[str]) -> None:
    async with database.engine.connect() as connection:  # connected before counting
        trips.clear()
        rows = (await connection.execute(text("SELECT 1 AS one, 'dua' AS two"))).all()
        assert [tuple(row) for row in rows] == [(1, "dua")]
        await connection.commit()
    assert trips == ["_run"]


async def test_writes_report_ids_and_counts_and_commit(database: Database) -> None:
    async with database.engine.begin() as connection:
        inserted = await connection.execute(
            text("INSERT INTO desa (code, name) VALUES (:code, :name)"),
            {"code": "32.77.03.1002", "name": "Cibabat"})
        assert inserted.lastrowid == 1
        many = await connection.execute(
            text("INSERT INTO desa (code, name) VALUES (:code, :name)"),
            [{"code": "32.77.03.1001", "name": "Pasirkaliki"},
             {"code": "32.77.03.1003", "name": "Citeureup"}])
        assert many.rowcount == 2
        returned = await connection.execute(text(
            "UPDATE desa SET name = upper(name) WHERE code LIKE '32.77.03.%' RETURNING code"))
        assert sorted(returned.scalars()) == ["32.77.03.1001", "32.77.03.1002", "32.77.03.1003"]
    async with database.engine.connect() as other:  # committed: another connection sees it
        names = (await other.execute(text("SELECT name FROM desa ORDER BY code"))).scalars()
        assert list(names) == ["PASIRKALIKI", "CIBABAT", "CITEUREUP"]
        updated = await other.execute(text("UPDATE desa SET name = 'x' WHERE id > 100"))
        assert updated.rowcount == 0


async def test_a_rollback_discards_and_errors_keep_their_kind(database: Database) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(text("INSERT INTO desa (code, name) VALUES ('1', 'a')"))
        await connection.rollback()
        count = (await connection.execute(text("SELECT count(*) FROM desa"))).scalar_one()
        assert count == 0
    async with database.engine.begin() as connection:
        await connection.execute(text("INSERT INTO desa (code, name) VALUES ('1', 'a')"))
    with pytest.raises(IntegrityError):
        async with database.engine.begin() as connection:
            await connection.execute(text("INSERT INTO desa (code, name) VALUES ('1', 'b')"))
    async with database.session() as session:  # the ORM session on top works as before
        rows = (await session.exec(text("SELECT code, name FROM desa"))).all()  # type: ignore[call-overload]
    assert [tuple(row) for row in rows] == [("1", "a")]


async def test_streaming_still_fetches_in_chunks(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(text("INSERT INTO desa (code, name) VALUES (:c, :n)"),
                                 [{"c": str(i), "n": f"desa {i}"} for i in range(250)])
    async with database.engine.connect() as connection:
        result = await connection.stream(
            text("SELECT code FROM desa ORDER BY id"))
        chunks = [len(chunk) async for chunk in result.partitions(100)]
    assert chunks == [100, 100, 50]
