"""Figure 1's load: simulated officials filing incident reports, or chatting with the echo bot.

A script is one user's next update and the bot message that answers it. The latency of an
update runs from the moment the simulator queues it to the moment it accepts the bot's answer
— the message the official needs before the next step (the next question, or the receipt).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.harness import BenchSimulator, Predicate
from bench.stats import latency_summary
from bot.i18n import Translator
from simulator import SimMessage

REPORT_STEPS = 8
REPLY_TIMEOUT = 30.0
CATEGORIES = ("bencana", "kebakaran", "keamanan", "infrastruktur", "kesehatan", "lainnya")
# non-emergency reports: the receipt comes first, the chain's alerts after it
URGENCIES = ("biasa", "penting")
Action = Callable[[], Awaitable[Any]]


def _plain_prefix(key: str, **values: Any) -> str:
    """The start of a catalog message as the simulator stores it (tags removed)."""
    text = re.sub(r"<[^>]+>", "", Translator("id")(key, **values))
    return text.split("\n")[0][:18]


def has_button(prefix: str) -> Predicate:
    def check(_event: str, msg: SimMessage) -> bool:
        return any(data and data.startswith(prefix) for _, data in msg.buttons)
    return check


def starts_with(prefix: str) -> Predicate:
    """A line of the message starts with the prefix: a question edited into the message whose
    button was pressed comes below the answers already given."""
    def check(_event: str, msg: SimMessage) -> bool:
        return any(line.startswith(prefix) for line in (msg.text or "").split("\n"))
    return check


class Script:
    """One simulated person: what they send next, and which bot message answers it."""

    def __init__(self, bench: BenchSimulator, user_id: int, index: int) -> None:
        self.bench = bench
        self.user_id = user_id
        self.index = index
        self.step = 0
        self.last: SimMessage | None = None

    def next(self) -> tuple[Action, Predicate]:
        raise NotImplementedError

    def advance(self, reply: SimMessage) -> None:
        self.last = reply
        self.step = (self.step + 1) % REPORT_STEPS


class EchoScript(Script):
    """Eight text messages per round, each answered by its echo."""

    def next(self) -> tuple[Action, Predicate]:
        text = f"pesan {self.step} dari pengguna {self.index}"
        sim = self.bench.sim
        return (lambda: sim.send_text(self.user_id, text)), \
            (lambda _e, m: m.text == text)


class ReportScript(Script):
    """/lapor → category → urgency → description → now → location pin → Selesai → Kirim."""

    prompts: dict[str, str] = {}

    @classmethod
    def load_prompts(cls) -> None:
        cls.prompts = {
            "description": _plain_prefix("incidents.report.ask_description", limit=2000),
            "location": _plain_prefix("incidents.report.ask_location"),
            "sent": _plain_prefix("incidents.report.sent", ticket="X"),
        }

    def _press(self, data: str) -> Action:
        assert self.last is not None
        message_id, sim = self.last.message_id, self.bench.sim
        return lambda: sim.press_button(self.user_id, message_id, data)

    def next(self) -> tuple[Action, Predicate]:
        if not self.prompts:
            self.load_prompts()
        sim, uid, n = self.bench.sim, self.user_id, self.index
        kind = "w1:inc.r"
        category = CATEGORIES[n % len(CATEGORIES)]
        urgency = URGENCIES[n % len(URGENCIES)]
        steps: list[tuple[Callable[[], Action], Predicate]] = [
            (lambda: (lambda: sim.send_text(uid, "/lapor")), has_button(f"{kind}:cat:")),
            (lambda: self._press(f"{kind}:cat:{category}"), has_button(f"{kind}:urg:")),
            (lambda: self._press(f"{kind}:urg:{urgency}"),
             starts_with(self.prompts["description"])),
            (lambda: (lambda: sim.send_text(
                uid, f"Genangan air setinggi 40 cm di RT {n % 20 + 1:02d}, "
                     "dua rumah terdampak, warga sudah aman.")),
             has_button(f"{kind}:time:now")),
            (lambda: self._press(f"{kind}:time:now"), starts_with(self.prompts["location"])),
            (lambda: (lambda: sim.send_location(uid, -6.8725 + n % 50 / 1000, 107.542)),
             has_button(f"{kind}:media:done")),
            (lambda: self._press(f"{kind}:media:done"), has_button(f"{kind}:send")),
            (lambda: self._press(f"{kind}:send"), starts_with(self.prompts["sent"])),
        ]
        make_action, predicate = steps[self.step]
        return make_action(), predicate


@dataclass
class LoadResult:
    """Latencies and timing of one load run."""

    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0
    sent: int = 0
    starved: int = 0
    first_send: float = 0.0
    last_send: float = 0.0
    last_reply: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        elapsed = self.last_reply - self.first_send
        handled = len(self.latencies)
        sending = self.last_send - self.first_send
        return {
            "updates": handled, "timeouts": self.timeouts, "elapsed_s": round(elapsed, 2),
            "updates_per_s": round(handled / elapsed, 1) if elapsed > 0 else None,
            "offered_per_s": round((self.sent - 1) / sending, 1) if sending > 0 else None,
            "starved_slots": self.starved, **latency_summary(self.latencies),
            "bot_api_calls_per_update": {
                method: round(count / handled, 2) for method, count in sorted(self.calls.items())
            } if handled else {},
        }


async def _one_update(bench: BenchSimulator, script: Script, result: LoadResult) -> bool:
    action, predicate = script.next()
    reply = bench.watch(script.user_id, predicate)
    sent_at = time.perf_counter()
    result.sent += 1
    result.last_send = sent_at
    if not result.first_send:
        result.first_send = sent_at
    await action()
    try:
        replied_at, message = await asyncio.wait_for(reply, REPLY_TIMEOUT)
    except TimeoutError:
        bench.forget(script.user_id)
        result.timeouts += 1
        return False
    result.latencies.append(replied_at - sent_at)
    result.last_reply = max(result.last_reply, replied_at)
    script.advance(message)
    return True


def _calls_snapshot(bench: BenchSimulator) -> Counter[str]:
    return Counter({m: n for m, n in bench.sim.call_counts.items() if m != "getUpdates"})


async def until_quiet(bench: BenchSimulator, *, quiet: float = 1.0, limit: float = 60.0) -> None:
    """Wait until the bot has made no call but getUpdates for `quiet` seconds: a report's
    alerts go out after its receipt, so a run's tail would otherwise spill into the next."""
    deadline = time.perf_counter() + limit
    last, since = _calls_snapshot(bench), time.perf_counter()
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
        now = _calls_snapshot(bench)
        if now != last:
            last, since = now, time.perf_counter()
        elif time.perf_counter() - since >= quiet:
            return


