"""What every figure needs: the simulator with timing hooks, scratch databases, bot processes.

The simulator runs inside the benchmark process (served over real HTTP on 127.0.0.1); the bot
under test always runs as a separate process, polling it like it would poll Telegram.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bot.db import Database
from bot.migrate import upgrade
from bot.services.regions import ensure_pilot_regions
from bot.settings import async_database_url
from simulator import BotApiSimulator, FloodLimits, SimMessage

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-wilayah"
DEFAULT_POSTGRES = "postgresql://127.0.0.1:5432/test"
Predicate = Callable[[str, SimMessage], bool]


@dataclass
class Sent:
    """One message or edit the bot made, as the simulator accepted it."""

    at: float
    chat_id: int
    event: str
    text: str


@dataclass
class _Waiter:
    predicate: Predicate
    future: asyncio.Future[tuple[float, SimMessage]]


class BenchSimulator:
    """The project's simulator plus cheap per-chat reply waiters and a send log."""

    def __init__(self, flood: FloodLimits | None = None) -> None:
        self.sim = BotApiSimulator(TOKEN, flood=flood, max_recorded_calls=20_000)
        self._waiters: dict[int, list[_Waiter]] = defaultdict(list)
        self.log: list[Sent] | None = None
        self.poll_starts: list[float] = []
        self._hook()

    def _hook(self) -> None:
        state = self.sim.state
        original = state.changed

        def changed(event: str, msg: SimMessage | None = None, **extra: Any) -> None:
            original(event, msg, **extra)
            if msg is None or not msg.from_bot or event not in ("message", "edit"):
                return
            now = time.perf_counter()
            if self.log is not None:
                self.log.append(Sent(now, msg.chat_id, event, msg.text or msg.kind))
            waiters = self._waiters.get(msg.chat_id)
            for waiter in list(waiters or ()):
                if not waiter.future.done() and waiter.predicate(event, msg):
                    waiter.future.set_result((now, msg))
                    waiters.remove(waiter)  # type: ignore[union-attr]

        state.changed = changed  # type: ignore[method-assign]
        get_updates = self.sim.methods.handlers["getupdates"]

        async def timed_get_updates(params: dict[str, Any]) -> Any:
            self.poll_starts.append(time.perf_counter())
            return await get_updates(params)

        self.sim.methods.handlers["getupdates"] = timed_get_updates

    async def start(self) -> BenchSimulator:
        await self.sim.start()
        return self

    async def stop(self) -> None:
        await self.sim.stop()

    def watch(self, chat_id: int, predicate: Predicate) -> asyncio.Future[tuple[float, SimMessage]]:
        """A future for the next bot message or edit in the chat that matches; set it up
        before sending the update it answers."""
        future: asyncio.Future[tuple[float, SimMessage]] = \
            asyncio.get_running_loop().create_future()
        self._waiters[chat_id].append(_Waiter(predicate, future))
        return future

    def forget(self, chat_id: int) -> None:
        for waiter in self._waiters.pop(chat_id, []):
            waiter.future.cancel()

    async def add_users(self, telegram_ids: list[int], name: str = "Pejabat") -> None:
        for telegram_id in telegram_ids:
            await self.sim.add_user(telegram_id, name, language_code="id", started=True)

    def flood_hits(self) -> int:
        return self.sim.status_counts.get(429, 0)

    def env(self) -> dict[str, str]:
        return {"WILAYAH_TELEGRAM__TOKEN": TOKEN,
                "WILAYAH_TELEGRAM__API_BASE_URL": self.sim.api_base_url,
                "WILAYAH_TELEGRAM__FILE_BASE_URL": self.sim.file_base_url}


# ---- databases ---------------------------------------------------------------------------


