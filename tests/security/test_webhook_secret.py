"""Webhook mode: only requests carrying Telegram's secret token header are processed.

The real PTB webhook server (Updater.start_webhook, what Application.run_webhook runs) is
registered with the simulator, which then delivers updates with the header as Telegram does.
Raw POSTs without the header, or with a wrong one, get 403 and never reach a handler — also
when no secret is configured: the bot then makes up a random one at start. A configured
secret Telegram would refuse is a configuration error (exit code 2).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from telegram import Update

from bot.app import build_application
from bot.clock import ShiftableClock
from bot.cli import EXIT_CONFIG, main
from bot.db import Database
from bot.runner import webhook_secret
from bot.settings import Settings
from models.officials import Role
from simulator import BotApiSimulator
from tests.botdriver import Driver, LogCapture, wait_until
from tests.e2e.harness import TOKEN

SECRET = "wilayah-Secret_token-123"
LURAH = 4101
HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebhookDriver(Driver):
    """The driver, but the bot serves a webhook the way `wilayah-bot run` does in that mode."""

    async def start_bot(self) -> None:
        telegram = self.settings.telegram
        self.app = build_application(self.settings, clock=self.clock,
                                     database=Database(self.db.url))
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        # the arguments bot.runner.run gives Application.run_webhook
        await self.app.updater.start_webhook(
            listen=telegram.webhook_listen, port=telegram.webhook_port,
            webhook_url=telegram.webhook_url, allowed_updates=Update.ALL_TYPES,
            secret_token=webhook_secret(telegram))
        processor = self.app.update_processor
        handle = processor.do_process_update

        async def tracked(update: object, coroutine: Any) -> None:
            try:
                await handle(update, coroutine)
            finally:
                self.handled += 1

        processor.do_process_update = tracked  # type: ignore[method-assign]


@asynccontextmanager
async def serving_webhook(sqlite_url: str, tmp_path: Path,
                          secret: str | None) -> AsyncIterator[WebhookDriver]:
    port = free_port()
    database = Database(sqlite_url)
    async with BotApiSimulator(token=TOKEN, flood=None) as sim:
        driver = WebhookDriver(sim, database, ShiftableClock(), tmp_path / "data")
        telegram = driver.settings.telegram.model_copy(update={
            "mode": "webhook", "webhook_url": f"http://127.0.0.1:{port}/",
            "webhook_listen": "127.0.0.1", "webhook_port": port,
            "webhook_secret_token": SecretStr(secret) if secret is not None else None})
        driver.settings = driver.settings.model_copy(update={"telegram": telegram})
        await driver.start_bot()
        try:
            yield driver
        finally:
            await driver.stop_bot()
            await database.dispose()


@pytest.fixture
async def webhook_bot(sqlite_url: str, tmp_path: Path) -> AsyncIterator[WebhookDriver]:
    async with serving_webhook(sqlite_url, tmp_path, SECRET) as driver:
        yield driver


def update_from(user_id: int, text: str, update_id: int) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Penyusup"}
    return {"update_id": update_id, "message": {
        "message_id": 9000 + update_id, "date": 1730685600, "text": text, "from": user,
        "chat": {"id": user_id, "type": "private", "first_name": "Penyusup"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}}


async def test_webhook_serves_telegram_and_refuses_requests_without_the_secret(
        webhook_bot: WebhookDriver) -> None:
    d = webhook_bot
    port = d.settings.telegram.webhook_port
    assert d.sim.hub.webhook is not None and d.sim.hub.webhook["secret_token"] == SECRET
    await d.official(LURAH, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
    with LogCapture() as capture:
        # Telegram (the simulator) delivers with the header: served
        await d.sim.send_text(LURAH, "/profil")
        reply = await d.sim.wait_for_bot_message(LURAH, contains="Profil Anda", timeout=10)
        assert "Lurah Cibabat" in (reply.text or "")
        assert await wait_until(lambda: d.handled == 1)
        served = d.handled
        answers_before = len(d.sim.bot_messages(LURAH))

        async with aiohttp.ClientSession() as http:
            statuses = []
            for number, headers in enumerate([
                    {}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                    {"X-Telegram-Bot-Api-Secret-Token": SECRET.lower()},
                    {"X-Telegram-Bot-Api-Secret-Token": ""}], start=1):
                async with http.post(f"http://127.0.0.1:{port}/",
                                     json=update_from(LURAH, "/profil", 50_000 + number),
                                     headers=headers) as response:
                    statuses.append(response.status)
            # the same body with the right header is accepted: the 403s were the header
            async with http.post(f"http://127.0.0.1:{port}/",
                                 json=update_from(LURAH, "/bantuan", 60_000),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                accepted = response.status
        assert statuses == [403, 403, 403, 403]
        assert accepted == 200
        await d.sim.wait_for_bot_message(LURAH, contains="Menu Lurah", timeout=10)
        assert await wait_until(lambda: d.handled == served + 1)
        await asyncio.sleep(0.3)
        assert d.handled == served + 1, "a request without the secret reached the handlers"
        assert len(d.sim.bot_messages(LURAH)) == answers_before + 1
        assert not capture.errors()
    assert not d.sim.rejected_calls


async def test_without_a_configured_secret_a_random_one_is_generated_and_enforced(
        sqlite_url: str, tmp_path: Path) -> None:
    with LogCapture() as capture:
        async with serving_webhook(sqlite_url, tmp_path, None) as d:
            registered = d.sim.hub.webhook
            assert registered is not None
            generated = registered["secret_token"]
            assert isinstance(generated, str) and TELEGRAM_SECRET.fullmatch(generated)
            assert len(generated) >= 32
            port = d.settings.telegram.webhook_port
            await d.official(LURAH, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
            # Telegram (the simulator) sends back the secret it was given: served
            await d.sim.send_text(LURAH, "/profil")
            await d.sim.wait_for_bot_message(LURAH, contains="Profil Anda", timeout=10)
            assert await wait_until(lambda: d.handled == 1)
            answers_before = len(d.sim.bot_messages(LURAH))
            async with aiohttp.ClientSession() as http:
                statuses = []
                for number, headers in enumerate([{}, {HEADER: "wrong"}, {HEADER: ""}],
                                                 start=1):
                    async with http.post(f"http://127.0.0.1:{port}/",
                                         json=update_from(LURAH, "/profil", 70_000 + number),
                                         headers=headers) as response:
                        statuses.append(response.status)
            assert statuses == [403, 403, 403]
            await asyncio.sleep(0.3)
            assert d.handled == 1, "a request without the secret reached the handlers"
            assert len(d.sim.bot_messages(LURAH)) == answers_before
    assert "generated a random secret token" in capture.text()
    assert generated not in capture.text(), "the generated secret was logged"
    assert not capture.errors()
    assert webhook_secret(d.settings.telegram) != generated, "each start makes a new one"


@pytest.mark.parametrize("bad", ["has space", "dots.are.not.allowed", "x" * 257, "",
                                 "nicht-ascii-ä"])
def test_a_secret_telegram_would_refuse_is_a_config_error(
        bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="A-Z, a-z, 0-9"):
        Settings(telegram={"webhook_secret_token": bad})
    config = tmp_path / "config.toml"
    config.write_text("[telegram]\n" + 'token = "123:abc"\nmode = "webhook"\n'
                      'webhook_url = "https://bot.example.go.id/telegram"\n')
    for name in [name for name in os.environ if name.startswith("WILAYAH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WILAYAH_TELEGRAM__WEBHOOK_SECRET_TOKEN", bad)
    assert main(["--config", str(config), "run"]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert "telegram.webhook_secret_token" in error and "A-Z, a-z, 0-9, _ and -" in error
    if len(bad) > 3:
        assert bad not in error, "the rejected secret was printed"


def test_a_valid_configured_secret_is_used_as_given() -> None:
    longest = "A-z_9" * 51 + "b"
    telegram = Settings(telegram={"webhook_secret_token": longest}).telegram
    assert webhook_secret(telegram) == longest
