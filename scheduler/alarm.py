"""PTB JobQueue wiring: the alarm clock that wakes the reminder dispatcher and the worker.

APScheduler only decides *when* to look; the rows decide *what* is due. `install()` adds
  * "reminders.tick": a repeating safety tick every settings.reminders.tick_seconds;
  * "reminders.wake": a one-shot at the next due time, re-armed after every run;
  * "broadcasts.start": a one-shot at start that launches the broadcast worker loop as an
    Application task; the loop ends by itself when the application stops running.
Rows left "sending" by a previous process are settled on the first run (see dispatch.py).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.db import Database
from bot.settings import Settings
from scheduler.broadcast_worker import BroadcastWorker, WorkerOptions
from scheduler.dispatch import DispatchPolicy, ReminderDispatcher
from scheduler.leadership import Leadership
from scheduler.sending import TelegramSender

log = logging.getLogger(__name__)

TICK_JOB = "reminders.tick"
WAKE_JOB = "reminders.wake"
WORKER_JOB = "broadcasts.start"
LEADER_RETRY_SECONDS = 5.0
# a one-shot that fires late (busy loop, slow start-up) still runs, instead of being dropped
_NEVER_SKIP = {"misfire_grace_time": None}


class ReminderAlarm:
    """Runs the dispatcher on the safety tick and at the next due moment."""

    def __init__(self, job_queue: Any, dispatcher: ReminderDispatcher, clock: Clock, *,
                 tick_seconds: float, leadership: Leadership | None = None) -> None:
        self.job_queue = job_queue
        self.dispatcher = dispatcher
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.leadership = leadership
        self._lock = asyncio.Lock()
        self._recovered = False

    def install(self) -> None:
        self.job_queue.run_repeating(self._job, interval=self.tick_seconds, first=0,
                                     name=TICK_JOB, job_kwargs={"max_instances": 1,
                                                                "coalesce": True})
        # jobs added before the JobQueue starts: APScheduler skips an interval trigger's
        # past first run, and drops a one-shot more than 1 s late; so one explicit first pass
        self.job_queue.run_once(self._job, when=0, name=WAKE_JOB, job_kwargs=_NEVER_SKIP)

    async def _job(self, _context: Any) -> None:
        await self.run()

    async def run(self) -> None:
        """One dispatch pass (never two at once in this process), then re-arm."""
        if not is_leader(self.leadership):
            return
        if self._lock.locked():
            return  # a pass is running; it re-arms when done
        async with self._lock:
            try:
                if not self._recovered:
                    await self.dispatcher.recover()
                    self._recovered = True
                report = await self.dispatcher.run_once()
            except Exception:
                log.exception("reminders: dispatch pass failed; the next tick retries")
                return
        self.arm(report.next_wake)

    def arm(self, moment: datetime | None) -> None:
        """Replace the one-shot wake-up with one at `moment` (none if nothing is planned)."""
        for job in self.job_queue.get_jobs_by_name(WAKE_JOB):
            job.schedule_removal()
        if moment is None:
            return
        delay = max((moment - self.clock.now()).total_seconds(), 0.0)
        self.job_queue.run_once(self._job, when=delay + 0.05, name=WAKE_JOB,
                                job_kwargs=_NEVER_SKIP)


@dataclass
class Scheduler:
    """What `install` wired; handlers may call `broadcasts.poke()` after a new broadcast."""

    alarm: ReminderAlarm
    dispatcher: ReminderDispatcher
    broadcasts: BroadcastWorker


def is_leader(leadership: Leadership | None) -> bool:
    """No leadership configured (one instance by contract), or a lease held right now."""
    if leadership is None:
        return True
    return leadership.lease is not None and leadership.lease.held


def install(application: Any, *, database: Database, settings: Settings, clock: Clock,
            leadership: Leadership | None = None, broadcast_rate: float = 25.0,
            sender: TelegramSender | None = None) -> Scheduler:
    """Wire reminders and broadcasts into the application's JobQueue; call once, at build.

    With `leadership`, nothing is sent until it is acquired (e.g. in post_init) and
    everything stops when the lease is lost.
    """
    if application.job_queue is None:
        raise RuntimeError("the scheduler needs PTB's JobQueue (python-telegram-bot[job-queue])")
    sender = sender or TelegramSender(application.bot)
    dispatcher = ReminderDispatcher(database, clock, sender.send_text,
                                    policy=DispatchPolicy.from_settings(settings))
    alarm = ReminderAlarm(application.job_queue, dispatcher, clock,
                          tick_seconds=settings.reminders.tick_seconds, leadership=leadership)
    alarm.install()
    worker = BroadcastWorker(database, clock, sender, options=WorkerOptions(rate=broadcast_rate))

    def keep_running() -> bool:
        return bool(application.running) and is_leader(leadership)

    async def start_worker(_context: Any) -> None:
        if not is_leader(leadership):  # still standing by: look again shortly
            application.job_queue.run_once(start_worker, when=LEADER_RETRY_SECONDS,
                                           name=WORKER_JOB)
            return
        application.create_task(worker.run(keep_running), name="broadcast-worker")

    application.job_queue.run_once(start_worker, when=0, name=WORKER_JOB, job_kwargs=_NEVER_SKIP)
    scheduler = Scheduler(alarm, dispatcher, worker)
    _SCHEDULERS[application] = scheduler
    return scheduler


# the Scheduler of each application, so handlers can poke the worker; not in bot_data,
# which is persisted and must hold plain data only
_SCHEDULERS: weakref.WeakKeyDictionary[Any, Scheduler] = weakref.WeakKeyDictionary()


def scheduler_of(application: Any) -> Scheduler | None:
    return _SCHEDULERS.get(application)
