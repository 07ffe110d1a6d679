"""The chat page and its JSON/SSE API: acting as a persona through the Bot API simulator."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web

from bot.db import Database
from bot.i18n import Translator
from demo.personas import Persona, PersonaBook, seed_data
from demo.officials import describe_personas
from demo.web.views import chat_view, event_view, menu_commands, message_view
from simulator import BotApiSimulator

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
SSE_PING_SECONDS = 15.0
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, dumps=_dumps)


class DemoWeb:
    """Serves the page, lets the browser act as a persona, and streams the chats' events."""

    def __init__(self, sim: BotApiSimulator, personas: PersonaBook, database: Database) -> None:
        self.sim = sim
        self.personas = personas
        self.database = database
        self._streams: set[asyncio.Queue[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
            autoescape=jinja2.select_autoescape(["html"]))
        self.app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        self._routes(self.app.router)

    def _routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/", self.page)
        router.add_static("/static", WEB_DIR / "static", name="static", append_version=True)
        router.add_get("/api/personas", self.list_personas)
        router.add_post("/api/personas", self.add_persona)
        router.add_get("/api/events", self.events)
        router.add_get("/api/files/{file_id}", self.file)
        chat = "/api/chats/{user_id:\\d+}"
        router.add_get(chat + "/messages", self._persona_route(self.messages))
        router.add_get(chat + "/commands", self._persona_route(self.commands))
        for action in ("text", "contact", "location", "photo", "document", "press"):
            send = getattr(self, f"send_{action}")
            router.add_post(f"{chat}/{action}", self._persona_route(send))

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> str:
        """Serve on host:port (0 = any free port); returns the page's URL."""
        self._runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise
        bound_port = self._runner.addresses[0][1]
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self._url = f"http://{shown_host}:{bound_port}"
        return self._url

    async def stop(self) -> None:
        """End the event streams, then stop serving."""
        for queue in list(self._streams):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the demo page is not being served")
        return self._url

    # -- page and personas ---------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        static = request.app.router["static"]

        def static_url(name: str) -> str:
            return str(static.url_for(filename=name))  # type: ignore[attr-defined]

        data = seed_data()
        html = self._templates.get_template("index.html").render(
            static_url=static_url,
            bot_name=self.sim.bot_user.get("first_name", "Wilayah"),
            bot_username=self.sim.bot_user.get("username", ""),
            personas=await self._persona_list(),
            places=[vars(place) for place in data.places])
        return web.Response(text=html, content_type="text/html",
                            headers={"Cache-Control": "no-store"})

    async def _persona_list(self) -> list[dict[str, Any]]:
        personas = self.personas.all
        known = await describe_personas(self.database, [p.telegram_id for p in personas])
        tr = Translator("id")
        result = []
        for persona in personas:
            item = persona.public()
            official = known.get(persona.telegram_id)
            if official is not None:
                official = {**official, "role_label": tr(f"common.roles.{official['role']}")}
            item["official"] = official
            result.append(item)
        return result

    async def list_personas(self, request: web.Request) -> web.Response:
        return _json(await self._persona_list())

    async def add_persona(self, request: web.Request) -> web.Response:
        persona = self.personas.add_newcomer()
        await self.add_to_simulator(persona)
        return _json({**persona.public(), "official": None})

    async def add_to_simulator(self, persona: Persona) -> None:
        """Make the persona a Telegram user; officials have talked to the bot before."""
        await self.sim.add_user(persona.telegram_id, persona.first_name,
                                last_name=persona.last_name, language_code="id",
                                started=persona.is_official)

    # -- one persona's chat --------------------------------------------------------------------

    def _persona_route(self, action: Callable[[web.Request, Persona], Awaitable[Any]]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            persona = self.personas.get(int(request.match_info["user_id"]))
            if persona is None:
                return _json({"error": "unknown_persona"}, 404)
            try:
                return _json(await action(request, persona))
            except (ValueError, KeyError, TypeError) as error:
                # the simulator refuses what Telegram would (stale button, empty text...)
                return _json({"error": "refused", "detail": str(error)}, 400)

        return handler

    async def messages(self, request: web.Request, persona: Persona) -> Any:
        return chat_view(self.sim, persona.telegram_id)

    async def commands(self, request: web.Request, persona: Persona) -> Any:
        return menu_commands(self.sim, persona.telegram_id)

    async def send_text(self, request: web.Request, persona: Persona) -> Any:
        body = await request.json()
        sent = await self.sim.send_text(persona.telegram_id, str(body["text"]))
        return self._sent(persona, sent)

    async def send_contact(self, request: web.Request, persona: Persona) -> Any:
        sent = await self.sim.send_contact(persona.telegram_id, persona.phone)
        return self._sent(persona, sent)

    async def send_location(self, request: web.Request, persona: Persona) -> Any:
        body = await request.json()
        sent = await self.sim.send_location(persona.telegram_id, float(body["latitude"]),
                                            float(body["longitude"]))
        return self._sent(persona, sent)

    async def send_photo(self, request: web.Request, persona: Persona) -> Any:
        data, _name, _mime, caption = await self._upload(request, "photo")
        sent = await self.sim.send_photo(persona.telegram_id, data, caption=caption)
        return self._sent(persona, sent)

    async def send_document(self, request: web.Request, persona: Persona) -> Any:
        data, name, mime, caption = await self._upload(request, "document")
        sent = await self.sim.send_document(persona.telegram_id, data, file_name=name,
                                            mime_type=mime, caption=caption)
        return self._sent(persona, sent)

    async def send_press(self, request: web.Request, persona: Persona) -> Any:
        body = await request.json()
        query_id = await self.sim.press_button(persona.telegram_id, int(body["message_id"]),
                                               str(body["data"]))
        return {"callback_query_id": query_id}

    def _sent(self, persona: Persona, sent: dict[str, Any]) -> dict[str, Any]:
        """The stored message the user just sent, as the page renders it."""
        stored = next((m for m in reversed(self.sim.chat(persona.telegram_id))
                       if m.message_id == sent["message_id"]), None)
        return message_view(stored.to_json()) if stored is not None else {}

    @staticmethod
    async def _upload(request: web.Request, field: str) -> tuple[bytes, str, str | None,
                                                                  str | None]:
        form = await request.post()
        upload = form.get(field)
        if not isinstance(upload, web.FileField):
            raise ValueError(f"multipart field {field!r} with a file is missing")
        caption = form.get("caption")
        text = caption.strip() if isinstance(caption, str) and caption.strip() else None
        return (upload.file.read(), upload.filename or "file", upload.content_type or None,
                text)

    # -- files and events ----------------------------------------------------------------------

    async def file(self, request: web.Request) -> web.StreamResponse:
        files = self.sim.state.files
        stored = files.get(request.match_info["file_id"])
        if stored is None:
            return _json({"error": "not_found"}, 404)
        headers = {"Cache-Control": "private, max-age=3600"}
        if stored.kind == "document":
            name = quote(stored.file_name or "file", safe="")
            headers["Content-Disposition"] = f"inline; filename*=UTF-8''{name}"
        return web.Response(body=files.read(stored), headers=headers,
                            content_type=stored.mime_type or "application/octet-stream")

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: every change in any persona's chat, as it happens."""
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no"})
        await response.prepare(request)
        queue = self.sim.subscribe()
        self._streams.add(queue)
        try:
            await response.write(b"retry: 1000\n: connected\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), SSE_PING_SECONDS)
                except asyncio.TimeoutError:
                    await response.write(b": ping\n\n")
                    continue
                if event is None:
                    break
                view = event_view(self.sim, event)
                if view is not None:
                    await response.write(f"data: {_dumps(view)}\n\n".encode())
        except (ConnectionResetError, RuntimeError):
            pass  # the browser went away
        finally:
            self._streams.discard(queue)
            self.sim.unsubscribe(queue)
        return response
