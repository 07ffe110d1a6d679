"""The aiohttp Bot API client: one JSON body (multipart with files, as HTTPXRequest sends
them), and failures reported the way HTTPXRequest reports them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.http import AiohttpRequest


@dataclass
class Received:
    """What the test server saw of the last request."""

    content_type: str = ""
    user_agent: str = ""
    fields: dict[str, object] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Received]]:
    received = Received()
    release = asyncio.Event()

    async def echo(request: web.Request) -> web.Response:
        received.content_type = request.content_type
        received.user_agent = request.headers.get("User-Agent", "")
        if request.content_type == "application/json":
            received.fields = await request.json()
            return web.json_response({"ok": True, "result": True}, status=201)
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                received.files[name] = (value.filename, value.content_type, value.file.read())
            else:
                received.fields[name] = str(value)
        return web.json_response({"ok": True, "result": True}, status=201)

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_get("/echo", echo)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", received
    release.set()
    await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(connection_pool_size=2, read_timeout=2.0, pool_timeout=0.2)
    await request.initialize()
    yield request
    await request.shutdown()


def _data(**parameters: object) -> RequestData:
    return RequestData([RequestParameter.from_input(name, value)
                        for name, value in parameters.items()])


async def test_parameters_go_as_one_json_object_with_objects_nested(server, client) -> None:
    url, received = server
    status, body = await client.do_request(
        f"{url}/echo", "POST",
        _data(chat_id=42, text="Banjir di Sangatta — «darurat»", reply_markup={"a": 1}))
    assert (status, body) == (201, b'{"ok": true, "result": true}')
    assert received.content_type == "application/json"
    assert received.fields == {"chat_id": 42, "text": "Banjir di Sangatta — «darurat»",
                               "reply_markup": {"a": 1}}
    assert received.user_agent == BaseRequest.USER_AGENT


async def test_files_go_as_multipart_parts_next_to_the_fields(server, client) -> None:
    url, received = server
    document = InputFile(b"a,b\n1,2\n", filename="laporan.csv", attach=False)
    await client.do_request(f"{url}/echo", "POST", _data(chat_id=42, document=document))
    assert received.content_type == "multipart/form-data"
    assert received.fields == {"chat_id": "42"}
    assert received.files == {"document": ("laporan.csv", "text/csv", b"a,b\n1,2\n")}


async def test_a_request_without_data_is_sent_without_a_body(server, client) -> None:
    url, received = server
    status, _ = await client.do_request(f"{url}/echo", "GET")
    assert status == 201
    assert received.fields == {}


async def test_an_answer_later_than_the_read_timeout_is_timed_out(server, client) -> None:
    url, _ = server
    with pytest.raises(TimedOut):
        await client.do_request(f"{url}/slow", "POST", _data(x=1), read_timeout=0.1)


async def test_a_full_pool_times_out_without_sending(server, client) -> None:
    url, _ = server
    waiting = [asyncio.create_task(client.do_request(f"{url}/slow", "POST", _data(x=1)))
               for _ in range(2)]
    await asyncio.sleep(0.05)
    with pytest.raises(TimedOut, match="Pool timeout"):
        await client.do_request(f"{url}/echo", "POST", _data(x=1))
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)


async def test_a_refused_connection_is_a_network_error(client) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(NetworkError, match="aiohttp.ClientConnectorError"):
        await client.do_request(f"http://127.0.0.1:{port}/x", "POST", _data(x=1))


async def test_it_must_be_initialized_and_can_be_again_after_shutdown(server) -> None:
    url, _ = server
    request = AiohttpRequest(read_timeout=7.0)
    assert request.read_timeout == 7.0
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{url}/echo", "POST")
    async with request:
        assert (await request.do_request(f"{url}/echo", "POST"))[0] == 201
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{url}/echo", "POST")
    await request.shutdown()  # a second shutdown is harmless
    async with request:
        assert (await request.do_request(f"{url}/echo", "POST"))[0] == 201
