"""Browser fixtures: the demo in-process on a free port, and Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.browser.demo_support import demo_runtime

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def chromium_path() -> str:
    """Debian's Chromium; missing it skips the browser tests, except in CI where it fails."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = ("Debian's chromium is not installed (apt-get install chromium); "
                  "the browser tests need it")
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def fresh_artifacts_dir(name: str) -> Path:
    """test-artifacts/browser/<test>/, emptied so old screenshots never mislead."""
    directory = ARTIFACTS / name
    shutil.rmtree(directory, ignore_errors=True)
    return directory


@pytest.fixture
async def demo(tmp_path: Path, sqlite_template: Any) -> AsyncIterator[Any]:
    """`wilayah-bot demo` running in this event loop with fresh demo data."""
    runtime = demo_runtime(tmp_path / "demo-data", template_db=sqlite_template.path)
    async with runtime:
        yield runtime


@asynccontextmanager
async def open_chromium(tmp_path: Path, viewport: dict[str, int]) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    executable = chromium_path()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            user_data_dir=tmp_path / f"chromium-profile-{viewport['width']}",
            executable_path=executable, args=CHROMIUM_ARGS, headless=True,
            viewport=viewport, locale="id-ID", timezone_id="Asia/Jakarta")
        context.set_default_timeout(10_000)
        try:
            yield context
        finally:
            await context.close()


@pytest.fixture
async def demo_page(request: pytest.FixtureRequest, demo: Any,
                    tmp_path: Path) -> AsyncIterator[Any]:
    """A desktop-sized tab on the demo page; screenshots go to test-artifacts/browser/<test>/."""
    from tests.browser.demo_page import DemoPage

    artifacts = fresh_artifacts_dir(request.node.name)
    async with open_chromium(tmp_path, DESKTOP) as context:
        page = context.pages[0] if context.pages else await context.new_page()
        yield DemoPage(page, demo.url, artifacts)


@pytest.fixture
async def phone_page(request: pytest.FixtureRequest, demo: Any,
                     tmp_path: Path) -> AsyncIterator[Any]:
    """The same page on a phone-sized viewport."""
    from tests.browser.demo_page import DemoPage

    artifacts = fresh_artifacts_dir(request.node.name + "-phone")
    async with open_chromium(tmp_path, PHONE) as context:
        page = context.pages[0] if context.pages else await context.new_page()
        yield DemoPage(page, demo.url, artifacts)
