"""PTB JobQueue wiring: the alarm clock that wakes the reminder dispatcher and the worker.

APScheduler only decides *when* to look; the rows decide *what* is due. `install()` adds
  * "reminders.tick": a repeating safety tick every settings.reminders.tick_seconds;
  * "reminders.wake": a one-shot at the next due time, re-armed after every run;
  * "broadcasts.start": a one-shot at start that launches the broadcast worker loop as an
    Application task; the loop ends by itself when the application stops running.
Rows left "sending" by a previous process are settled on the first run (see dispatch.py).

With leadership (scheduler/leadership.py) nothing is claimed or sent without a lease: the
alarm looks before each pass, the worker before each round, and the senders handed to both
refuse once the lease is lost (as "retry later": nothing counts as attempted). Every lease
granted gets the start-up recovery of a fresh leader, under new worker ids so that rows this
process itself left "sending" when it lost the lease are settled too; `Scheduler.resume()`
restarts both right away.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.clock import Clock
from bot.db import Database
from bot.settings import Settings
from scheduler.broadcast_worker import BroadcastWorker, WorkerOptions
from scheduler.claims import new_worker_id
from scheduler.dispatch import ReminderDispatcher
from scheduler.dispatch_policy import DispatchPolicy
from scheduler.leadership import Lease, Leadership
from scheduler.sending import MessageSender, RetryLater, SendText, TelegramSender

log = logging.getLogger(__name__)

TICK_JOB = "reminders.tick"
WAKE_JOB = "reminders.wake"
WORKER_JOB = "broadcasts.start"
LEADER_RETRY_SECONDS = 5.0
NOT_LEADER = "leadership lost: not sent"
# how long a send refused for want of a lease waits; a regained lease resumes at once anyway
NOT_LEADER_RETRY_SECONDS = 1.0
# a one-shot that fires late (busy loop, slow start-up) still runs, instead of being dropped
_NEVER_SKIP = {"misfire_grace_time": None}
_NO_LEASE_YET = object()


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
        # the lease whose start-up recovery has run; a regained lease needs it again
        self._recovered_for: object = _NO_LEASE_YET

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
                lease = current_lease(self.leadership)
                if self._recovered_for is not lease:
                    await self._recover()
                    self._recovered_for = lease
                report = await self.dispatcher.run_once()
            except Exception:
                log.exception("reminders: dispatch pass failed; the next tick retries")
                return
        self.arm(report.next_wake)

    async def _recover(self) -> None:
        """A fresh leader's first step: settle every row left "sending", this process's own
        included (hence the new worker id), and forget a pause from before."""
        self.dispatcher.worker_id = new_worker_id("reminders")
        self.dispatcher.paused_until = None
        await self.dispatcher.recover()

    def wake_now(self) -> None:
        self.arm(self.clock.now())

    def arm(self, moment: datetime | None) -> None:
        """Replace the one-shot wake-up with one at `moment` (none if nothing is planned)."""
        for job in self.job_queue.get_jobs_by_name(WAKE_JOB):
            job.schedule_removal()
        if moment is None:
            return
        delay = max((moment - self.clock.now()).total_seconds(), 0.0)
        self.job_queue.run_once(self._job, when=delay + 0.05, name=WAKE_JOB,
                                job_kwargs=_NEVER_SKIP)


class WorkerStarter:
    """Runs the broadcast worker loop while this instance leads, one loop at a time."""

    def __init__(self, application: Any, worker: BroadcastWorker,
                 leadership: Leadership | None) -> None:
        self.application = application
        self.worker = worker
        self.leadership = leadership
        self._task: asyncio.Task[None] | None = None

    def start_soon(self, delay: float = 0.0) -> None:
        job_queue = self.application.job_queue
        for job in job_queue.get_jobs_by_name(WORKER_JOB):
            job.schedule_removal()
        job_queue.run_once(self._job, when=delay, name=WORKER_JOB, job_kwargs=_NEVER_SKIP)

    async def _job(self, _context: Any) -> None:
        if self._task is not None and not self._task.done():
            return  # the loop of an earlier lease is finishing its round; it reschedules
        if not is_leader(self.leadership):  # standing by: look again shortly
            self.start_soon(LEADER_RETRY_SECONDS)
            return
        # a fresh leader's worker: its recovery settles whatever an earlier loop left
        self.worker.worker_id = new_worker_id("broadcasts")
        self._task = self.application.create_task(self.worker.run(self._keep_running),
                                                  name="broadcast-worker")
        self._task.add_done_callback(self._ended)

    def _keep_running(self) -> bool:
        return bool(self.application.running) and is_leader(self.leadership)

    def _ended(self, _task: asyncio.Task[None]) -> None:
        if self.application.running:  # the lease was lost: wait for it to come back
            self.start_soon(LEADER_RETRY_SECONDS)


@dataclass
class Scheduler:
    """What `install` wired; handlers may call `broadcasts.poke()` after a new broadcast."""

    alarm: ReminderAlarm
    dispatcher: ReminderDispatcher
    broadcasts: BroadcastWorker
    starter: WorkerStarter

    def resume(self) -> None:
        """Leadership was (re)gained: recover and send without waiting for the next tick."""
        self.alarm.wake_now()
        self.starter.start_soon()


def current_lease(leadership: Leadership | None) -> Lease | None:
    return leadership.lease if leadership is not None else None


def is_leader(leadership: Leadership | None) -> bool:
    """No leadership configured (one instance by contract), or a lease held right now."""
    if leadership is None:
        return True
    return leadership.lease is not None and leadership.lease.held


def leader_only_text(send: SendText, leadership: Leadership | None) -> SendText:
    """`send`, refused (retry later) while this instance does not hold the lease."""
    if leadership is None:
        return send

    async def send_if_leader(chat_id: int, text: str,
                             markup: InlineKeyboardMarkup | None) -> int | None:
        if not is_leader(leadership):
            raise RetryLater(NOT_LEADER, NOT_LEADER_RETRY_SECONDS)
        return await send(chat_id, text, markup)

    return send_if_leader


class LeaderOnlySender:
    """Broadcast deliveries only while the lease is held; progress and reports pass through
    (they follow deliveries already made)."""

    def __init__(self, sender: MessageSender, leadership: Leadership) -> None:
        self.sender = sender
        self.leadership = leadership

    async def send_content(self, chat_id: int, *, content_type: str, text: str,
                           file_id: str | None,
                           reply_markup: InlineKeyboardMarkup | None = None) -> int:
        if not is_leader(self.leadership):
            raise RetryLater(NOT_LEADER, NOT_LEADER_RETRY_SECONDS)
        return await self.sender.send_content(chat_id, content_type=content_type, text=text,
                                              file_id=file_id, reply_markup=reply_markup)

    async def send_text(self, chat_id: int, text: str,
                        reply_markup: InlineKeyboardMarkup | None = None) -> int:
        return await self.sender.send_text(chat_id, text, reply_markup)

    async def edit_text(self, chat_id: int, message_id: int, text: str,
                        reply_markup: InlineKeyboardMarkup | None = None) -> None:
        await self.sender.edit_text(chat_id, message_id, text, reply_markup)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sender, name)


def install(application: Any, *, database: Database, settings: Settings, clock: Clock,
            leadership: Leadership | None = None, broadcast_rate: float = 29.0,
            sender: TelegramSender | None = None) -> Scheduler:
    """Wire reminders and broadcasts into the application's JobQueue; call once, at build.

    With `leadership`, nothing is sent until it is acquired (e.g. in post_init), sending
    stops when the lease is lost and starts again (after recovery) when it is regained.
    """
    if application.job_queue is None:
        raise RuntimeError("the scheduler needs PTB's JobQueue (python-telegram-bot[job-queue])")
    sender = sender or TelegramSender(application.bot)
    dispatcher = ReminderDispatcher(database, clock,
                                    leader_only_text(sender.send_text, leadership),
                                    policy=DispatchPolicy.from_settings(settings))
    alarm = ReminderAlarm(application.job_queue, dispatcher, clock,
                          tick_seconds=settings.reminders.tick_seconds, leadership=leadership)
    alarm.install()
    worker = BroadcastWorker(
        database, clock, LeaderOnlySender(sender, leadership) if leadership else sender,
        options=WorkerOptions(rate=broadcast_rate))
    starter = WorkerStarter(application, worker, leadership)
    starter.start_soon()
    scheduler = Scheduler(alarm, dispatcher, worker, starter)
    _SCHEDULERS[application] = scheduler
    return scheduler


# the Scheduler of each application, so handlers can poke the worker; not in bot_data,
# which is persisted and must hold plain data only
_SCHEDULERS: weakref.WeakKeyDictionary[Any, Scheduler] = weakref.WeakKeyDictionary()


def scheduler_of(application: Any) -> Scheduler | None:
    return _SCHEDULERS.get(application)
