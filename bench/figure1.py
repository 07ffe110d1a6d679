"""Figure 1: conversation throughput and latency, Wilayah versus a bare PTB echo bot.

For each target (the echo bot, Wilayah on SQLite, Wilayah on PostgreSQL) a fresh simulator
(flood control off: this figure measures the bots, not Telegram's limits) and a fresh bot
process; a short warm-up, then
  * closed loop: N officials at once, each filing one whole report (8 updates) as fast as the
    bot answers — updates per second and latency at saturation; three times, the median kept;
  * open loop: updates at a fixed rate (default 50/s) for a fixed time — latency at that load.
The echo bot gets the same people and the same number of updates (texts it echoes).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.context import BenchContext
from bench.conversation import (
    REPORT_STEPS,
    EchoScript,
    LoadResult,
    ReportScript,
    Script,
    closed_loop,
    open_loop,
    until_quiet,
)
from bench.harness import BenchSimulator, BotProcess, ScratchDatabase
from bench.seed import register_lurah, seed_chain
from bot.clock import SystemClock

ECHO_BASE = 5_000_000
WARM_UP_PEOPLE = 20
CLOSED_LOOP_REPEATS = 3
P99_TARGET_MS = 250.0
RATIO_TARGET = 0.5


async def _measure(ctx: BenchContext, bench: BenchSimulator, process: BotProcess,
                   scripts: list[Script], *, closed: bool = True) -> dict[str, Any]:
    """Warm up, then the closed-loop runs (the median of a few: a shared machine's speed drifts
    from one run to the next) and the open-loop run; with the bot's CPU per update."""
    await closed_loop(bench, scripts[:WARM_UP_PEOPLE])
    figures: dict[str, Any] = {}
    if closed:
        repeats = [await _timed(bench, process,
                                lambda: closed_loop(bench, scripts, REPORT_STEPS))
                   for _ in range(CLOSED_LOOP_REPEATS)]
        repeats.sort(key=lambda summary: summary["updates_per_s"] or 0)
        figures["closed_loop"] = {
            **repeats[len(repeats) // 2],
            "repeats_updates_per_s": [summary["updates_per_s"] for summary in repeats],
        }
    figures["open_loop"] = await _timed(bench, process, lambda: open_loop(
        bench, scripts, rate=ctx.rate, duration=ctx.duration))
    figures["memory_kb"] = process.memory_kb()
    return figures


async def _timed(bench: BenchSimulator, process: BotProcess,
                 run: Callable[[], Awaitable[LoadResult]]) -> dict[str, Any]:
    """One load run, started once the bot is quiet; its summary with CPU per update."""
    await until_quiet(bench)
    cpu_before, own_before = process.cpu_seconds(), time.process_time()
    result = await run()
    summary = result.summary()
    handled = max(summary["updates"], 1)
    summary["bot_cpu_ms_per_update"] = round(
        (process.cpu_seconds() - cpu_before) * 1000 / handled, 2)
    summary["driver_cpu_ms_per_update"] = round(
        (time.process_time() - own_before) * 1000 / handled, 2)
    return summary


async def _echo(ctx: BenchContext) -> dict[str, Any]:
    bench = await BenchSimulator(flood=None).start()
    people = [ECHO_BASE + i for i in range(ctx.users)]
    await bench.add_users(people)
    process = BotProcess.echo(bench, ctx.workdir, ctx.log_path("fig1-echo"))
    try:
        process.start()
        startup = await process.wait_ready(bench)
        scripts: list[Script] = [EchoScript(bench, uid, i) for i, uid in enumerate(people)]
        figures = await _measure(ctx, bench, process, scripts)
        figures["startup_s"] = round(startup, 2)
        return figures
    finally:
        await process.stop()
        await bench.stop()


async def _wilayah(ctx: BenchContext, backend: str, *, rate_limiter: bool) -> dict[str, Any]:
    bench = await BenchSimulator(flood=None).start()
    scratch = ScratchDatabase(backend, ctx.workdir, ctx.postgres_url)
    process: BotProcess | None = None
    try:
        database = await scratch.create()
        clock = SystemClock()
        people = await seed_chain(database, clock)
        await register_lurah(database, clock, people, ctx.users)
        await database.dispose()
        await bench.add_users(people.everyone)
        label = f"fig1-{backend}" + ("" if not rate_limiter else "-shipped")
        process = BotProcess.wilayah(bench, scratch, ctx.workdir, ctx.log_path(label),
                                     rate_limiter=rate_limiter)
        process.start()
        startup = await process.wait_ready(bench)
        scripts: list[Script] = [ReportScript(bench, uid, i)
                                 for i, uid in enumerate(people.lurah)]
        figures = await _measure(ctx, bench, process, scripts, closed=not rate_limiter)
        figures["startup_s"] = round(startup, 2)
        return figures
    finally:
        if process is not None:
            await process.stop()
        await bench.stop()
        await scratch.drop()


async def run(ctx: BenchContext) -> dict[str, Any]:
    """Every target, then the ratios against the echo bot measured in this same run."""
    results: dict[str, Any] = {"users": ctx.users, "rate": ctx.rate, "duration_s": ctx.duration}
    ctx.say(f"figure 1: echo bot, {ctx.users} people")
    results["echo"] = await _echo(ctx)
    for backend in ctx.backends:
        ctx.say(f"figure 1: Wilayah on {backend}")
        results[backend] = await _wilayah(ctx, backend, rate_limiter=False)
    if ctx.shipped and ctx.backends:
        backend = ctx.backends[0]
        ctx.say(f"figure 1: Wilayah on {backend} with PTB's rate limiter (as shipped)")
        results[f"{backend}_shipped"] = await _wilayah(ctx, backend, rate_limiter=True)
    echo = results["echo"]["closed_loop"]["updates_per_s"] or 0
    echo_cpu = results["echo"]["closed_loop"]["bot_cpu_ms_per_update"] or 0
    for backend in ctx.backends:
        closed = results[backend]["closed_loop"]
        opened = results[backend]["open_loop"]
        results[backend]["ratio_to_echo"] = round(closed["updates_per_s"] / echo, 3) \
            if echo and closed["updates_per_s"] else None
        results[backend]["cpu_ratio_to_echo"] = round(
            closed["bot_cpu_ms_per_update"] / echo_cpu, 2) if echo_cpu else None
        results[backend]["meets_throughput"] = (results[backend]["ratio_to_echo"] or 0) \
            >= RATIO_TARGET
        results[backend]["meets_p99"] = opened["p99_ms"] is not None and \
            opened["p99_ms"] < P99_TARGET_MS and not opened["timeouts"] and \
            (opened["offered_per_s"] or 0) >= 0.95 * ctx.rate
    return results
