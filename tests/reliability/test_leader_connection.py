"""A dropped scheduler leader connection must not take the whole bot down.

Today scheduler/leadership.py marks the lease lost when its connection breaks (a PostgreSQL
restart, a failover, an idle-connection killer) and bot/app.py passes on_lost=app.stop_running,
so the process exits — with code 0, which `Restart=on-failure` service managers do not
restart. Conversations never needed the lease. Expected instead: stop sending, take the lease
again when the database is back (running the crash recovery again), carry on.
Only our own backend is terminated; the shared server is not restarted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import ShiftableClock
from bot.context import SERVICES_KEY
from bot.db import Database
from models.officials import Role
from simulator import BotApiSimulator
from tests.botdriver import Driver, wait_until
from tests.e2e.harness import TOKEN

LURAH = 8201


@pytest.mark.backends("postgres")
@pytest.mark.xfail(strict=True, reason="leadership loss stops the application "
                                       "(bot/app.py on_lost=app.stop_running); see module doc")
async def test_a_dropped_leader_connection_does_not_stop_the_bot(db: Database,
                                                                tmp_path: Path) -> None:
    async with BotApiSimulator(token=TOKEN, flood=None) as sim:
        d = Driver(sim, db, ShiftableClock(), tmp_path / "data")
        await d.start_bot()
        try:
            await d.official(LURAH, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
            assert d.app is not None
            leadership = d.app.bot_data[SERVICES_KEY].leadership
            assert leadership is not None and leadership.lease.held
            asked_to_stop: list[bool] = []
            # the real callback stops the event loop (this test's too); record it instead
            leadership.on_lost = lambda: asked_to_stop.append(True)
            pid = (await leadership._connection.execute(  # noqa: SLF001
                text("SELECT pg_backend_pid()"))).scalar()
            async with db.session() as session:
                await session.exec(text("SELECT pg_terminate_backend(:pid)").bindparams(
                    pid=pid))  # type: ignore[call-overload]
            stopped = await wait_until(lambda: bool(asked_to_stop), timeout=7)
            assert not stopped, "losing the leader connection stops the whole application"
            assert (await d.text(LURAH, "/profil")).answered
            assert await wait_until(lambda: leadership.lease is not None
                                    and leadership.lease.held, timeout=10)
        finally:
            await d.stop_bot()
