"""500 officials using the real bot process at once, under Telegram's flood limits.

Each official repeats what field officials do in a day — profile, help, the report list, a
report form opened and cancelled, their complaints — every 12 to 24 seconds, for
WILAYAH_SOAK_SECONDS (default 30, the CI size; raise it for a soak test). Every action must be
answered, the bot must log no error, Telegram must not refuse a call, and the memory of the
bot process must stay flat (resident size after the run against after the warm-up).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


from bot.clock import ShiftableClock
from bot.db import Database
from models.officials import Official, OfficialStatus, Role
from simulator import BotApiSimulator, FloodLimits
from tests.e2e.harness import TOKEN
from tests.reliability.process import BotProcess

OFFICIALS = int(os.environ.get("WILAYAH_LOAD_OFFICIALS", "500"))
SECONDS = float(os.environ.get("WILAYAH_SOAK_SECONDS", "30"))
FIRST = 900_001
VILLAGES = ["32.77.01.1001", "32.77.01.1002", "32.77.02.1001", "32.77.03.1001",
            "32.77.03.1002", "32.77.03.1003", "32.77.03.1004"]
# (what the official sends, a piece of the answer)
ROUND = [("/profil", "Profil Anda"), ("/lapor", "jenis kejadian"), ("/batal", "Dibatalkan"),
         ("/bantuan", "Menu Lurah"), ("/laporan", ""), ("/aduan_saya", "")]
FIGURES: dict[str, Any] = {}


class Inboxes:
    """The bot's messages per chat, from the simulator's event stream (cheaper than polling)."""

    def __init__(self, sim: BotApiSimulator) -> None:
        self.queue = sim.subscribe()
        self.boxes: dict[int, asyncio.Queue[str]] = defaultdict(asyncio.Queue)
        self.task = asyncio.create_task(self._route())

    async def _route(self) -> None:
        while (event := await self.queue.get()) is not None:
            message = event.get("message") or {}
            if event.get("type") in ("message", "edit") and message.get("from_bot"):
                self.boxes[message["chat_id"]].put_nowait(message.get("text") or "")

    def drain(self, chat_id: int) -> None:
        """Forget earlier messages (an action may be answered with more than one)."""
        box = self.boxes[chat_id]
        while not box.empty():
            box.get_nowait()

    async def answer(self, chat_id: int, contains: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            text = await asyncio.wait_for(self.boxes[chat_id].get(),
                                          max(deadline - time.monotonic(), 0.01))
            if contains in text:
                return


async def official_at_work(sim: BotApiSimulator, inboxes: Inboxes, telegram_id: int,
                           until: float, latencies: list[float], failures: list[str]) -> None:
    step = random.choice([0, 1, 3, 4, 5])  # /batal only ever follows /lapor
    await asyncio.sleep(random.uniform(0, 18))  # people do not all start at the same second
    while time.monotonic() < until - 1:
        text, expected = ROUND[step % len(ROUND)]
        inboxes.drain(telegram_id)
        started = time.monotonic()
        await sim.send_text(telegram_id, text)
        try:
            await inboxes.answer(telegram_id, expected, timeout=20)
            latencies.append(time.monotonic() - started)
        except TimeoutError:
            failures.append(f"{telegram_id} {text}")
        step += 1
        # about 28 actions a second from 500 people: just under Telegram's 30 messages/s
        await asyncio.sleep(min(random.uniform(12, 24), max(until - time.monotonic(), 0)))


async def test_five_hundred_officials_at_once(sqlite_url: str, tmp_path: Path) -> None:
    url = sqlite_url
    database = Database(url)
    async with BotApiSimulator(token=TOKEN, flood=FloodLimits()) as sim:
        now = ShiftableClock().now()
        async with database.session() as session:
            for number in range(OFFICIALS):
                telegram_id = FIRST + number
                await sim.add_user(telegram_id, "Lurah", started=True)
                session.add(Official(telegram_id=telegram_id, full_name=f"Lurah Uji {number}",
                                     role=Role.LURAH, region_code=VILLAGES[number % 7],
                                     status=OfficialStatus.ACTIVE, language="id",
                                     created_at=now))
        bot = BotProcess(sim, url, tmp_path)
        inboxes = Inboxes(sim)
        latencies: list[float] = []
        failures: list[str] = []
        try:
            await bot.start()
            warm_up = min(10.0, SECONDS / 3)
            until = time.monotonic() + SECONDS
            workers = [asyncio.create_task(official_at_work(
                sim, inboxes, FIRST + n, until, latencies, failures)) for n in range(OFFICIALS)]
            await asyncio.sleep(warm_up)
            rss_warm = bot.rss_kib()
            await asyncio.gather(*workers)
            rss_end = bot.rss_kib()
            assert bot.running
            assert await bot.stop() == 0
        finally:
            if bot.running:
                bot.kill()
            inboxes.task.cancel()
            await database.dispose()
        log = bot.log_text()
        assert not failures, f"{len(failures)} actions unanswered, e.g. {failures[:5]}"
        assert " ERROR " not in log and "Traceback" not in log, log[-3000:]
        assert not [c for c in sim.rejected_calls if c.status != 499]
        # PTB's limiter counts when it sends, Telegram when requests arrive: on a busy host a
        # few 429s happen; they are retried (every action above was answered)
        growth = rss_end - rss_warm
        FIGURES.update(officials=OFFICIALS, seconds=SECONDS, actions=len(latencies),
                       flood_429_retried=len(sim.flood_hits),
                       p50=round(statistics.median(latencies), 3),
                       p95=round(statistics.quantiles(latencies, n=20)[-1], 3),
                       rss_warm_mib=round(rss_warm / 1024, 1),
                       rss_end_mib=round(rss_end / 1024, 1))
        print(f"load: {FIGURES}")
        assert growth < max(0.15 * rss_warm, 16 * 1024), f"memory grew {growth} KiB"
