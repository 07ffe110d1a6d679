"""`wilayah-bot demo` without a browser: seed data, start-up, the page's API, reset, Ctrl-C."""

from __future__ import annotations

import asyncio
import csv
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.clock import Clock
from bot.db import Database
from bot.services.regions import PILOT_REGIONS_FILE
from bot.settings import Settings
from demo.personas import PersonaBook, seed_data
from demo.runner import DemoDataError, prepare_data_dir, run_demo
from demo.seed import seed_officials
from models.officials import AuditEntry, Official, OfficialStatus, Role
from tests.browser.demo_support import demo_runtime

REPO = Path(__file__).resolve().parents[2]
CAMAT = 710002


def test_personas_use_real_pilot_region_codes() -> None:
    with PILOT_REGIONS_FILE.open(encoding="utf-8") as handle:
        codes = {row["kode"] for row in csv.DictReader(line for line in handle
                                                        if not line.startswith("#"))}
    data = seed_data()
    officials = [p for p in data.personas if p.is_official]
    assert {p.role for p in officials} == {Role.LURAH, Role.CAMAT, Role.ADMIN}
    assert all(p.region in codes for p in officials)
    assert {p.region[:5] for p in officials} == {"32.77", "53.71"}  # Cimahi (WIB), Kupang (WITA)
    assert len({p.telegram_id for p in data.personas}) == len(data.personas)
    assert any(not p.is_official for p in data.personas)


async def test_seed_registers_and_approves_through_the_services(db: Database,
                                                                clock: Clock) -> None:
    personas = seed_data().personas
    assert await seed_officials(db, clock, personas) == sum(p.is_official for p in personas)
    assert await seed_officials(db, clock, personas) == 0  # a second start changes nothing
    async with db.session() as session:
        officials = {o.telegram_id: o for o in (await session.exec(select(Official))).all()}
        actions = [a.action for a in (await session.exec(select(AuditEntry))).all()]
    for persona in personas:
        official = officials.get(persona.telegram_id)
        if not persona.is_official:
            assert official is None
            continue
        assert official is not None and official.status == OfficialStatus.ACTIVE
        assert (official.role, official.region_code) == (persona.role, persona.region)
        assert official.phone == persona.phone
    assert actions.count("official.approve") == sum(
        p.is_official and p.role not in (Role.ADMIN, Role.SUPERADMIN) for p in personas)


def test_reset_only_wipes_demo_directories(tmp_path: Path) -> None:
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "laporan.xlsx").write_text("penting")
    with pytest.raises(DemoDataError):
        prepare_data_dir(foreign, reset=True)
    assert (foreign / "laporan.xlsx").exists()
    demo_dir = tmp_path / "demo-data"
    prepare_data_dir(demo_dir, reset=False)
    (demo_dir / "wilayah.db").write_text("old")
    prepare_data_dir(demo_dir, reset=True)
    assert not (demo_dir / "wilayah.db").exists()


async def _events(session: aiohttp.ClientSession, url: str, into: asyncio.Queue[Any]) -> None:
    async with session.get(url + "/api/events") as response:
        async for line in response.content:
            if line.startswith(b"data: "):
                await into.put(json.loads(line[6:]))


async def _next_bot_message(events: asyncio.Queue[Any], chat_id: int,
                            contains: str) -> dict[str, Any]:
    while True:
        event = await asyncio.wait_for(events.get(), 10)
        message = event.get("message") or {}
        if (event["type"] == "message" and event["chat_id"] == chat_id
                and message.get("from_bot") and contains in message["html"]):
            return event


async def test_demo_serves_the_page_api_and_live_events(tmp_path: Path,
                                                        sqlite_template: Any) -> None:
    runtime = demo_runtime(tmp_path / "demo-data", template_db=sqlite_template.path)
    async with runtime, aiohttp.ClientSession() as http:
        url = runtime.url
        async with http.get(url + "/") as page:
            html = await page.text()
        assert page.status == 200 and "Admin Tapem Kota Cimahi" in html and "MULAI" in html
        assert "https://" not in html.replace("https://api.telegram.org", "")  # no CDN
        async with http.get(url + "/static/demo.js") as script:
            assert script.status == 200
        async with http.get(url + "/api/personas") as response:
            personas = await response.json()
        camat = next(p for p in personas if p["user_id"] == CAMAT)
        assert camat["official"]["status"] == "active" and camat["official"]["role"] == "camat"

        events: asyncio.Queue[Any] = asyncio.Queue()
        listener = asyncio.create_task(_events(http, url, events))
        try:
            await asyncio.sleep(0.2)
            chat = f"{url}/api/chats/{CAMAT}"
            async with http.post(chat + "/text", json={"text": "/bantuan"}) as sent:
                assert (await sent.json())["html"].endswith("/bantuan</span>")
            await _next_bot_message(events, CAMAT, "Menu Camat")
            async with http.post(chat + "/location",
                                 json={"latitude": -6.8605, "longitude": 107.5418}) as sent:
                assert (await sent.json())["location"]["latitude"] == -6.8605
            async with http.get(chat + "/messages") as response:
                view = await response.json()
            assert [m["from_bot"] for m in view["messages"][:2]] == [False, True]
            assert "<b>Menu Camat</b>" in view["messages"][1]["html"]
            async with http.get(chat + "/commands") as response:
                commands = [c["command"] for c in await response.json()]
            assert "rapat" in commands and "siaran" not in commands  # the camat's own menu
            async with http.post(chat + "/press", json={"message_id": 1, "data": "w1:x"}) as bad:
                assert bad.status == 400
            async with http.post(f"{url}/api/chats/999/text", json={"text": "hi"}) as unknown:
                assert unknown.status == 404
            async with http.post(url + "/api/personas") as added:
                newcomer = await added.json()
            assert newcomer["official"] is None and "Pengguna baru 2" in newcomer["label"]
        finally:
            listener.cancel()
    assert [p.label for p in PersonaBook(tmp_path / "demo-data").all][-1] == newcomer["label"]
    assert not runtime.sim.state.subscribers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_demo_starts_fresh_prints_the_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("WILAYAH_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "demo", "--reset", "--port", str(port),
         "--data-dir", str(tmp_path / "demo-data")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first_line, first_line + process.stderr.read()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err, err
    assert (tmp_path / "demo-data" / "wilayah.db").exists()


def test_a_busy_port_is_reported_in_one_line(tmp_path: Path, sqlite_template: Any,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    demo_runtime(tmp_path / "demo-data", template_db=sqlite_template.path)  # copies the db
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = run_demo(Settings(), port=port, data_dir=tmp_path / "demo-data")
    assert code == 1
    assert f"port {port}" in capsys.readouterr().err


def test_a_second_demo_on_the_same_data_is_refused_before_touching_it(
        tmp_path: Path, sqlite_template: Any, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "demo-data"
    demo_runtime(data_dir, template_db=sqlite_template.path)  # copies the db
    lock = (data_dir / "wilayah.db.lock").open("a+")
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the running demo holds it
    try:
        before = (data_dir / "wilayah.db").stat().st_mtime_ns
        code = run_demo(Settings(), reset=True, port=0, data_dir=data_dir)
    finally:
        lock.close()
    assert code == 1
    error = capsys.readouterr().err
    assert "another demo is already running" in error and "Traceback" not in error
    assert (data_dir / "wilayah.db").stat().st_mtime_ns == before  # --reset left it alone