class ScratchDatabase:
    """A migrated database with the pilot regions: an SQLite file, or a PostgreSQL database
    created on the server and dropped afterwards."""

    def __init__(self, backend: str, workdir: Path, postgres_url: str = DEFAULT_POSTGRES) -> None:
        self.backend = backend
        # asyncpg itself wants the plain form
        self.postgres_url = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
        if backend == "sqlite":
            self.name = str(workdir / f"wilayah-{uuid.uuid4().hex[:6]}.db")
            self.url = f"sqlite:///{self.name}"
        elif backend == "postgres":
            self.name = f"wilayah_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            base = self.postgres_url.rsplit("/", 1)[0]
            self.url = f"{base}/{self.name}"
        else:
            raise ValueError(f"unknown database backend {backend!r}")
        self.async_url = async_database_url(self.url)

    async def create(self) -> Database:
        """Create, migrate, load the regions; returns a Database for seeding and checks."""
        if self.backend == "postgres":
            conn = await asyncpg.connect(self.postgres_url)
            try:
                await conn.execute(f'CREATE DATABASE "{self.name}"')
            finally:
                await conn.close()
        await asyncio.to_thread(upgrade, self.async_url)
        database = Database(self.async_url)
        async with database.session() as session:
            await ensure_pilot_regions(session)
        return database

    async def drop(self) -> None:
        if self.backend == "postgres":
            conn = await asyncpg.connect(self.postgres_url)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                await conn.close()
        else:
            for suffix in ("", "-wal", "-shm", ".lock"):
                Path(self.name + suffix).unlink(missing_ok=True)


async def postgres_problem(url: str) -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"),
                                     timeout=3)
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    await conn.close()
    return None


# ---- bot processes -----------------------------------------------------------------------


@dataclass
class BotProcess:
    """A bot (Wilayah or the echo baseline) in its own process, polling the simulator."""

    argv: list[str]
    env: dict[str, str]
    log_path: Path
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    ready_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def wilayah(cls, bench: BenchSimulator, database: ScratchDatabase, workdir: Path,
                log_path: Path, *, rate_limiter: bool = True, **settings: str) -> BotProcess:
        """`python -m bot.cli run`; without the rate limiter, the same through
        bench.bot_process, which builds the application without PTB's AIORateLimiter."""
        env = {**bench.env(), "WILAYAH_DATABASE__URL": database.url,
               "WILAYAH_BOT__DATA_DIR": str(workdir / "data"), **settings}
        module = "bot.cli"
        if not rate_limiter:
            env["BENCH_RATE_LIMITER"] = "off"
            module = "bench.bot_process"
        return cls([sys.executable, "-m", module, "run"], env, log_path, workdir)

    @classmethod
    def echo(cls, bench: BenchSimulator, workdir: Path, log_path: Path) -> BotProcess:
        return cls([sys.executable, "-m", "bench.echo_bot"], bench.env(), log_path, workdir)

    def start(self) -> None:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("WILAYAH_")}
        env.update(self.env)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.ready_at = None
        self.started_at = time.perf_counter()
        # the working directory is a scratch folder, so no developer's config.toml is read
        self.process = subprocess.Popen(self.argv, env=env, cwd=self.workdir, stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()

    async def wait_ready(self, bench: BenchSimulator, timeout: float = 60.0) -> float:
        """Wait for the first getUpdates after the start; returns the start-up seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = [t for t in bench.poll_starts if t >= self.started_at]
            if started:
                self.ready_at = started[0]
                return self.ready_at - self.started_at
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"bot exited with {self.process.returncode}; see "
                                   f"{self.log_path}")
            await asyncio.sleep(0.005)
        raise TimeoutError(f"bot did not poll within {timeout}s; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def memory_kb(self) -> dict[str, int]:
        """Resident memory now (VmRSS) and at its peak (VmHWM), in kB, from /proc."""
        figures: dict[str, int] = {}
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    figures[name] = int(value.split()[0])
        return figures

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used (robust to other load on the
        machine, unlike wall-clock figures)."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, like a power cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    async def stop(self, timeout: float = 20.0) -> None:
        """SIGINT (PTB's run_polling stops cleanly on it), then SIGKILL if it hangs."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.kill()


def make_workdir(parent: Path | None = None) -> Path:
    return Path(tempfile.mkdtemp(prefix="wilayah-bench-", dir=parent))


def remove_workdir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
