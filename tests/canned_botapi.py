"""A Bot API request object for tests that need a Bot but no server: canned answers, and a
record of what was sent."""

from __future__ import annotations

import json
from typing import Any

from telegram.request import BaseRequest, RequestData


class CannedBotApi(BaseRequest):
    """Answers each method from `answers` (by name), any other with `default`; keeps every
    call as (method, parameters)."""

    def __init__(self, answers: dict[str, Any] | None = None, default: Any = True) -> None:
        self.answers = answers or {}
        self.default = default
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         **_timeouts: Any) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        self.sent.append((name, request_data.parameters if request_data else {}))
        result = self.answers.get(name, self.default)
        return 200, json.dumps({"ok": True, "result": result}).encode()
