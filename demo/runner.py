"""`wilayah-bot demo`: the real bot, polling the embedded simulator, plus the chat page."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.clock import SystemClock
from bot.db import Database
from bot.runner import prepare_database
from bot.settings import Settings
from demo.officials import active_officials
from demo.personas import PersonaBook
from demo.seed import seed_officials
from demo.web.server import DemoWeb
from handlers.common import sync_menu
from scheduler.leadership import AnotherInstanceRunning, refuse_if_sqlite_in_use
from simulator import BotApiSimulator, FloodLimits

DEMO_TOKEN = "7000000001:DEMO-wilayah-simulated-bot"
DEFAULT_DATA_DIR = Path("demo-data")
MARKER_FILE = ".wilayah-demo"  # only directories carrying it are ever wiped by --reset
POLL_TIMEOUT = 10
# libraries that narrate every start and stop at INFO; the demo prints its own one line
_CHATTY_LOGGERS = ("telegram", "aiohttp", "wilayah", "bot", "handlers", "scheduler",
                   "simulator")


class DemoDataError(Exception):
    """The data directory cannot be used (or reset) safely."""


def demo_database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir.resolve() / 'wilayah.db'}"


def demo_settings(settings: Settings, data_dir: Path, sim: BotApiSimulator) -> Settings:
    """The user's settings, pointed at the simulator and a SQLite file in the demo data dir."""
    return settings.model_copy(update={
        "telegram": settings.telegram.model_copy(update={
            "token": SecretStr(DEMO_TOKEN), "api_base_url": sim.api_base_url,
            "file_base_url": sim.file_base_url, "mode": "polling",
            "poll_timeout": POLL_TIMEOUT}),
        "database": settings.database.model_copy(update={"url": demo_database_url(data_dir)}),
        "bot": settings.bot.model_copy(update={"data_dir": data_dir.resolve(),
                                               "superadmins": []}),
    })


def prepare_data_dir(data_dir: Path, *, reset: bool) -> None:
    """Create the directory (marked as demo data); with reset, wipe what an earlier demo left."""
    if data_dir.exists() and not data_dir.is_dir():
        raise DemoDataError(f"{data_dir} is a file, not a directory; choose another --data-dir")
    if data_dir.is_dir() and any(data_dir.iterdir()) and not (data_dir / MARKER_FILE).exists():
        raise DemoDataError(f"{data_dir} is not empty and was not made by the demo; "
                            "choose another --data-dir")
    if reset and data_dir.is_dir():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER_FILE).write_text("Wilayah demo data; `wilayah-bot demo --reset` "
                                        "deletes this directory.\n", encoding="utf-8")


# Telegram's overall 30/s limit as is; a per-chat burst roomy enough that one step of a form
# (edit the last message, send the next question) never waits, as people click in seconds.
DEMO_FLOOD = FloodLimits(private_burst=10, private_per_second=1.0)


class DemoRuntime:
    """Everything `wilayah-bot demo` runs, started and stopped in one place."""

    def __init__(self, settings: Settings, *, data_dir: Path | None = None,
                 port: int | None = None, host: str | None = None, reset: bool = False,
                 flood: FloodLimits | None = DEMO_FLOOD) -> None:
        self.base_settings = settings
        self.data_dir = data_dir or DEFAULT_DATA_DIR
        self.host = host or settings.demo.host
        self.port = settings.demo.port if port is None else port
        self.reset = reset
        self.sim = BotApiSimulator(token=DEMO_TOKEN, flood=flood, bot_name="Wilayah",
                                   bot_username="wilayah_demo_bot")
        self.personas = PersonaBook(self.data_dir)
        self.settings: Settings | None = None
        self.database: Database | None = None
        self.app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.web: DemoWeb | None = None

    @property
    def url(self) -> str:
        assert self.web is not None
        return self.web.url

    async def start(self) -> str:
        """Prepare data, start simulator, bot and page; returns the page's URL."""
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> str:
        # before --reset or seeding touches the files a running demo is using
        refuse_if_sqlite_in_use(demo_database_url(self.data_dir))
        prepare_data_dir(self.data_dir, reset=self.reset)
        self.personas = PersonaBook(self.data_dir)
        await self.sim.start()
        self.settings = settings = demo_settings(self.base_settings, self.data_dir, self.sim)
        await prepare_database(settings)
        self.database = Database(settings.database_url)
        await seed_officials(self.database, SystemClock(), self.personas.all)
        self.web = DemoWeb(self.sim, self.personas, self.database)
        for persona in self.personas.all:
            await self.web.add_to_simulator(persona)
        await self._start_bot(settings)
        return await self.web.start(self.host, self.port)

    async def _start_bot(self, settings: Settings) -> None:
        self.app = app = build_application(settings, clock=SystemClock())
        await app.initialize()
        if app.post_init is not None:  # run_polling() would call it; here we start by hand
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=POLL_TIMEOUT,
                                        allowed_updates=Update.ALL_TYPES)
        # Telegram keeps each official's command menu; the fresh simulator needs them again
        assert self.database is not None
        ids = [p.telegram_id for p in self.personas.all]
        for official in await active_officials(self.database, ids):
            await sync_menu(app.bot, official)

    async def stop(self) -> None:
        """Stop page, bot, simulator and database, each even if another one failed."""
        if self.web is not None:
            web, self.web = self.web, None
            await web.stop()
        if self.app is not None:
            app, self.app = self.app, None
            await _stop_bot(app)
        await self.sim.stop()
        if self.database is not None:
            database, self.database = self.database, None
            await database.dispose()

    async def __aenter__(self) -> DemoRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _stop_bot(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


async def serve_until_stopped(runtime: DemoRuntime) -> None:
    """Run until Ctrl-C or SIGTERM, then stop everything."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        url = await runtime.start()
        print(f"Wilayah demo is running: open {url} in your browser (Ctrl-C stops it). "
              f"Data: {runtime.data_dir.resolve()}", flush=True)
        await stop.wait()
    finally:
        await runtime.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Keep the console to the URL line and real problems unless DEBUG was asked for."""
    loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    if logging.getLogger().level > logging.DEBUG:
        for logger in loggers:
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def run_demo(settings: Settings, *, reset: bool = False, port: int | None = None,
             data_dir: Path | None = None) -> int:
    """`wilayah-bot demo`: block until Ctrl-C; returns the exit code."""
    runtime = DemoRuntime(settings, data_dir=data_dir, port=port, reset=reset)
    try:
        with _quiet_logs():
            asyncio.run(serve_until_stopped(runtime))
    except DemoDataError as problem:
        print(f"wilayah-bot: {problem}", file=sys.stderr)
        return 1
    except AnotherInstanceRunning:
        print(f"wilayah-bot: another demo is already running on {runtime.data_dir}; stop it, "
              "or start this one with --data-dir DIR", file=sys.stderr)
        return 1
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(f"wilayah-bot: port {runtime.port} on {runtime.host} is already in use; "
              "stop the other program or choose another port with --port N", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        pass
    print("Wilayah demo stopped.", flush=True)
    return 0