async def closed_loop(bench: BenchSimulator, scripts: Sequence[Script],
                      updates_each: int = REPORT_STEPS) -> LoadResult:
    """Everyone at once, each sending the next update as soon as the answer arrives."""
    result = LoadResult()
    before = _calls_snapshot(bench)

    async def person(script: Script) -> None:
        for _ in range(updates_each):
            if not await _one_update(bench, script, result):
                return

    await asyncio.gather(*(person(s) for s in scripts))
    result.calls = dict(_calls_snapshot(bench) - before)
    return result


async def open_loop(bench: BenchSimulator, scripts: Sequence[Script], *, rate: float,
                    duration: float) -> LoadResult:
    """Updates at a fixed rate, whatever the answers do: each slot goes to the next person
    who is not waiting for an answer (a slot with nobody free counts as starved)."""
    result = LoadResult()
    before = _calls_snapshot(bench)
    free: deque[Script] = deque(scripts)
    freed = asyncio.Event()
    running: set[asyncio.Task[None]] = set()

    async def one(script: Script) -> None:
        if await _one_update(bench, script, result):
            free.append(script)  # a person whose update timed out leaves the run
            freed.set()

    start = time.perf_counter()
    slot = 0
    while slot / rate < duration:
        delay = start + slot / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if not free:
            # everyone waits for an answer: the slots until someone is free are lost
            freed.clear()
            try:
                await asyncio.wait_for(freed.wait(), duration - slot / rate)
            except TimeoutError:
                pass
            due = math.ceil((time.perf_counter() - start) * rate)
            result.starved += max(due - slot, 0)
            slot = max(due, slot)
            continue
        task = asyncio.create_task(one(free.popleft()))
        running.add(task)
        task.add_done_callback(running.discard)
        slot += 1
    if running:
        await asyncio.gather(*running)
    result.calls = dict(_calls_snapshot(bench) - before)
    return result
