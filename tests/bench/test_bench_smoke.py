"""Every benchmark figure at a tiny size, so `python -m bench` keeps working as the bot changes.

These check that the machinery runs end to end (bot processes, simulator, seeding, services)
and that what it counts is consistent — not the performance targets, which only mean
something at full size on a quiet machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import figure1, figure2, figure3, figure4
from bench.context import BenchContext
from bench.figure3 import lateness
from bench.harness import make_workdir, remove_workdir
from bench.report import rows_for
from bench.stats import percentile
from simulator import FloodLimits
from tests.dbsupport import must_test_postgres, postgres_base_url, postgres_reachable


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[BenchContext]:
    workdir = make_workdir(tmp_path)
    context = BenchContext(workdir=workdir, logs=tmp_path / "logs", backends=["sqlite"],
                           users=3, rate=6.0, duration=1.0, shipped=False, recipients=8,
                           reminders=6, reminder_lead=4.0, scale=0.0005, officials=40,
                           export_rows=200, warm_runs=1, settle=0.2, quiet=True)
    yield context
    remove_workdir(workdir)


def _postgres_or_skip() -> str:
    url = postgres_base_url()
    problem = asyncio.run(postgres_reachable(url))
    if problem is not None:
        if must_test_postgres():
            pytest.fail(f"PostgreSQL at {url} is required here but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {url} ({problem})")
    return url


def test_percentiles_and_lateness() -> None:
    assert percentile(list(range(1, 101)), 0.99) == 99
    assert percentile([], 0.5) is None
    limits = FloodLimits()
    # 31 sends: the first 30 may leave at once, the 31st 1/30 s later
    on_time = [10.0] * 30 + [10.0 + 1 / 30]
    assert max(abs(x) for x in lateness(on_time, 10.0, limits)) < 1e-9
    assert lateness([12.0], 10.0, limits) == [2.0]


async def test_figure1_conversation(ctx: BenchContext) -> None:
    results = await figure1.run(ctx)
    updates = ctx.users * 8
    assert results["echo"]["closed_loop"]["updates"] == updates
    closed = results["sqlite"]["closed_loop"]
    assert closed["updates"] == updates and closed["timeouts"] == 0
    assert closed["bot_api_calls_per_update"]["sendMessage"] > 0
    assert results["sqlite"]["open_loop"]["updates"] > 0
    assert results["sqlite"]["ratio_to_echo"] is not None
    assert rows_for({"figure1": results})


async def test_figure2_broadcast_with_kill(ctx: BenchContext) -> None:
    results = await figure2.run(ctx)
    plain, killed = results["sqlite"]["plain"], results["sqlite"]["killed"]
    assert plain["status"] == "done" and plain["delivered"] == ctx.recipients
    assert plain["duplicates"] == 0 and plain["missing"] == 0
    assert killed["status"] == "done" and killed["duplicates"] == 0
    assert killed["delivered"] + killed["missing"] == ctx.recipients
    assert rows_for({"figure2": results})


async def test_figure3_reminders(ctx: BenchContext) -> None:
    results = await figure3.run(ctx)
    sqlite = results["sqlite"]
    assert sqlite["sent"] == ctx.reminders == sqlite["distinct_recipients"]
    assert sqlite["rows_by_status"] == {"sent": ctx.reminders}
    assert rows_for({"figure3": results})


async def test_figure4_scale_sqlite(ctx: BenchContext) -> None:
    results = await figure4.run(ctx)
    sqlite = results["sqlite"]
    assert sqlite["incidents"] == 500 and sqlite["complaints"] == 100
    assert set(sqlite["queries"]) >= {"recap_30d_all", "list_admin_baru_30d"}
    assert sqlite["export"]["xlsx"]["rows"] == sqlite["export"]["csv"]["rows"] > 0
    process = sqlite["process"]
    assert process["drafts_opened"] == process["officials"] - 31  # every lurah
    assert 0 < process["idle"]["rss_mb"] < 1000
    assert rows_for({"figure4": results})


async def test_figure4_seeding_and_queries_postgres(ctx: BenchContext) -> None:
    ctx.postgres_url = await asyncio.to_thread(_postgres_or_skip)
    ctx.backends = ["postgres"]
    ctx.process_figures = False
    results = await figure4.run(ctx)
    postgres = results["postgres"]
    assert postgres["queries"]["recap_30d_all"]["median_ms"] > 0
    assert postgres["export"]["csv"]["rows"] > 0
