"""JSON control API under /_sim/ for out-of-process drivers, plus an SSE event stream."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from simulator.limits import FloodLimits

if TYPE_CHECKING:
    from simulator.server import BotApiSimulator

SSE_PING_SECONDS = 15.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=_dumps)


def _fail(description: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "description": description}, status=status, dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _guard(func: Callable[[web.Request], Awaitable[Any]]) -> Handler:
    """Turn a handler returning a result into a JSON endpoint with uniform errors."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return _ok(await func(request))
        except (ValueError, KeyError, TypeError) as exc:
            return _fail(f"{exc.__class__.__name__}: {exc}")

    return wrapper


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.post()
        result: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                result[key] = value.file.read()
                result[f"{key}_filename"] = value.filename
                result[f"{key}_content_type"] = value.content_type
            else:
                result[key] = value
        return result
    raw = await request.read()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if data is not None and not isinstance(data, dict):
        raise ValueError("JSON body must be an object")
    return data or {}


def _file_bytes(body: dict[str, Any], field: str) -> bytes:
    value = body.get(field)
    if isinstance(value, bytes):
        return value
    encoded = body.get("data_base64") or body.get(f"{field}_base64")
    if not encoded:
        raise ValueError(f"send the file as multipart field {field!r} or as data_base64")
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid base64: {exc}") from None


def setup_routes(app: web.Application, sim: BotApiSimulator) -> None:
    """Register the /_sim/ endpoints on the simulator's aiohttp app."""

    def uid(request: web.Request) -> int:
        return int(request.match_info["user_id"])

    async def add_user(request: web.Request) -> Any:
        body = await _body(request)
        return await sim.add_user(
            int(body["user_id"]), body["first_name"], last_name=body.get("last_name"),
            username=body.get("username"), language_code=body.get("language_code", "id"),
            started=bool(body.get("started", False)),
        )

    async def list_users(request: web.Request) -> Any:
        return list(sim.state.users.values())

    async def text(request: web.Request) -> Any:
        body = await _body(request)
        return await sim.send_text(uid(request), body["text"])

    async def contact(request: web.Request) -> Any:
        body = await _body(request)
        kwargs: dict[str, Any] = {"first_name": body.get("first_name"),
                                  "last_name": body.get("last_name")}
        if "contact_user_id" in body:
            kwargs["contact_user_id"] = body["contact_user_id"]
        return await sim.send_contact(uid(request), str(body["phone_number"]), **kwargs)

    async def location(request: web.Request) -> Any:
        body = await _body(request)
        latitude, longitude = float(body["latitude"]), float(body["longitude"])
        return await sim.send_location(uid(request), latitude, longitude)

    async def photo(request: web.Request) -> Any:
        body = await _body(request)
        data = _file_bytes(body, "photo")
        return await sim.send_photo(uid(request), data, caption=body.get("caption"))

    async def document(request: web.Request) -> Any:
        body = await _body(request)
        return await sim.send_document(
            uid(request), _file_bytes(body, "document"),
            file_name=body.get("file_name") or body.get("document_filename") or "file.bin",
            mime_type=body.get("mime_type") or body.get("document_content_type"),
            caption=body.get("caption"),
        )

    async def sticker(request: web.Request) -> Any:
        body = await _body(request)
        return await sim.send_sticker(uid(request), emoji=body.get("emoji", "👍"))

    async def edit(request: web.Request) -> Any:
        body = await _body(request)
        return await sim.edit_text(uid(request), int(body["message_id"]), body["text"])

    async def press(request: web.Request) -> Any:
        body = await _body(request)
        message_id, data = int(body["message_id"]), body["callback_data"]
        query_id = await sim.press_button(uid(request), message_id, data)
        return {"callback_query_id": query_id}

    async def block(request: web.Request) -> Any:
        sim.block_user(uid(request))
        return True

    async def unblock(request: web.Request) -> Any:
        sim.unblock_user(uid(request))
        return True

    async def messages(request: web.Request) -> Any:
        return [m.to_json() for m in sim.chat(uid(request))]

    async def stats(request: web.Request) -> Any:
        return sim.stats()

    async def flood(request: web.Request) -> Any:
        raw = await request.read()
        data = json.loads(raw) if raw.strip() else None
        if data is not None and not isinstance(data, dict):
            raise ValueError("flood config must be an object or null")
        if isinstance(data, dict) and "config" in data and len(data) == 1:
            data = data["config"]
        sim.set_flood(FloodLimits.from_dict(data) if data is not None else None)
        return None if sim.flood is None else vars(sim.flood)

    async def inject(request: web.Request) -> Any:
        return await sim.inject_update(await _body(request))

    async def file_bytes(request: web.Request) -> web.StreamResponse:
        stored = sim.state.files.get(request.match_info["file_id"])
        if stored is None:
            return _fail("file not found", 404)
        return web.Response(body=sim.state.files.read(stored),
                            content_type=stored.mime_type or "application/octet-stream")

    async def events(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        })
        await resp.prepare(request)
        queue = sim.subscribe()
        try:
            await resp.write(b": connected\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), SSE_PING_SECONDS)
                except asyncio.TimeoutError:
                    await resp.write(b": ping\n\n")
                    continue
                if event is None:
                    break
                await resp.write(b"data: " + _dumps(event).encode() + b"\n\n")
        except (ConnectionResetError, RuntimeError):
            pass  # browser went away
        finally:
            sim.unsubscribe(queue)
        return resp

    user_routes: dict[str, Callable[[web.Request], Awaitable[Any]]] = {
        "text": text, "contact": contact, "location": location, "photo": photo,
        "document": document, "sticker": sticker, "edit": edit, "press": press,
        "block": block, "unblock": unblock,
    }
    router = app.router
    router.add_post("/_sim/users", _guard(add_user))
    router.add_get("/_sim/users", _guard(list_users))
    for name, func in user_routes.items():
        router.add_post(f"/_sim/users/{{user_id:\\d+}}/{name}", _guard(func))
    router.add_get("/_sim/users/{user_id:\\d+}/messages", _guard(messages))
    router.add_get("/_sim/stats", _guard(stats))
    router.add_post("/_sim/flood", _guard(flood))
    router.add_post("/_sim/updates", _guard(inject))
    router.add_get("/_sim/files/{file_id}", file_bytes)
    router.add_get("/_sim/events", events)
