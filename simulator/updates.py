"""Pending-update queue with getUpdates long polling and webhook delivery."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from simulator.spec import ApiError, bad_request

log = logging.getLogger(__name__)

DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def update_type(update: dict[str, Any]) -> str:
    """The payload field name of an Update (message, callback_query, ...)."""
    for key in update:
        if key != "update_id":
            return key
    return ""


class UpdateHub:
    """Holds unconfirmed updates and hands them out via getUpdates or a webhook."""

    def __init__(self) -> None:
        self.pending: deque[dict[str, Any]] = deque()
        self.next_update_id = 1
        self.allowed: frozenset[str] | None = None
        self.webhook: dict[str, Any] | None = None
        self.last_error: tuple[int, str] | None = None
        self.closing = False
        self._event = asyncio.Event()
        self._poll_generation = 0
        self._deliverer: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None

    def _notify(self) -> None:
        ev, self._event = self._event, asyncio.Event()
        ev.set()

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = update_type(update)
        if self.allowed is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed

    def enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        """Append an update, assigning update_id when missing, and wake pollers."""
        if "update_id" not in update:
            update = {"update_id": self.next_update_id, **update}
        self.next_update_id = max(self.next_update_id, update["update_id"]) + 1
        self.pending.append(update)
        self._notify()
        return update

    def drop_pending(self) -> None:
        self.pending.clear()

    def _confirm(self, offset: int) -> None:
        pending = self.pending
        if offset > 0:
            while pending and pending[0]["update_id"] < offset:
                pending.popleft()
        elif offset < 0:
            while len(pending) > -offset:
                pending.popleft()

    def _take(self, limit: int) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for update in self.pending:
            if len(batch) >= limit:
                break
            if self._is_allowed(update):
                batch.append(update)
            else:
                dropped.append(update)
        if dropped:
            # Telegram silently drops updates excluded by allowed_updates.
            gone = {id(u) for u in dropped}
            self.pending = deque(u for u in self.pending if id(u) not in gone)
        return batch

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Implement getUpdates, including long polling and the 409 conflicts."""
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll gets terminated, like on Telegram
        if "offset" in params:
            self._confirm(params["offset"])
        if "allowed_updates" in params:
            self.allowed = frozenset(params["allowed_updates"]) or None
        limit = min(max(params.get("limit", 100), 1), 100)
        timeout = max(params.get("timeout", 0), 0)
        deadline = time.monotonic() + timeout
        while True:
            ev = self._event
            batch = self._take(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self.closing:
                return batch
            try:
                await asyncio.wait_for(ev.wait(), remaining)
            except asyncio.TimeoutError:
                pass
            if self._poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if self.webhook is not None:
                return []

    # -- webhooks -------------------------------------------------------------------------------

    def set_webhook(self, params: dict[str, Any]) -> bool:
        """Implement setWebhook (plain http is allowed for loopback hosts only)."""
        url = params["url"].strip()
        if not url:
            return self.delete_webhook(params)
        parts = urlsplit(url)
        loopback_http = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
        if parts.scheme != "https" and not loopback_http:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not parts.hostname:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        secret = params.get("secret_token")
        if secret is not None and (not 1 <= len(secret) <= 256 or not set(secret) <= _SECRET_CHARS):
            raise bad_request("secret token contains unallowed characters")
        max_conn = params.get("max_connections", 40)
        if not 1 <= max_conn <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        if params.get("drop_pending_updates"):
            self.drop_pending()
        if "allowed_updates" in params:
            self.allowed = frozenset(params["allowed_updates"]) or None
        self.webhook = {"url": url, "secret_token": secret, "max_connections": max_conn,
                        "ip_address": params.get("ip_address")}
        self.last_error = None
        if self._deliverer is None or self._deliverer.done():
            self._deliverer = asyncio.get_running_loop().create_task(self._deliver_loop())
        self._notify()
        return True

    def delete_webhook(self, params: dict[str, Any]) -> bool:
        """Implement deleteWebhook."""
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.drop_pending()
        if self._deliverer is not None:
            self._deliverer.cancel()
            self._deliverer = None
        self._notify()
        return True

    def webhook_info(self) -> dict[str, Any]:
        """Implement getWebhookInfo."""
        info: dict[str, Any] = {
            "url": "", "has_custom_certificate": False, "pending_update_count": len(self.pending),
        }
        if self.webhook is not None:
            info["url"] = self.webhook["url"]
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["ip_address"]:
                info["ip_address"] = self.webhook["ip_address"]
            if self.allowed is not None:
                info["allowed_updates"] = sorted(self.allowed)
        if self.last_error is not None:
            info["last_error_date"], info["last_error_message"] = self.last_error
        return info

    async def _deliver_loop(self) -> None:
        backoff = 0.05
        while self.webhook is not None and not self.closing:
            ev = self._event
            batch = self._take(1)
            if not batch:
                await ev.wait()
                continue
            update = batch[0]
            hook = self.webhook
            error = await self._post(hook, update)
            if error is None:
                if self.pending and self.pending[0] is update:
                    self.pending.popleft()
                backoff = 0.05
            else:
                self.last_error = (int(time.time()), error)
                log.debug("webhook delivery failed: %s", error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    async def _post(self, hook: dict[str, Any], update: dict[str, Any]) -> str | None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if hook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        body = json.dumps(update, ensure_ascii=False).encode()
        try:
            async with self._session.post(hook["url"], data=body, headers=headers) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return None
                return f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any transport failure is reported like Telegram does
            return f"Connection failed: {exc.__class__.__name__}: {exc}"

    async def close(self) -> None:
        """Wake long pollers and stop webhook delivery."""
        self.closing = True
        self._notify()
        if self._deliverer is not None:
            self._deliverer.cancel()
            try:
                await self._deliverer
            except (asyncio.CancelledError, Exception):
                pass
            self._deliverer = None
        if self._session is not None:
            await self._session.close()
            self._session = None
