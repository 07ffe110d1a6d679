"""`python -m bench`: run the figures, print the table, write the JSON to bench/results/."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import figure1, figure2, figure3, figure4
from bench.context import BenchContext
from bench.harness import DEFAULT_POSTGRES, make_workdir, postgres_problem, remove_workdir
from bench.report import HEADERS, markdown, rows_for
from bench.stats import table

RESULTS = Path(__file__).resolve().parent / "results"
FIGURES = {"1": figure1.run, "2": figure2.run, "3": figure3.run, "4": figure4.run}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(
        "Benchmarks of the Wilayah bot (a separate process) against the Bot API simulator."))
    parser.add_argument("--figures", default="1,2,3,4", help="which figures (default 1,2,3,4)")
    parser.add_argument("--db", default="sqlite,postgres", help="databases (default both)")
    parser.add_argument("--postgres", default=os.environ.get("WILAYAH_BENCH_POSTGRES",
                                                             DEFAULT_POSTGRES),
                        help="PostgreSQL server database to create scratch databases from "
                             f"(default {DEFAULT_POSTGRES}; env WILAYAH_BENCH_POSTGRES)")
    parser.add_argument("--users", type=int, default=200, help="figure 1 officials (200)")
    parser.add_argument("--rate", type=float, default=50.0, help="figure 1 open-loop rate (50)")
    parser.add_argument("--duration", type=float, default=30.0,
                        help="figure 1 open-loop seconds (30)")
    parser.add_argument("--no-shipped", action="store_true",
                        help="skip figure 1's run with PTB's rate limiter on")
    parser.add_argument("--recipients", type=int, default=3000, help="figure 2 (3000)")
    parser.add_argument("--no-kill", action="store_true", help="skip figure 2's SIGKILL run")
    parser.add_argument("--reminders", type=int, default=1000, help="figure 3 (1000)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="figure 4 data: 1.0 = 1,000,000 incidents + 200,000 complaints")
    parser.add_argument("--officials", type=int, default=10_000, help="figure 4 (10000)")
    parser.add_argument("--export-rows", type=int, default=100_000, help="figure 4 (100000)")
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/<time>.json)")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def machine() -> dict[str, Any]:
    """What the figures were measured on, including load from other processes."""
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    return {"nproc": os.cpu_count(), "ram_gb": round(total_kb / 1024 / 1024, 1),
            "cpu": model, "python": platform.python_version(),
            "loadavg": Path("/proc/loadavg").read_text().split()[:3]}


async def run_figures(ctx: BenchContext, figures: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": machine(), "options": {
                                   "backends": ctx.backends, "users": ctx.users,
                                   "rate": ctx.rate, "duration": ctx.duration,
                                   "recipients": ctx.recipients, "reminders": ctx.reminders,
                                   "scale": ctx.scale, "officials": ctx.officials,
                                   "export_rows": ctx.export_rows}}
    if "postgres" in ctx.backends:
        problem = await postgres_problem(ctx.postgres_url)
        if problem is not None:
            raise SystemExit(f"PostgreSQL at {ctx.postgres_url} is unreachable ({problem}); "
                             "use --db sqlite or --postgres URL")
    for figure in figures:
        results[f"figure{figure}"] = await FIGURES[figure](ctx)
        results[f"figure{figure}"]["loadavg_after"] = machine()["loadavg"]
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    figures = [f.strip() for f in args.figures.split(",") if f.strip()]
    unknown = [f for f in figures if f not in FIGURES]
    if unknown:
        print(f"unknown figures: {unknown}; choose from 1,2,3,4", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    workdir = make_workdir()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    output = args.output or RESULTS / f"bench-{stamp}.json"
    ctx = BenchContext(
        workdir=workdir, logs=output.with_suffix("").parent / f"{output.stem}-logs",
        backends=[b.strip() for b in args.db.split(",") if b.strip()],
        postgres_url=args.postgres, users=args.users, rate=args.rate,
        duration=args.duration, shipped=not args.no_shipped, recipients=args.recipients,
        kill_test=not args.no_kill, reminders=args.reminders, scale=args.scale,
        officials=args.officials, export_rows=args.export_rows, quiet=args.quiet)
    try:
        results = asyncio.run(run_figures(ctx, figures))
    finally:
        remove_workdir(workdir)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    rows = rows_for(results)
    print(table(rows, HEADERS))
    if args.markdown:
        print()
        print(markdown(rows))
    print(f"\nJSON: {output}\nbot logs: {ctx.logs}")
    return 0
