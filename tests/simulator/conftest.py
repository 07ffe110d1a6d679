"""Fixtures for simulator tests: a started simulator, an HTTP client and a PTB app factory."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from simulator import BotApiSimulator, FloodLimits


@pytest.fixture
async def sim() -> AsyncIterator[BotApiSimulator]:
    """A started simulator with flood control disabled."""
    async with BotApiSimulator(flood=None) as simulator:
        yield simulator


@pytest.fixture
async def flood_sim() -> AsyncIterator[BotApiSimulator]:
    """A started simulator with Telegram's default flood limits."""
    async with BotApiSimulator(flood=FloodLimits()) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class ApiClient:
    """Minimal raw Bot API client returning (HTTP status, JSON body)."""

    def __init__(self, session: aiohttp.ClientSession, sim: BotApiSimulator):
        self.session = session
        self.sim = sim

    async def __call__(self, method: str, *, form: bool = False, **params: Any) -> tuple[int, dict]:
        url = f"{self.sim.api_base_url}{self.sim.token}/{method}"
        if form:
            async with self.session.post(url, data=params) as resp:
                return resp.status, await resp.json()
        async with self.session.post(url, json=params) as resp:
            return resp.status, await resp.json()

    async def multipart(self, method: str, data: aiohttp.FormData) -> tuple[int, dict]:
        url = f"{self.sim.api_base_url}{self.sim.token}/{method}"
        async with self.session.post(url, data=data) as resp:
            return resp.status, await resp.json()


@pytest.fixture
def api(http: aiohttp.ClientSession, sim: BotApiSimulator) -> ApiClient:
    return ApiClient(http, sim)


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def make_app(sim: BotApiSimulator) -> Callable[..., Application]:
    """Build a real PTB Application pointed at the simulator (AIORateLimiter on)."""

    def factory(rate_limiter: bool = True) -> Application:
        builder = (
            ApplicationBuilder()
            .token(sim.token)
            .base_url(sim.api_base_url)
            .base_file_url(sim.file_base_url)
        )
        if rate_limiter:
            builder = builder.rate_limiter(AIORateLimiter(max_retries=1))
        return builder.build()

    return factory
