"""Figure 3: 1,000 reminders due at the same moment, and how late the bot sends them.

One rakor with 1,000 invitees; its "an hour before" reminder rows are inserted directly, all
due at the same instant T (30 s ahead), before the bot starts (its first dispatch pass arms the
wake-up for T). The simulator enforces Telegram's limits, so sending 1,000 messages takes at least
(1000 − 30) / 30 s after a burst of 30: the k-th message cannot leave before
T + max(0, k + 1 − 30) / 30. Lateness is how much later than that each one arrived.
Quiet hours are switched off for the run, so the result does not depend on the time of day.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, func, select

from bench.context import BenchContext
from bench.harness import BenchSimulator, BotProcess, ScratchDatabase
from bench.seed import People, bulk_lurah, seed_chain
from bench.stats import latency_summary
from bot.clock import SystemClock
from bot.db import Database
from models.meetings import Meeting, MeetingStatus
from models.officials import Official
from models.reminders import Reminder, ReminderStatus
from simulator import FloodLimits

P99_TARGET_S = 2.0
KIND = "meeting.hour_before"
NO_QUIET_HOURS = {"WILAYAH_REMINDERS__QUIET_HOURS_START": "00:00",
                  "WILAYAH_REMINDERS__QUIET_HOURS_END": "00:00"}


async def _plan(database: Database, people: People, due: datetime) -> None:
    """A rakor for everyone seeded and one reminder row per invitee, due at `due`."""
    now = datetime.now(UTC)
    async with database.session() as session:
        meeting = Meeting(title="Rakor bulanan camat dan lurah", region_code="32.77",
                          timezone="Asia/Jakarta", starts_at=due + timedelta(hours=1),
                          ends_at=due + timedelta(hours=3), venue="Aula Setda",
                          rsvp_deadline=due, status=MeetingStatus.SCHEDULED,
                          created_by_id=people.superadmin_id, created_at=now, updated_at=now)
        session.add(meeting)
        await session.flush()
        ids = (await session.exec(select(Official.id).where(
            col(Official.telegram_id).in_(people.lurah)))).all()
        rows = [{"kind": KIND, "target_type": "meeting", "target_id": meeting.id,
                 "recipient_id": official_id, "due_at": due, "urgent": False,
                 "payload": json.dumps({"meeting_id": meeting.id}), "attempts": 0,
                 "status": ReminderStatus.PENDING.value, "created_at": now} for official_id in ids]
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            await session.exec(insert(Reminder), params=chunk)  # type: ignore[call-overload]


async def _unsettled(database: Database) -> int:
    """The rakor reminders still waiting (other features may plan their own, e.g. digests)."""
    async with database.session() as session:
        return int((await session.exec(select(func.count()).select_from(Reminder).where(
            Reminder.kind == KIND,
            col(Reminder.status).in_([ReminderStatus.PENDING, ReminderStatus.SENDING])))).one())


async def _statuses(database: Database) -> dict[str, int]:
    async with database.session() as session:
        rows = (await session.exec(select(Reminder.status, func.count())
                                   .where(Reminder.kind == KIND)
                                   .group_by(Reminder.status))).all()
    return {str(status): int(count) for status, count in rows}


def lateness(arrivals: list[float], due: float, limits: FloodLimits) -> list[float]:
    """How late each arrival was against the earliest moment the flood limit allows."""
    burst, rate = limits.global_burst, limits.global_per_second
    return [at - (due + max(0, k + 1 - burst) / rate)
            for k, at in enumerate(sorted(arrivals))]


async def _scenario(ctx: BenchContext, backend: str) -> dict[str, Any]:
    limits = FloodLimits()
    bench = await BenchSimulator(flood=limits).start()
    scratch = ScratchDatabase(backend, ctx.workdir, ctx.postgres_url)
    process: BotProcess | None = None
    database: Database | None = None
    try:
        database = await scratch.create()
        people = await seed_chain(database, SystemClock(), chain=False)
        await bulk_lurah(database, SystemClock(), people, ctx.reminders)
        await bench.add_users(people.everyone)
        due_wall = datetime.now(UTC) + timedelta(seconds=ctx.reminder_lead)
        due = time.perf_counter() + (due_wall - datetime.now(UTC)).total_seconds()
        await _plan(database, people, due_wall)
        process = BotProcess.wilayah(bench, scratch, ctx.workdir,
                                     ctx.log_path(f"fig3-{backend}"), **NO_QUIET_HOURS)
        bench.log = []
        hits = bench.flood_hits()
        process.start()
        startup = await process.wait_ready(bench)
        if time.perf_counter() > due:
            ctx.say(f"figure 3 ({backend}): the bot took {startup:.1f}s to start, "
                    "after the due time")
        budget = ctx.reminders / limits.global_per_second + ctx.reminder_lead + 60
        deadline = time.monotonic() + budget
        while await _unsettled(database) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        recipients = set(people.lurah)
        arrivals = [s.at for s in bench.log if s.event == "message" and s.chat_id in recipients]
        late = lateness(arrivals, due, limits)
        summary = latency_summary(late)
        summary = {key.replace("_ms", "_s"): (None if value is None else round(value / 1000, 3))
                   if key.endswith("_ms") else value for key, value in summary.items()}
        last = late[-1] if late else None
        return {
            "reminders": ctx.reminders, "sent": len(arrivals),
            "distinct_recipients": len({s.chat_id for s in bench.log
                                        if s.chat_id in recipients}),
            "first_after_due_s": round(min(arrivals) - due, 3) if arrivals else None,
            "last_after_due_s": round(max(arrivals) - due, 3) if arrivals else None,
            "lateness": summary, "last_lateness_s": round(last, 3) if last is not None else None,
            "http_429": bench.flood_hits() - hits, "rows_by_status": await _statuses(database),
            "startup_s": round(startup, 2),
            "meets_target": bool(late) and summary["p99_s"] is not None
            and summary["p99_s"] < P99_TARGET_S and len(arrivals) == ctx.reminders,
        }
    finally:
        if process is not None:
            await process.stop()
        if database is not None:
            await database.dispose()
        await bench.stop()
        await scratch.drop()


async def run(ctx: BenchContext) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for backend in ctx.backends:
        ctx.say(f"figure 3: {ctx.reminders} reminders on {backend}")
        results[backend] = await _scenario(ctx, backend)
    return results
