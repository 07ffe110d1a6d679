"""The options of one benchmark run, shared by every figure."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import DEFAULT_POSTGRES


@dataclass
class BenchContext:
    workdir: Path
    logs: Path
    backends: list[str] = field(default_factory=lambda: ["sqlite", "postgres"])
    postgres_url: str = DEFAULT_POSTGRES
    # figure 1
    users: int = 200
    rate: float = 50.0
    duration: float = 30.0
    shipped: bool = True
    # figure 2
    recipients: int = 3000
    kill_test: bool = True
    # figure 3
    reminders: int = 1000
    reminder_lead: float = 30.0
    # figure 4
    scale: float = 1.0
    officials: int = 10_000
    export_rows: int = 100_000
    process_figures: bool = True
    warm_runs: int = 5  # timed runs of each query after the cold one
    settle: float = 2.0  # seconds a started bot gets before its memory is read
    quiet: bool = False
    started: float = field(default_factory=time.monotonic)

    def say(self, line: str) -> None:
        """Progress on stderr, so stdout carries only the table."""
        if not self.quiet:
            elapsed = time.monotonic() - self.started
            print(f"[{elapsed:7.1f}s] {line}", file=sys.stderr, flush=True)

    def log_path(self, name: str) -> Path:
        """Where a bot process writes its output (kept with the results)."""
        return self.logs / f"{name}.log"
