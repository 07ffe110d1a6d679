"""One running bot per module for the security walks (SQLite always, PostgreSQL when asked)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.clock import ShiftableClock
from bot.db import Database
from simulator import BotApiSimulator
from tests.botdriver import Driver, LogCapture
from tests.e2e.harness import TOKEN


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A private copy of the migrated SQLite template (for tests where the backend is moot)."""
    return str(request.getfixturevalue("sqlite_template").copy_to(tmp_path))


@pytest.fixture(scope="module")
def module_database_url(request: pytest.FixtureRequest, db_backend: str,
                        tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database with the pilot regions, private to one test module."""
    if db_backend == "sqlite":
        directory = tmp_path_factory.mktemp("security-db")
        return str(request.getfixturevalue("sqlite_template").copy_to(directory))
    return str(request.getfixturevalue("postgres_scratch").url)


async def emptied(request: pytest.FixtureRequest, db_backend: str, url: str) -> Database:
    database = Database(url)
    if db_backend == "postgres":  # the session's scratch database: other tests leave rows
        await request.getfixturevalue("postgres_scratch").empty(database)
    return database


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_bot(request: pytest.FixtureRequest, db_backend: str, module_database_url: str,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[
                         tuple[Driver, LogCapture]]:
    """A running bot without flood limits (access is what is tested), logs captured at INFO."""
    directory = tmp_path_factory.mktemp(f"security-{db_backend}")
    database = await emptied(request, db_backend, module_database_url)
    overrides: dict[str, Any] = getattr(request.module, "BOT_SETTINGS", {})
    async with BotApiSimulator(token=TOKEN, flood=None) as sim:
        driver = Driver(sim, database, ShiftableClock(), directory / "data", **overrides)
        with LogCapture() as capture:
            await driver.start_bot()
            try:
                yield driver, capture
            finally:
                await driver.stop_bot()
                await database.dispose()
