"""Start `wilayah-bot demo` in-process for tests (browser and API), on a temp data dir."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.settings import Settings
from demo.runner import MARKER_FILE, DemoRuntime
from simulator import FloodLimits


def demo_runtime(data_dir: Path, *, template_db: Path | None = None,
                 flood: FloodLimits | None = FloodLimits()) -> DemoRuntime:
    """A demo on a free port; a migrated template database skips the slow migrations."""
    if template_db is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / MARKER_FILE).write_text("test\n", encoding="utf-8")
        shutil.copyfile(template_db, data_dir / "wilayah.db")
    return DemoRuntime(Settings(), data_dir=data_dir, port=0, host="127.0.0.1", flood=flood)
