"""Test databases: a migrated SQLite template copied per test, and a real PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bot.db import Database
from bot.migrate import upgrade
from bot.services.regions import ensure_pilot_regions
from bot.settings import async_database_url

DEFAULT_PG_URL = "postgresql://127.0.0.1:5432/test"
KEPT_TABLES = {"region", "alembic_version"}


def postgres_base_url() -> str:
    return os.environ.get("WILAYAH_TEST_DATABASE_URL", DEFAULT_PG_URL)


def must_test_postgres() -> bool:
    """In CI an unreachable PostgreSQL is a failure, never a silent skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"} or bool(
        os.environ.get("WILAYAH_TEST_DATABASE_URL")
    )


async def postgres_reachable(url: str) -> str | None:
    """None when reachable, else the reason."""
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=3)
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


def _asyncpg_dsn(url: str) -> str:
    parsed = make_url(async_database_url(url))
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def seed_reference_data(database: Database) -> None:
    async with database.session() as session:
        await ensure_pilot_regions(session)


class SqliteTemplate:
    """Migrate once, then hand every test its own copy of the file."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"

    async def build(self) -> None:
        url = async_database_url(f"sqlite:///{self.path}")
        await asyncio.to_thread(upgrade, url)
        database = Database(url)
        await seed_reference_data(database)
        await database.dispose()

    def copy_to(self, directory: Path) -> str:
        target = directory / f"wilayah-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.path, target)
        return async_database_url(f"sqlite:///{target}")


class PostgresScratch:
    """A throw-away database on the PostgreSQL server, emptied between tests."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.name = f"wilayah_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url = async_database_url(
            make_url(async_database_url(base_url)).set(database=self.name)
            .render_as_string(hide_password=False)
        )

    async def create(self) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(self.base_url))
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()
        await asyncio.to_thread(upgrade, self.url)
        database = Database(self.url)
        await seed_reference_data(database)
        await database.dispose()

    async def empty(self, database: Database) -> None:
        tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name not in KEPT_TABLES]
        if tables:
            async with database.engine.begin() as conn:
                quoted = ", ".join(f'"{t}"' for t in tables)
                await conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))

    async def drop(self) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(self.base_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()
