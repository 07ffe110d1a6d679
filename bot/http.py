"""The bot's HTTP client for the Bot API, on aiohttp.

With PTB's default `HTTPXRequest` a Bot API call costs the bot about 2.5 ms of CPU, mostly
httpx and httpcore's per-request bookkeeping; on aiohttp (a C HTTP parser, a simpler pool) the
same call costs about 0.5 ms. Parameters go as one JSON object (the Bot API takes JSON as well as
forms; URL-encoding a message costs ten times as much CPU as JSON-encoding it, and a keyboard
nested as an object is encoded once, where a form field holds it as a string of JSON); files go
as multipart parts next to the fields, as `HTTPXRequest` sends them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_LOGGER = logging.getLogger(__name__)

_POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent "
    "to Telegram. Consider adjusting the connection pool size or the pool timeout."
)


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` sending Bot API calls over a bounded pool of keep-alive connections.

    The defaults are `HTTPXRequest`'s.
    """

    __slots__ = ("_connect_timeout", "_media_write_timeout", "_pool_size", "_pool_timeout",
                 "_read_timeout", "_session", "_slots", "_write_timeout")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        # the session needs a running event loop, so it is opened in initialize()
        self._session: aiohttp.ClientSession | None = None
        # waiting for a free connection has its own timeout, which aiohttp does not tell
        # apart from connecting: the pool is bounded here as well as in the connector
        self._slots = asyncio.Semaphore(connection_pool_size)

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds, as passed to the constructor."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            self._slots = asyncio.Semaphore(self._pool_size)  # bound to this event loop
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT},
                auto_decompress=True, trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar())  # the Bot API sets no cookies

    async def shutdown(self) -> None:
        """Close the connection pool."""
        if self._session is None or self._session.closed:
            _LOGGER.debug("This AiohttpRequest is already shut down. Returning.")
            return
        await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the status code and the body."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        files = request_data.multipart_data if request_data else None
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = self._pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        # aiohttp starts the read timeout once the body is sent and has no write timeout; a
        # form goes out at once, an upload is bounded by all three timeouts together
        timeout = aiohttp.ClientTimeout(
            sock_connect=connect_timeout, sock_read=read_timeout,
            total=_sum(connect_timeout, write_timeout, read_timeout) if files else None)

        await self._take_connection_slot(pool_timeout)
        try:
            async with session.request(method, url, timeout=timeout,
                                       **_body(request_data, files)) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            # aiohttp's own timeouts are also ClientErrors: this must come first
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        finally:
            self._slots.release()

    async def _take_connection_slot(self, pool_timeout: float | None) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # free slot: no timer needed
            return
        try:
            await asyncio.wait_for(self._slots.acquire(), pool_timeout)
        except TimeoutError as err:
            raise TimedOut(message=_POOL_TIMEOUT_MESSAGE) from err


_JSON = {"Content-Type": "application/json"}


def _body(request_data: RequestData | None, files: UploadFileDict | None) -> dict[str, Any]:
    """The request's body arguments: one JSON object of the fields (objects such as a keyboard
    nested as JSON, encoded once); with files, multipart with the fields first (as httpx)."""
    if request_data is None:
        return {}
    if not files:
        # ASCII with escapes: any string encodes, even one Telegram would refuse
        payload = json.dumps(request_data.parameters, separators=(",", ":")).encode()
        return {"data": payload, "headers": _JSON}
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return {"data": form}


def _sum(*timeouts: float | None) -> float | None:
    """Add timeouts where None means no limit."""
    return None if None in timeouts else sum(t for t in timeouts if t is not None)
