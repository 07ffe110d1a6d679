"""BotApiSimulator: an aiohttp server speaking the Telegram Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
from collections import Counter, deque
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiohttp import web

from simulator import control
from simulator.bot_methods import BotMethods, is_flood_limited
from simulator.limits import FloodControl, FloodLimits
from simulator.media import MAX_UPLOAD_BYTES, FileStore
from simulator.spec import ApiError, UploadedFile, bad_request, load_spec, normalize_call
from simulator.state import CallRecord, SimState
from simulator.updates import UpdateHub
from simulator.user_side import UserSide

log = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_JSON_TYPES = ("application/json",)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class _Fault:
    status: int | None = None
    description: str = ""
    retry_after: int | None = None
    delay: float | None = None


def _is_rejection(status: int) -> bool:
    return 400 <= status < 499 and status != 429


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=_dumps(body), status=status, content_type="application/json")


class BotApiSimulator(UserSide):
    """In-process Telegram Bot API double served over real HTTP on 127.0.0.1."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        flood: FloodLimits | None = FloodLimits(),
        bot_username: str = "wilayah_test_bot",
        data_dir: Path | None = None,
        bot_name: str = "Wilayah Test Bot",
        max_recorded_calls: int = 200_000,
    ):
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError("token must look like '<digits>:<letters/digits/_/->'")
        self.token = token
        bot_user = {"id": int(token.split(":", 1)[0]), "is_bot": True,
                    "first_name": bot_name, "username": bot_username}
        self.state = SimState(bot_user, FileStore(Path(data_dir) if data_dir else None))
        self.hub = UpdateHub()
        self.methods = BotMethods(self.state, self.hub)
        self.flood_control = FloodControl(flood)
        self.spec = load_spec()
        self.calls: list[CallRecord] = []
        self.flood_hits: list[CallRecord] = []
        self.max_recorded_calls = max_recorded_calls
        self.call_counts: Counter[str] = Counter()
        self.status_counts: Counter[int] = Counter()
        self._faults: dict[str, deque[_Fault]] = {}
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        self.app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 2 * 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self.app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        control.setup_routes(self.app, self)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotApiSimulator:
        """Start serving; port 0 picks a free port."""
        self._runner = web.AppRunner(
            self.app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        address = self._runner.addresses[0]
        self._host, self._port = host, address[1]
        return self

    async def stop(self) -> None:
        """Stop serving; wakes long polls and ends event streams."""
        await self.hub.close()
        self.state.close_subscribers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiSimulator:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. http://127.0.0.1:PORT."""
        if self._port is None:
            raise RuntimeError("simulator is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_base_url(self) -> str:
        """Value for ApplicationBuilder().base_url()."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        """Value for ApplicationBuilder().base_file_url()."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's own User object."""
        return self.state.bot_user

    # -- fault injection and configuration ------------------------------------------------------

    def _add_fault(self, method: str, fault: _Fault, count: int) -> None:
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend(_Fault(**vars(fault)) for _ in range(count))

    def fail_next(
        self, method: str, *, status: int = 500, count: int = 1, description: str | None = None
    ) -> None:
        """Make the next ``count`` calls of ``method`` ("*" = any) fail with ``status``."""
        if description is None:
            try:
                description = HTTPStatus(status).phrase
            except ValueError:
                description = "Error"
        self._add_fault(method, _Fault(status=status, description=description), count)

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Delay the next ``count`` calls of ``method`` before processing them."""
        self._add_fault(method, _Fault(delay=seconds), count)

    def rate_limit_next(self, method: str, retry_after: int, count: int = 1) -> None:
        """Answer the next ``count`` calls of ``method`` with 429 retry_after."""
        fault = _Fault(status=429, description=f"Too Many Requests: retry after {retry_after}",
                       retry_after=retry_after)
        self._add_fault(method, fault, count)

    def block_user(self, user_id: int) -> None:
        """The user blocks the bot: sends to them fail with 403."""
        self.state.blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        """The user unblocks the bot."""
        self.state.blocked.discard(user_id)

    def set_flood(self, limits: FloodLimits | None) -> None:
        """Reconfigure (or disable with None) flood control; resets the buckets."""
        self.flood_control.configure(limits)

    @property
    def flood(self) -> FloodLimits | None:
        """Current flood limits (None when disabled)."""
        return self.flood_control.limits

    def _take_fault(self, method_lower: str) -> _Fault | None:
        for key in (method_lower, "*"):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    # -- inspection ------------------------------------------------------------------------------

    @property
    def rejected_calls(self) -> list[CallRecord]:
        """Recorded calls answered with 4xx, excluding 429 and 499 (client went away)."""
        return [c for c in self.calls if _is_rejection(c.status)]

    def calls_to(self, method: str) -> list[CallRecord]:
        """Recorded calls of one method (case-insensitive)."""
        low = method.lower()
        return [c for c in self.calls if c.method.lower() == low]

    @property
    def commands(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """Commands set via setMyCommands keyed by (scope key, language_code or "")."""
        return self.state.commands

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return list(self.hub.pending)

    def subscribe(self) -> asyncio.Queue:
        """Queue receiving event dicts (message/edit/delete/callback_answer/...); None = closed."""
        return self.state.subscribe()

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        """Stop delivering events to ``queue``."""
        self.state.unsubscribe(queue)

    def stats(self) -> dict[str, Any]:
        """Counters for the control API and benchmarks."""
        rejected = sum(n for s, n in self.status_counts.items() if _is_rejection(s))
        return {
            "calls": sum(self.call_counts.values()),
            "ok": self.status_counts.get(200, 0),
            "flood_hits": self.status_counts.get(429, 0),
            "rejected": rejected,
            "server_errors": sum(n for s, n in self.status_counts.items() if s >= 500),
            "client_disconnects": self.status_counts.get(499, 0),
            "by_method": dict(self.call_counts),
            "pending_updates": len(self.hub.pending),
            "users": len(self.state.users),
            "messages": sum(len(c.messages) for c in self.state.chats.values()),
        }

    def _record(self, method: str, params: dict[str, Any], status: int,
                description: str | None, started: float) -> None:
        now = time.perf_counter()
        record = CallRecord(method, params, status, description, time.time(), now - started)
        self.calls.append(record)
        self.call_counts[method] += 1
        self.status_counts[status] += 1
        if status == 429:
            self.flood_hits.append(record)
        limit = self.max_recorded_calls
        if len(self.calls) > limit + limit // 10:
            del self.calls[: len(self.calls) - limit]
            del self.flood_hits[: max(len(self.flood_hits) - limit, 0)]

    # -- HTTP handlers ---------------------------------------------------------------------------

    def _check_token(self, token: str) -> None:
        if token != self.token:
            if _TOKEN_RE.fullmatch(token):
                raise ApiError(401, "Unauthorized")
            raise ApiError(404, "Not Found")

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return params
        ctype = request.content_type
        try:
            if ctype in _JSON_TYPES:
                raw = await request.read()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise bad_request("can't parse JSON body") from None
                    if not isinstance(body, dict):
                        raise bad_request("JSON body must be an object")
                    params.update(body)
            elif ctype in _FORM_TYPES:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        value = UploadedFile(
                            key, value.filename, value.content_type, value.file.read()
                        )
                    params[key] = value
            else:
                await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        return params

    @staticmethod
    def _resolve_attachments(
        known: dict[str, Any], params: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        attachments = {
            k: v for k, v in params.items() if isinstance(v, UploadedFile) and k not in known
        }
        if not attachments:
            return params, {}
        resolved = {}
        for key, value in params.items():
            if key in attachments:
                continue
            if isinstance(value, str) and value.startswith("attach://"):
                value = attachments.get(value[9:], value)
            resolved[key] = value
        return resolved, attachments

    @staticmethod
    def _resolve_nested(params: dict[str, Any], attachments: dict[str, UploadedFile]) -> None:
        for value in params.values():
            items = value if isinstance(value, list) else [value]
            for item in items:
                if not isinstance(item, dict):
                    continue
                for key, field in item.items():
                    if isinstance(field, str) and field.startswith("attach://"):
                        name = field[9:]
                        if name not in attachments:
                            raise bad_request(
                                f'file "{name}" referenced by attach:// was not uploaded'
                            )
                        item[key] = attachments[name]

    async def _handle_api(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        try:
            self._check_token(request.match_info["token"])
            mspec = self.spec.lookup(method)
            method = mspec.name
            lower = method.lower()
            params = await self._read_params(request)
            fault = self._take_fault(lower)
            if fault is not None:
                if fault.delay is not None:
                    await asyncio.sleep(fault.delay)
                else:
                    raise ApiError(fault.status or 500, fault.description, fault.retry_after)
            params, attachments = self._resolve_attachments(mspec.params, params)
            _, params = normalize_call(method, params)
            if attachments:
                self._resolve_nested(params, attachments)
            handler = self.methods.handlers.get(lower)
            if handler is None:
                raise bad_request(f"method not supported by the simulator: {method}")
            flood_key = None
            if self.flood_control.limits is not None and is_flood_limited(lower):
                flood_key = self.methods.flood_key(params)
                if flood_key is not None:
                    self.flood_control.check(*flood_key)
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
            if flood_key is not None:
                self.flood_control.commit(*flood_key)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as err:
            status, body = err.code, err.to_json()
        except asyncio.CancelledError:
            self._record(method, params, 499, "client disconnected", started)
            raise
        except Exception as exc:  # a simulator bug must surface as a clear 500, not a hang
            log.exception("simulator failed handling %s", method)
            status = 500
            body = {"ok": False, "error_code": 500,
                    "description": f"Internal Server Error: simulator bug: {exc!r}"}
        description = body.get("description")
        if request.transport is None or request.transport.is_closing():
            status, description = 499, f"client disconnected ({status} not delivered)"
        self._record(method, params, status, description, started)
        return _json_response(body, status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
        except ApiError as err:
            return _json_response(err.to_json(), err.code)
        stored = self.state.files.by_path(request.match_info["file_path"])
        if stored is None:
            return _json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return web.Response(body=self.state.files.read(stored),
                            content_type=stored.mime_type or "application/octet-stream")
