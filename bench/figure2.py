"""Figure 2: a broadcast to thousands under Telegram's limits, and one interrupted by SIGKILL.

The simulator enforces Telegram's flood limits (30 messages/s overall, about 1/s per chat).
The broadcast is created through bot.services.broadcasts, as the admin's Kirim would; the bot
process (its broadcast worker) delivers it. Counted from what the simulator accepted:
the achieved rate against the 30/s limit, 429 answers, duplicates and missing recipients.
The second broadcast is killed (SIGKILL) half way and the bot restarted.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from bench.context import BenchContext
from bench.harness import BenchSimulator, BotProcess, ScratchDatabase, Sent
from bench.seed import People, bulk_lurah, seed_chain
from bot.clock import SystemClock
from bot.db import Database
from bot.services import broadcasts as service
from bot.services import officials as official_service
from bot.services.broadcasts_audience import Audience
from models.broadcasts import BroadcastContent, BroadcastStatus
from simulator import FloodLimits

LIMIT_PER_SECOND = FloodLimits().global_per_second
RATE_TARGET = 0.95


async def _create(database: Database, people: People, text: str) -> int:
    clock = SystemClock()
    async with database.session() as session:
        sender = await official_service.get(session, people.superadmin_id)
        broadcast = await service.create_broadcast(
            session, clock, sender=sender,
            draft=service.BroadcastDraft(content_type=BroadcastContent.TEXT, text=text,
                                         audience=Audience()))
        return broadcast.id or 0


async def _status(database: Database, broadcast_id: int) -> tuple[str, dict[str, int]]:
    async with database.session() as session:
        broadcast = await service.get_broadcast(session, broadcast_id)
        figures = await service.progress(session, broadcast_id)
    return str(broadcast.status), dict(figures.by_status)


async def _wait_done(database: Database, broadcast_id: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status, _ = await _status(database, broadcast_id)
        if status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
            return status
        await asyncio.sleep(0.5)
    return status


def _deliveries(log: list[Sent], recipients: set[int], text: str) -> list[Sent]:
    return [s for s in log if s.event == "message" and s.chat_id in recipients
            and (s.text or "").endswith(text)]  # below the header naming the sender


def _counts(sent: list[Sent], recipients: set[int]) -> dict[str, int]:
    per_chat = Counter(s.chat_id for s in sent)
    return {"delivered": len(per_chat),
            "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
            "missing": len(recipients - set(per_chat))}


def _rate(sent: list[Sent], log: list[Sent], created_at: float) -> dict[str, Any]:
    times = sorted(s.at for s in sent)
    if len(times) < 2:
        return {}
    first, last = times[0], times[-1]
    rate = (len(times) - 1) / (last - first)
    # every flood-counted message or edit in the window (progress edits share the budget)
    window = [s for s in log if first <= s.at <= last]
    return {
        "first_after_s": round(first - created_at, 2), "duration_s": round(last - first, 1),
        "recipients_per_s": round(rate, 2),
        "fraction_of_limit": round(rate / LIMIT_PER_SECOND, 3),
        "all_sends_per_s": round((len(window) - 1) / (last - first), 2),
    }


async def _scenario(ctx: BenchContext, backend: str) -> dict[str, Any]:
    bench = await BenchSimulator(flood=FloodLimits()).start()
    scratch = ScratchDatabase(backend, ctx.workdir, ctx.postgres_url)
    process: BotProcess | None = None
    database: Database | None = None
    try:
        database = await scratch.create()
        clock = SystemClock()
        people = await seed_chain(database, clock, chain=False)
        await bulk_lurah(database, clock, people, ctx.recipients)
        await bench.add_users(people.everyone)
        recipients = set(people.lurah)
        process = BotProcess.wilayah(bench, scratch, ctx.workdir,
                                     ctx.log_path(f"fig2-{backend}"))
        process.start()
        await process.wait_ready(bench)
        bench.log = []
        budget = ctx.recipients / 20 + 60

        text = "Siaran uji: rapat koordinasi besok pukul 09.00 WIB."
        hits = bench.flood_hits()
        created_at = time.perf_counter()
        first_id = await _create(database, people, text)
        ctx.say(f"figure 2 ({backend}): broadcast to {len(recipients)} created")
        status = await _wait_done(database, first_id, budget)
        sent = _deliveries(bench.log, recipients, text)
        plain = {"status": status, **_counts(sent, recipients),
                 "http_429": bench.flood_hits() - hits,
                 **_rate(sent, bench.log, created_at)}
        plain["meets_target"] = (plain.get("fraction_of_limit", 0) >= RATE_TARGET
                                 and not plain["http_429"] and not plain["duplicates"]
                                 and not plain["missing"])
        result: dict[str, Any] = {"recipients": len(recipients), "plain": plain}
        if ctx.kill_test:
            result["killed"] = await _killed(ctx, bench, process, database, people, backend)
        return result
    finally:
        if process is not None:
            await process.stop()
        if database is not None:
            await database.dispose()
        await bench.stop()
        await scratch.drop()


async def _killed(ctx: BenchContext, bench: BenchSimulator, process: BotProcess,
                  database: Database, people: People, backend: str) -> dict[str, Any]:
    """A second broadcast: SIGKILL once half the recipients have it, restart, let it finish."""
    recipients = set(people.lurah)
    text = "Siaran uji kedua: mohon laporkan kondisi wilayah hari ini."
    assert bench.log is not None
    bench.log.clear()
    hits = bench.flood_hits()
    broadcast_id = await _create(database, people, text)
    half = len(recipients) // 2
    deadline = time.monotonic() + ctx.recipients / 40 + 60
    while len(_deliveries(bench.log, recipients, text)) < half:
        if time.monotonic() > deadline:
            return {"error": "the broadcast never reached half of the recipients"}
        await asyncio.sleep(0.05)
    process.kill()
    at_kill = len(_deliveries(bench.log, recipients, text))
    ctx.say(f"figure 2 ({backend}): SIGKILL after {at_kill} deliveries; restarting")
    restarted_at = time.perf_counter()
    process.start()
    startup = await process.wait_ready(bench)
    status = await _wait_done(database, broadcast_id, ctx.recipients / 20 + 60)
    sent = _deliveries(bench.log, recipients, text)
    _, by_status = await _status(database, broadcast_id)
    after = [s for s in sent if s.at >= restarted_at]
    counts = _counts(sent, recipients)
    return {"status": status, "delivered_before_kill": at_kill,
            "delivered_after_restart": len(after), "restart_s": round(startup, 2),
            **counts, "http_429": bench.flood_hits() - hits, "rows_by_status": by_status,
            "meets_target": not counts["duplicates"] and not counts["missing"]}


async def run(ctx: BenchContext) -> dict[str, Any]:
    results: dict[str, Any] = {"limit_per_s": LIMIT_PER_SECOND}
    for backend in ctx.backends:
        ctx.say(f"figure 2: broadcast on {backend}")
        results[backend] = await _scenario(ctx, backend)
    return results
