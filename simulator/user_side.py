"""Acting as Telegram users (sending, pressing buttons) and reading chat history."""

from __future__ import annotations

import html as _html
import re
import time
from typing import Any

from simulator.state import CallbackQueryRecord, ChatState, SimMessage, SimState
from simulator.telegram_html import MAX_CAPTION, MAX_TEXT, utf16_len
from simulator.updates import UpdateHub

_SENDER: Any = object()
_AUTO_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<url>\bhttps?://[^\s<>\"]+)"
    r"|(?P<email>(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}\b)"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d_]\w*)"
)


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram clients/servers attach to user text (commands, links, mentions...)."""
    entities = []
    for m in _AUTO_ENTITY_RE.finditer(text):
        entities.append({
            "type": m.lastgroup,
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        })
    return entities


class UserSide:
    """Mixin for BotApiSimulator: user actions and chat inspection."""

    state: SimState
    hub: UpdateHub

    # -- users and chats ------------------------------------------------------------------------

    async def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
        started: bool = False,
    ) -> dict[str, Any]:
        """Register a user (and their private chat); returns the Bot API User object.

        ``started=True`` lets the bot message them before they write anything.
        """
        if not isinstance(user_id, int) or user_id <= 0:
            raise ValueError("user_id must be a positive integer")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value:
                user[key] = chat[key] = value
        if language_code:
            user["language_code"] = language_code
        self.state.users[user_id] = user
        existing = self.state.chats.get(user_id)
        if existing is None:
            self.state.chats[user_id] = ChatState(chat=chat, started=started)
        else:
            existing.chat.clear()
            existing.chat.update(chat)
            existing.started = existing.started or started
        return user

    async def add_group(
        self, chat_id: int, title: str, *, type: str = "group", username: str | None = None
    ) -> dict[str, Any]:
        """Register a group/supergroup the bot is a member of; returns its Chat object."""
        if chat_id >= 0 or type not in ("group", "supergroup"):
            raise ValueError("group chat ids are negative; type is 'group' or 'supergroup'")
        chat: dict[str, Any] = {"id": chat_id, "type": type, "title": title}
        if username:
            chat["username"] = username
        self.state.chats[chat_id] = ChatState(chat=chat, started=True)
        return chat

    def _user(self, user_id: int) -> dict[str, Any]:
        user = self.state.users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id}; call add_user() first")
        return user

    def _chat(self, user_id: int, chat_id: int | None) -> ChatState:
        chat = self.state.chats.get(user_id if chat_id is None else chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        return chat

    # -- sending as a user ----------------------------------------------------------------------

    def _post_user_message(
        self, user_id: int, chat_id: int | None, **fields: Any
    ) -> dict[str, Any]:
        user = self._user(user_id)
        chat = self._chat(user_id, chat_id)
        chat.started = True
        text = fields.get("text")
        if text is not None and "html" not in fields:
            fields["html"] = _html.escape(text, quote=False)
        keyboard = chat.reply_keyboard
        if keyboard and keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None  # clients hide one-time keyboards after the next message
        msg = self.state.add_message(chat, {"from_bot": False, "sender": user, **fields})
        api = self.state.message_api(msg)
        self.hub.enqueue({"message": api})
        return api

    async def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        """User sends a text message (commands/links get entities); returns the Message."""
        text = text.strip()
        if not text or utf16_len(text) > MAX_TEXT:
            raise ValueError("user text must be 1-4096 characters")
        return self._post_user_message(
            user_id, chat_id, text=text, entities=detect_entities(text),
            reply_to_message_id=reply_to,
        )

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        contact_user_id: int | None = _SENDER,
        first_name: str | None = None,
        last_name: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """User shares a contact (their own by default, as a request_contact button does)."""
        user = self._user(user_id)
        if contact_user_id is _SENDER:
            contact_user_id = user_id
        own = contact_user_id == user_id
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or (user["first_name"] if own else "Kontak"),
        }
        if last_name is None and own and first_name is None:
            last_name = user.get("last_name")
        if last_name:
            contact["last_name"] = last_name
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self._post_user_message(
            user_id, chat_id, kind="contact", payload={"contact": contact}
        )

    async def send_location(
        self, user_id: int, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """User shares a location."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError("latitude/longitude out of range")
        location = {"latitude": float(latitude), "longitude": float(longitude)}
        return self._post_user_message(
            user_id, chat_id, kind="location", payload={"location": location}
        )

    def _caption(self, caption: str | None) -> dict[str, Any]:
        if not caption:
            return {}
        caption = caption.strip()
        if utf16_len(caption) > MAX_CAPTION:
            raise ValueError("caption must be at most 1024 characters")
        return {"text": caption, "entities": detect_entities(caption)}

    async def send_photo(
        self, user_id: int, data: bytes, *, caption: str | None = None, chat_id: int | None = None
    ) -> dict[str, Any]:
        """User sends a photo (any bytes; dimensions are read from PNG/JPEG/GIF/WebP headers)."""
        self._user(user_id)
        sizes = self.state.files.add_photo(bytes(data), strict=False)
        return self._post_user_message(
            user_id, chat_id, kind="photo", photo=[s["file_id"] for s in sizes],
            payload={"photo": sizes}, **self._caption(caption),
        )

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        *,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """User sends a file as a document."""
        self._user(user_id)
        files = self.state.files
        stored = files.add_document(bytes(data), file_name=file_name, mime_type=mime_type)
        return self._post_user_message(
            user_id, chat_id, kind="document", document=stored.file_id,
            payload={"document": files.document_json(stored)}, **self._caption(caption),
        )

    async def send_sticker(
        self, user_id: int, *, emoji: str = "👍", chat_id: int | None = None
    ) -> dict[str, Any]:
        """User sends a (regular, static) sticker."""
        self._user(user_id)
        files = self.state.files
        stored = files.add_document(b"RIFF\x00\x00\x00\x00WEBPVP8 ", file_name="sticker.webp",
                                    mime_type="image/webp", kind="sticker")
        sticker = {
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": emoji,
            "file_size": stored.size,
        }
        return self._post_user_message(
            user_id, chat_id, kind="sticker", payload={"sticker": sticker}
        )

    async def edit_text(
        self, user_id: int, message_id: int, new_text: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """User edits one of their own text messages (produces an edited_message update)."""
        chat = self._chat(user_id, chat_id)
        msg = chat.by_id.get(message_id)
        if msg is None or msg.deleted or msg.from_bot or msg.sender.get("id") != user_id:
            raise ValueError(f"user {user_id} has no message {message_id} in chat {chat.id}")
        if msg.kind != "text":
            raise ValueError("only text messages can be edited by edit_text()")
        new_text = new_text.strip()
        if not new_text or utf16_len(new_text) > MAX_TEXT:
            raise ValueError("user text must be 1-4096 characters")
        msg.text, msg.entities = new_text, detect_entities(new_text)
        msg.html = _html.escape(new_text, quote=False)
        self.state.touch(msg, "edit")
        chat.last_user_seq = msg.seq
        api = self.state.message_api(msg)
        self.hub.enqueue({"edited_message": api})
        return api

    # -- callback queries -----------------------------------------------------------------------

    async def press_button(
        self, user_id: int, message_id: int, callback_data: str, *, chat_id: int | None = None
    ) -> str:
        """User presses an existing inline callback button; returns the callback_query id."""
        chat = self._chat(user_id, chat_id)
        msg = chat.by_id.get(message_id)
        if msg is None or msg.deleted or not msg.from_bot:
            raise ValueError(f"no bot message {message_id} in chat {chat.id}")
        inline = (msg.reply_markup or {}).get("inline_keyboard") or []
        datas = [b.get("callback_data") for row in inline for b in row if isinstance(b, dict)]
        if callback_data not in datas:
            raise ValueError(
                f"message {message_id} has no button with callback_data {callback_data!r}; "
                f"available: {[d for d in datas if d is not None]}"
            )
        return self._callback(user_id, chat, message_id, callback_data)

    async def forge_callback(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> str:
        """Send arbitrary callback data, as a malicious client could (for security tests)."""
        return self._callback(user_id, self._chat(user_id, chat_id), message_id, data)

    def _callback(self, user_id: int, chat: ChatState, message_id: int, data: str) -> str:
        user = self._user(user_id)
        query_id = self.state.new_callback_id()
        msg = chat.by_id.get(message_id)
        if msg is not None and not msg.deleted:
            message = self.state.message_api(msg)
        else:
            message = {"chat": chat.chat, "message_id": message_id, "date": 0}  # inaccessible
        self.state.callback_queries[query_id] = CallbackQueryRecord(
            query_id=query_id, user_id=user_id, chat_id=chat.id, message_id=message_id, data=data,
        )
        chat.last_user_seq = self.state.next_seq()
        self.hub.enqueue({"callback_query": {
            "id": query_id, "from": user, "message": message,
            "chat_instance": str(-(8_000_000_000_000_000_000 + chat.id)), "data": data,
        }})
        if self.state.subscribers:
            self.state.publish({"type": "callback_query", "chat_id": chat.id,
                                "message": msg.to_json() if msg else None, "data": data,
                                "callback_query_id": query_id})
        return query_id

    async def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw Update dict (update_id is assigned when missing).

        An injected callback_query becomes answerable via answerCallbackQuery.
        """
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            message = query.get("message") or {}
            self.state.callback_queries[query["id"]] = CallbackQueryRecord(
                query_id=query["id"], user_id=(query.get("from") or {}).get("id", 0),
                chat_id=(message.get("chat") or {}).get("id", 0),
                message_id=message.get("message_id", 0), data=query.get("data"),
            )
        return self.hub.enqueue(dict(update))

    # -- reading --------------------------------------------------------------------------------

    def chat(self, chat_id: int) -> list[SimMessage]:
        """Full history (user and bot messages, including deleted ones) of a chat."""
        chat = self.state.chats.get(chat_id)
        return list(chat.messages) if chat else []

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[SimMessage]:
        """Messages the bot sent to a chat, oldest first."""
        return [m for m in self.chat(chat_id) if m.from_bot and (include_deleted or not m.deleted)]

    def last_bot_message(self, chat_id: int) -> SimMessage | None:
        """The newest non-deleted bot message in a chat."""
        msgs = self.bot_messages(chat_id)
        return msgs[-1] if msgs else None

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard currently shown to the user in a chat, if any."""
        chat = self.state.chats.get(chat_id)
        return chat.reply_keyboard if chat else None

    def callback_answers(self, user_id: int) -> list[CallbackQueryRecord]:
        """Answered callback queries of a user, in the order they were pressed."""
        return [q for q in self.callback_queries(user_id) if q.answered]

    def callback_queries(self, user_id: int) -> list[CallbackQueryRecord]:
        """All callback queries of a user (answered or not)."""
        return [q for q in self.state.callback_queries.values() if q.user_id == user_id]

    async def wait_for_bot_message(
        self,
        chat_id: int,
        *,
        contains: str | None = None,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> SimMessage:
        """Wait for a bot message (new or edited) newer than the user's last action.

        With ``after=message_id`` the baseline is that message instead. Returns the earliest
        match; raises TimeoutError listing what the bot did send.
        """
        deadline = time.monotonic() + timeout
        baseline: int | None = None
        while True:
            ev = self.state.changed_event
            chat = self.state.chats.get(chat_id)
            if chat is not None:
                if baseline is None:
                    if after is None:
                        baseline = chat.last_user_seq
                    else:
                        baseline = max((m.created_seq for m in chat.messages
                                        if m.message_id <= after), default=0)
                found = [m for m in chat.messages if m.from_bot and not m.deleted
                         and m.seq > baseline and (contains is None or contains in (m.text or ""))]
                if found:
                    return min(found, key=lambda m: m.seq)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = [(m.message_id, (m.text or m.kind)[:80])
                          for m in self.bot_messages(chat_id)[-5:]]
                raise TimeoutError(
                    f"no bot message in chat {chat_id} matching contains={contains!r} "
                    f"within {timeout}s; recent bot messages: {recent}"
                )
            await self.state.wait_event(ev, remaining)

    async def wait_for_callback_answer(
        self, query_id: str, *, timeout: float = 5.0
    ) -> CallbackQueryRecord:
        """Wait until the bot answers a callback query."""
        deadline = time.monotonic() + timeout
        while True:
            ev = self.state.changed_event
            query = self.state.callback_queries.get(query_id)
            if query is not None and query.answered:
                return query
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"callback query {query_id} was not answered within {timeout}s")
            await self.state.wait_event(ev, remaining)
