"""A running bot on a private SQLite copy, with the driver's bookkeeping and log capture."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ShiftableClock
from bot.db import Database
from simulator import BotApiSimulator
from tests.botdriver import Driver, LogCapture
from tests.e2e.harness import TOKEN


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(request.getfixturevalue("sqlite_template").copy_to(tmp_path))


@pytest.fixture
async def faulty(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[Driver, LogCapture]]:
    """A bot not yet started (the test sets timeouts and alert chats first), logs at INFO."""
    database = Database(sqlite_url)
    async with BotApiSimulator(token=TOKEN, flood=None) as sim:
        driver = Driver(sim, database, ShiftableClock(), tmp_path / "data")
        with LogCapture() as capture:
            try:
                yield driver, capture
            finally:
                await driver.stop_bot()
                await database.dispose()
