"""End-to-end fixtures: the Bot API simulator and a running bot on each test database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ShiftableClock
from bot.db import Database
from simulator import BotApiSimulator, FloodLimits
from tests.e2e.harness import TOKEN, Harness


# A test user answers within milliseconds, a person within seconds; so conversations get a
# roomier per-chat burst than Telegram's ~1 message/s. The global 30/s limit stays as it is,
# and broadcast tests use the simulator's strict defaults.
CONVERSATION_FLOOD = FloodLimits(private_burst=20, private_per_second=2.0)


@pytest.fixture
async def sim() -> AsyncIterator[BotApiSimulator]:
    async with BotApiSimulator(token=TOKEN, flood=CONVERSATION_FLOOD) as simulator:
        yield simulator


@pytest.fixture
async def harness(request: pytest.FixtureRequest, sim: BotApiSimulator, db: Database,
                  tmp_path: Path) -> AsyncIterator[Harness]:
    """A running bot; at the end, no call may have been one Telegram would reject."""
    overrides = getattr(request, "param", {})
    h = Harness(sim, db, ShiftableClock(), tmp_path / "data", **overrides)
    await h.start_bot()
    try:
        yield h
    finally:
        await h.stop_bot()
    # 499 is the simulator noting that the bot hung up a long poll while stopping
    rejected = [(c.method, c.status, c.description) for c in sim.rejected_calls
                if c.status != 499]
    if not request.node.get_closest_marker("allow_rejected_calls"):
        assert not rejected, f"calls Telegram would reject: {rejected}"
