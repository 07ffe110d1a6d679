"""`wilayah-bot run` as a separate process, pointed at a simulator in the test process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from simulator import BotApiSimulator
from tests.e2e.harness import TOKEN

REPO = Path(__file__).resolve().parents[2]


class BotProcess:
    """Start, SIGKILL, restart and stop the real bot; its log goes to a file per start."""

    def __init__(self, sim: BotApiSimulator, database_url: str, workdir: Path,
                 **settings: str) -> None:
        self.sim = sim
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WILAYAH_")}
        self.env.update({
            "PYTHONPATH": str(REPO),
            "WILAYAH_TELEGRAM__TOKEN": TOKEN,
            "WILAYAH_TELEGRAM__API_BASE_URL": sim.api_base_url,
            "WILAYAH_TELEGRAM__FILE_BASE_URL": sim.file_base_url,
            "WILAYAH_TELEGRAM__POLL_TIMEOUT": "1",
            "WILAYAH_TELEGRAM__READ_TIMEOUT": "5",
            "WILAYAH_DATABASE__URL": database_url,
            "WILAYAH_BOT__DATA_DIR": str(workdir / "data"),
            "WILAYAH_REMINDERS__TICK_SECONDS": "1",
            "WILAYAH_REMINDERS__QUIET_HOURS_START": "00:00",
            "WILAYAH_REMINDERS__QUIET_HOURS_END": "00:00",
            "WILAYAH_LOGGING__LEVEL": "INFO",
        })
        self.env.update({f"WILAYAH_{k.upper()}": v for k, v in settings.items()})
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.logs: list[Path] = []

    async def start(self, timeout: float = 60.0) -> None:
        """Start `python -m bot.cli run` and wait until it starts polling the simulator."""
        assert self.process is None or self.process.poll() is not None
        self.starts += 1
        log_path = self.workdir / f"bot-{self.starts}.log"
        self.logs.append(log_path)
        spawned = time.time()
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"], cwd=self.workdir, env=self.env,
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        # PTB deletes any webhook right before its first getUpdates; a long poll of a killed
        # predecessor may still be recorded (as 499) after the spawn, so it cannot be the sign
        while not any(c.status == 200 and c.time >= spawned
                      for c in self.sim.calls_to("deleteWebhook")):
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n"
                                     + self.log_text()[-3000:])
            if time.monotonic() > deadline:
                raise AssertionError("the bot did not start polling:\n" + self.log_text()[-3000:])
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, like a power cut or the OOM killer."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    async def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait: the graceful stop a service manager does."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError("the bot did not stop on SIGTERM")
            await asyncio.sleep(0.05)
        return self.process.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss_kib(self) -> int:
        """Resident memory of the bot process, from /proc."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())
