"""Drive the demo's chat page like a trainee would: personas, text, buttons, attachments."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Locator, Page, expect

DEFAULT_TIMEOUT_MS = 10_000


class DemoPage:
    """One browser tab on the demo page, with helpers named after what a person does."""

    def __init__(self, page: Page, url: str, artifacts: Path) -> None:
        self.page = page
        self.url = url
        self.artifacts = artifacts
        self._shots = 0

    async def open(self, persona: str | None = None) -> None:
        await self.page.goto(self.url)
        await expect(self.page.locator(".persona").first).to_be_visible()
        if persona is not None:
            await self.switch_persona(persona)

    # -- personas ------------------------------------------------------------------------------

    async def open_persona_drawer(self) -> None:
        """On a phone, slide in the persona list (it is always shown on a desktop)."""
        if await self.page.locator("#open-sidebar").is_visible():
            await self.page.locator("#open-sidebar").click()
            await self.page.wait_for_function(
                "document.getElementById('sidebar').getBoundingClientRect().left >= 0")

    async def switch_persona(self, label: str) -> None:
        """Choose a persona in the side list (opening the drawer on a phone)."""
        await self.open_persona_drawer()
        await self.persona(label).click()
        await expect(self.page.locator("#acting-name")).to_have_text(label)

    def persona(self, label: str) -> Locator:
        return self.page.locator(".persona", has=self.page.locator(
            ".persona-label", has_text=re.compile("^" + re.escape(label) + "$")))

    # -- chatting ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Press MULAI in an empty chat."""
        await self.page.locator("#start-button").click()

    async def send_text(self, text: str) -> None:
        box = self.page.locator("#message-input")
        await box.fill(text)
        await box.press("Enter")
        await self.wait_for_bubble(text, from_bot=False)

    def bubbles(self, *, from_bot: bool = True) -> Locator:
        return self.page.locator(f".row.{'in' if from_bot else 'out'} .bubble")

    async def wait_for_bubble(self, text: str, *, from_bot: bool = True,
                              timeout: float = DEFAULT_TIMEOUT_MS) -> Locator:
        """The newest bubble containing `text`, once it is shown."""
        bubble = self.bubbles(from_bot=from_bot).filter(has_text=text).last
        await expect(bubble).to_be_visible(timeout=timeout)
        return bubble

    def inline_button(self, label: str, *, exact: bool = False) -> Locator:
        return self.page.locator(".inline-keyboard").get_by_role(
            "button", name=label, exact=exact).last

    async def press(self, label: str, *, expect_text: str | None = None,
                    exact: bool = False) -> None:
        """Press the newest inline button with this label; optionally wait for the answer."""
        await self.inline_button(label, exact=exact).click()
        if expect_text is not None:
            await self.wait_for_bubble(expect_text)

    async def reply_button(self, label: str) -> None:
        """Tap a button of the reply keyboard under the input field."""
        await self.page.locator("#reply-keyboard").get_by_role("button", name=label).click()

    # -- attachments ---------------------------------------------------------------------------

    async def send_location(self, place: str, *, screenshot: str | None = None) -> None:
        """Send one of the preset places (screenshot: name of a shot of the filled dialog)."""
        await self.page.locator("#attach-button").click()
        await self.page.locator("[data-attach=location]").click()
        await self.page.locator("#place-list").get_by_role("button", name=place).click()
        if screenshot is not None:
            await self.screenshot(screenshot)
        await self.page.locator("#send-location").click()
        await expect(self.bubbles(from_bot=False).locator(".map").last).to_be_visible()

    async def send_sample(self, kind: str, caption: str = "", *,
                          screenshot: str | None = None) -> None:
        """Send the page's sample photo or document ("photo" or "document")."""
        await self.page.locator("#attach-button").click()
        await self.page.locator(f"[data-attach={kind}]").click()
        await self.page.locator("#upload-sample").click()
        await expect(self.page.locator("#upload-send")).to_be_enabled()
        await self.page.locator("#upload-caption").fill(caption)
        if screenshot is not None:
            await self.screenshot(screenshot)
        await self.page.locator("#upload-send").click()
        media = ".photo" if kind == "photo" else ".file"
        await expect(self.bubbles(from_bot=False).locator(media).last).to_be_visible()

    async def send_file(self, kind: str, path: Path) -> None:
        """Send a file from disk through the upload dialog."""
        await self.page.locator("#attach-button").click()
        await self.page.locator(f"[data-attach={kind}]").click()
        await self.page.locator("#upload-file").set_input_files(path)
        await self.page.locator("#upload-send").click()

    # -- evidence ------------------------------------------------------------------------------

    async def screenshot(self, name: str) -> Path:
        """Save a numbered screenshot under test-artifacts/."""
        self._shots += 1
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{self._shots:02d}-{name}.png"
        await self.page.screenshot(path=path)
        return path
