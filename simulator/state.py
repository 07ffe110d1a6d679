"""Simulator data model: users, chats, messages, callback queries and change notification."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from simulator.media import FileStore
from simulator.telegram_html import entities_to_html

EVENT_QUEUE_SIZE = 10_000


@dataclass(eq=False)
class SimMessage:
    """A message in a chat as the simulator sees it (user or bot side)."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    sender: dict[str, Any] = field(repr=False, default_factory=dict)
    text: str | None = None  # message text, or the caption of a media message
    html: str | None = None  # text as sent (HTML source when parse_mode=HTML)
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None  # as sent, including reply keyboards
    kind: str = "text"  # text | photo | document | location | contact | sticker
    photo: list[str] = field(default_factory=list)  # PhotoSize file ids, largest last
    document: str | None = None
    edited: bool = False
    deleted: bool = False
    edit_date: int | None = None
    media_group_id: str | None = None
    reply_to_message_id: int | None = None
    payload: dict[str, Any] = field(repr=False, default_factory=dict)  # kind-specific API fields
    seq: int = field(repr=False, default=0)  # sequence number of the last change
    created_seq: int = field(repr=False, default=0)

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Flattened (text, callback_data) of the keyboard; callback_data is None for others."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        result = []
        for row in rows:
            for button in row:
                if isinstance(button, str):
                    result.append((button, None))
                else:
                    result.append((button.get("text", ""), button.get("callback_data")))
        return result

    @property
    def caption(self) -> str | None:
        """The caption of a media message (None for text messages)."""
        return self.text if self.kind in ("photo", "document") else None

    @property
    def safe_html(self) -> str:
        """Browser-safe HTML rendering of the text (whitelisted tags only)."""
        return entities_to_html(self.text or "", self.entities, browser=True)

    def to_api(self, chat: dict[str, Any], *, reply_to: SimMessage | None = None) -> dict[str, Any]:
        """Real Bot API Message JSON."""
        msg: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            msg["edit_date"] = self.edit_date
        if self.media_group_id is not None:
            msg["media_group_id"] = self.media_group_id
        if reply_to is not None:
            msg["reply_to_message"] = reply_to.to_api(chat)
        msg.update(self.payload)
        if self.kind == "text":
            msg["text"] = self.text or ""
            if self.entities:
                msg["entities"] = self.entities
        elif self.text:
            msg["caption"] = self.text
            if self.entities:
                msg["caption_entities"] = self.entities
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            msg["reply_markup"] = self.reply_markup
        return msg

    def to_json(self) -> dict[str, Any]:
        """JSON for the demo page / control API, including rendered safe HTML."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "from_bot": self.from_bot,
            "sender": self.sender,
            "date": self.date,
            "kind": self.kind,
            "text": self.text,
            "html": self.html,
            "safe_html": self.safe_html,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "buttons": [list(b) for b in self.buttons],
            "photo": self.photo,
            "document": self.document,
            "payload": self.payload,
            "edited": self.edited,
            "deleted": self.deleted,
            "edit_date": self.edit_date,
            "media_group_id": self.media_group_id,
            "reply_to_message_id": self.reply_to_message_id,
        }


@dataclass
class ChatState:
    """One chat: its Bot API Chat object, history and per-chat counters."""

    chat: dict[str, Any]
    messages: list[SimMessage] = field(default_factory=list)
    by_id: dict[int, SimMessage] = field(default_factory=dict)
    next_message_id: int = 1
    started: bool = False  # a user has written here, so the bot may send
    reply_keyboard: dict[str, Any] | None = None
    last_user_seq: int = 0

    @property
    def id(self) -> int:
        return self.chat["id"]

    @property
    def private(self) -> bool:
        return self.chat["type"] == "private"


@dataclass
class CallRecord:
    """One Bot API HTTP call and its outcome."""

    method: str
    params: dict[str, Any]
    status: int
    description: str | None
    time: float
    duration: float = 0.0


@dataclass
class CallbackQueryRecord:
    """A callback query sent by a user and, once answered, the bot's answer."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    answered_at: float | None = None


class SimState:
    """All mutable simulator state shared by the HTTP side and the user-side API."""

    def __init__(self, bot_user: dict[str, Any], files: FileStore):
        self.bot_user = bot_user
        self.files = files
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, ChatState] = {}
        self.blocked: set[int] = set()
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.settings: dict[str, Any] = {}
        self.subscribers: set[asyncio.Queue] = set()
        self.seq = 0
        self._changed = asyncio.Event()
        self._callback_counter = 0

    # -- chats and messages -----------------------------------------------------------------

    def chat_state(self, chat_id: int) -> ChatState | None:
        return self.chats.get(chat_id)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add_message(self, chat: ChatState, msg_kwargs: dict[str, Any]) -> SimMessage:
        """Create, store and announce a new message in ``chat``."""
        seq = self.next_seq()
        msg = SimMessage(
            message_id=chat.next_message_id, chat_id=chat.id, date=int(time.time()),
            seq=seq, created_seq=seq, **msg_kwargs,
        )
        chat.next_message_id += 1
        chat.messages.append(msg)
        chat.by_id[msg.message_id] = msg
        if not msg.from_bot:
            chat.last_user_seq = seq
        self.changed("message", msg)
        return msg

    def touch(self, msg: SimMessage, event: str) -> None:
        """Record an edit/delete of ``msg`` and announce it."""
        msg.seq = self.next_seq()
        if event == "edit":
            msg.edited = True
            msg.edit_date = int(time.time())
        self.changed(event, msg)

    def message_api(self, msg: SimMessage) -> dict[str, Any]:
        """Bot API JSON of a stored message, with its reply_to_message."""
        chat = self.chats[msg.chat_id]
        reply_to = chat.by_id.get(msg.reply_to_message_id) if msg.reply_to_message_id else None
        return msg.to_api(chat.chat, reply_to=reply_to)

    def new_callback_id(self) -> str:
        self._callback_counter += 1
        return str(4_611_686_018_427_387_904 + self._callback_counter * 104_729)

    # -- change notification and events -------------------------------------------------------

    def changed(self, event: str, msg: SimMessage | None = None, **extra: Any) -> None:
        """Wake waiters and push an event to subscribers."""
        ev, self._changed = self._changed, asyncio.Event()
        ev.set()
        if self.subscribers:
            payload = {"type": event, "chat_id": msg.chat_id if msg else extra.get("chat_id")}
            payload["message"] = msg.to_json() if msg else None
            payload.update(extra)
            self.publish(payload)

    def publish(self, payload: dict[str, Any]) -> None:
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(payload)
            except asyncio.QueueFull:
                pass  # a stalled consumer must not slow down or break the bot under test

    @property
    def changed_event(self) -> asyncio.Event:
        """Event set at the next change; grab it *before* checking a condition."""
        return self._changed

    @staticmethod
    async def wait_event(ev: asyncio.Event, timeout: float) -> None:
        """Wait for ``ev`` at most ``timeout`` seconds."""
        try:
            await asyncio.wait_for(ev.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=EVENT_QUEUE_SIZE)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.subscribers.discard(queue)

    def close_subscribers(self) -> None:
        for queue in list(self.subscribers):
            if queue.full():
                queue.get_nowait()  # make room: the end-of-stream marker must arrive
            queue.put_nowait(None)
