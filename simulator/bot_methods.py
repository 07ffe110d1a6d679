"""Bot-side Bot API method implementations operating on SimState."""

from __future__ import annotations

import re
import time
from typing import Any, Callable

from simulator.limits import check_callback_answer_text, check_reply_markup
from simulator.media import MAX_DOWNLOAD_BYTES
from simulator.spec import ApiError, UploadedFile, bad_request
from simulator.state import ChatState, SimMessage, SimState
from simulator.telegram_html import entities_to_html, prepare_text
from simulator.updates import UpdateHub

CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANG_RE = re.compile(r"[a-z]{2}")
_FLOOD_EXTRA = frozenset({"copymessage", "copymessages", "forwardmessage", "forwardmessages"})
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def is_flood_limited(method_lower: str) -> bool:
    """Whether a method sends or edits messages and therefore counts against flood limits."""
    return (
        (method_lower.startswith("send") and method_lower != "sendchataction")
        or method_lower.startswith("editmessage")
        or method_lower in _FLOOD_EXTRA
    )


def scope_key(scope: dict[str, Any] | None) -> str:
    """Stable key for a BotCommandScope: "default", "chat:42", "chat_member:42:7", ..."""
    if not scope:
        return "default"
    kind = scope.get("type")
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        return kind
    if kind in ("chat", "chat_administrators") and "chat_id" in scope:
        return f"{kind}:{scope['chat_id']}"
    if kind == "chat_member" and "chat_id" in scope and "user_id" in scope:
        return f"chat_member:{scope['chat_id']}:{scope['user_id']}"
    raise bad_request("wrong bot command scope")


class BotMethods:
    """Implements the supported methods; ``handlers`` maps lower-cased name to a callable."""

    def __init__(self, state: SimState, hub: UpdateHub):
        self.state = state
        self.hub = hub
        self._media_group_counter = 0
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getme": self.get_me,
            "logout": lambda p: True,
            "close": lambda p: True,
            "getupdates": hub.get_updates,  # async
            "setwebhook": hub.set_webhook,
            "deletewebhook": hub.delete_webhook,
            "getwebhookinfo": lambda p: hub.webhook_info(),
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "deletemessages": self.delete_messages,
            "answercallbackquery": self.answer_callback_query,
            "sendphoto": self.send_photo,
            "senddocument": self.send_document,
            "sendlocation": self.send_location,
            "sendchataction": self.send_chat_action,
            "sendmediagroup": self.send_media_group,
            "getfile": self.get_file,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "getchat": self.get_chat,
            "copymessage": self.copy_message,
            "forwardmessage": self.forward_message,
            "setchatmenubutton": self.set_chat_menu_button,
            "getchatmenubutton": self.get_chat_menu_button,
        }
        for name in ("Description", "ShortDescription", "Name"):
            self.handlers[f"setmy{name.lower()}"] = self._setter(name)
            self.handlers[f"getmy{name.lower()}"] = self._getter(name)

    # -- chat resolution ------------------------------------------------------------------------

    def find_chat(self, chat_id: int | str) -> ChatState | None:
        """Resolve a chat by numeric id or "@username"."""
        if isinstance(chat_id, int):
            return self.state.chats.get(chat_id)
        if chat_id.startswith("@"):
            name = chat_id[1:].lower()
            for chat in self.state.chats.values():
                # Like Telegram, @username addresses public groups/channels, not users.
                if not chat.private and str(chat.chat.get("username", "")).lower() == name:
                    return chat
        return None

    def target_chat(self, params: dict[str, Any]) -> ChatState:
        """Chat the bot may act in: exists, has talked to the bot and has not blocked it."""
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        chat = self.find_chat(params["chat_id"])
        if chat is None or not chat.started:
            raise bad_request("chat not found")
        if chat.private and chat.id in self.state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def flood_key(self, params: dict[str, Any]) -> tuple[int | str, bool] | None:
        """(chat key, is_private) used for per-chat flood control, if the call has a chat."""
        chat_id = params.get("chat_id")
        if chat_id is None:
            return None
        chat = self.find_chat(chat_id)
        if chat is not None:
            return chat.id, chat.private
        return chat_id, isinstance(chat_id, int) and chat_id > 0

    # -- sending --------------------------------------------------------------------------------

    def _reply_to(self, chat: ChatState, params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        if not reply:
            return None
        target = reply.get("message_id")
        if reply.get("chat_id") not in (None, chat.id):
            raise bad_request(
                "replies to messages in other chats are not supported by the simulator"
            )
        msg = chat.by_id.get(target) if isinstance(target, int) else None
        if msg is None or msg.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return target

    def _send(
        self,
        chat: ChatState,
        params: dict[str, Any],
        *,
        kind: str,
        text_param: str,
        payload: dict[str, Any] | None = None,
        photo: list[str] | None = None,
        document: str | None = None,
        media_group_id: str | None = None,
        allow_markup: bool = True,
    ) -> SimMessage:
        markup = params.get("reply_markup") if allow_markup else None
        markup_kind = check_reply_markup(markup)
        reply_to = self._reply_to(chat, params)
        caption = kind != "text"
        source = params.get(text_param)
        ents_param = params.get("caption_entities" if caption else "entities")
        plain, ents = prepare_text(source, params.get("parse_mode"), ents_param, caption=caption)
        if markup_kind == "keyboard":
            chat.reply_keyboard = markup
        elif markup_kind == "remove":
            chat.reply_keyboard = None
        return self.state.add_message(chat, {
            "from_bot": True,
            "sender": self.state.bot_user,
            "text": plain if (plain or not caption) else None,
            "html": self._source_html(source, params, plain, ents, ents_param),
            "entities": ents,
            "reply_markup": markup,
            "kind": kind,
            "photo": photo or [],
            "document": document,
            "media_group_id": media_group_id,
            "reply_to_message_id": reply_to,
            "payload": payload or {},
        })

    @staticmethod
    def _source_html(
        source: str | None,
        params: dict[str, Any],
        plain: str,
        ents: list[dict[str, Any]],
        ents_param: list[dict[str, Any]] | None,
    ) -> str | None:
        """Text as the bot sent it: its HTML source, or Telegram HTML rebuilt from entities."""
        if not plain:
            return None
        mode = (params.get("parse_mode") or "").lower()
        if mode == "html" and ents_param is None:
            return source
        return entities_to_html(plain, ents)

    def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.target_chat(params)
        return self.state.message_api(self._send(chat, params, kind="text", text_param="text"))

    def _photo_sizes(self, value: UploadedFile | str) -> list[dict[str, Any]]:
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            return self.state.files.add_photo(value.data, strict=True)
        sizes = self.state.files.photo_set(value)
        if sizes is None:
            stored = self.state.files.get(value)
            if stored is not None:
                raise bad_request(f"can't use file of type {stored.kind.title()} as Photo")
            raise self._bad_file_reference(value)
        return sizes

    @staticmethod
    def _bad_file_reference(value: str) -> ApiError:
        if value.lower().startswith(("http://", "https://")):
            return bad_request("failed to get HTTP URL content")
        return bad_request("wrong file identifier/HTTP URL specified")

    def send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.target_chat(params)
        sizes = self._photo_sizes(params["photo"])
        payload: dict[str, Any] = {"photo": sizes}
        if params.get("has_spoiler"):
            payload["has_media_spoiler"] = True
        if params.get("show_caption_above_media"):
            payload["show_caption_above_media"] = True
        msg = self._send(chat, params, kind="photo", text_param="caption", payload=payload,
                         photo=[s["file_id"] for s in sizes])
        return self.state.message_api(msg)

    def _document(self, value: UploadedFile | str) -> dict[str, Any]:
        files = self.state.files
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            stored = files.add_document(value.data, file_name=value.filename or "document",
                                        mime_type=value.content_type)
            return files.document_json(stored)
        stored = files.get(value)
        if stored is None:
            raise self._bad_file_reference(value)
        if stored.kind != "document":
            raise bad_request(f"can't use file of type {stored.kind.title()} as Document")
        return files.document_json(stored)

    def send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.target_chat(params)
        doc = self._document(params["document"])
        msg = self._send(chat, params, kind="document", text_param="caption",
                         payload={"document": doc}, document=doc["file_id"])
        return self.state.message_api(msg)

    def send_location(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.target_chat(params)
        lat, lon = params["latitude"], params["longitude"]
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad_request("wrong location specified")
        location: dict[str, Any] = {"latitude": lat, "longitude": lon}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if key in params:
                location[key] = params[key]
        msg = self._send(chat, params, kind="location", text_param="caption",
                         payload={"location": location})
        return self.state.message_api(msg)

    def send_media_group(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self.target_chat(params)
        media = params["media"]
        if not 2 <= len(media) <= 10:
            raise bad_request("media group must contain 2-10 items")
        kinds = {item.get("type") for item in media}
        unsupported = kinds - {"photo", "document"}
        if unsupported:
            first = sorted(map(str, unsupported))[0]
            raise bad_request(f"media type {first} is not supported by the simulator")
        if len(kinds) > 1:
            raise bad_request("documents can't be mixed with other media types in an album")
        prepared = []
        for item in media:  # validate everything before storing anything
            if "media" not in item:
                raise bad_request("can't parse InputMedia: media not found")
            extra = {k: item[k] for k in ("caption", "parse_mode", "caption_entities") if k in item}
            prepare_text(extra.get("caption"), extra.get("parse_mode"),
                         extra.get("caption_entities"), caption=True)
            prepared.append((item, extra))
        self._reply_to(chat, params)
        self._media_group_counter += 1
        group_id = str(13_000_000_000_000_000 + self._media_group_counter)
        result = []
        for item, extra in prepared:
            item_params = {**extra, "reply_parameters": params.get("reply_parameters")}
            if item["type"] == "photo":
                sizes = self._photo_sizes(item["media"])
                msg = self._send(chat, item_params, kind="photo", text_param="caption",
                                 payload={"photo": sizes}, photo=[s["file_id"] for s in sizes],
                                 media_group_id=group_id, allow_markup=False)
            else:
                doc = self._document(item["media"])
                msg = self._send(chat, item_params, kind="document", text_param="caption",
                                 payload={"document": doc}, document=doc["file_id"],
                                 media_group_id=group_id, allow_markup=False)
            result.append(self.state.message_api(msg))
        return result

    def send_chat_action(self, params: dict[str, Any]) -> bool:
        chat = self.target_chat(params)
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        if self.state.subscribers:
            self.state.publish({"type": "chat_action", "chat_id": chat.id, "message": None,
                                "action": params["action"]})
        return True

    def _source_message(self, params: dict[str, Any], verb: str) -> SimMessage:
        source_chat = self.find_chat(params["from_chat_id"])
        if source_chat is None or not source_chat.started:
            raise bad_request("chat not found")
        msg = source_chat.by_id.get(params["message_id"])
        if msg is None or msg.deleted:
            raise bad_request(f"message to {verb} not found")
        if msg.kind not in ("text", "photo", "document", "location", "contact", "sticker"):
            raise bad_request(f"message of kind {msg.kind} can't be {verb}ed by the simulator")
        return msg

    def _duplicate(self, chat: ChatState, src: SimMessage, fields: dict[str, Any]) -> SimMessage:
        return self.state.add_message(chat, {
            "from_bot": True, "sender": self.state.bot_user, "kind": src.kind,
            "text": src.text, "html": src.html, "entities": list(src.entities),
            "photo": list(src.photo), "document": src.document,
            "payload": {k: v for k, v in src.payload.items() if k != "forward_origin"},
            **fields,
        })

    def copy_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.target_chat(params)
        src = self._source_message(params, "copy")
        markup = params.get("reply_markup")
        markup_kind = check_reply_markup(markup)
        fields: dict[str, Any] = {"reply_markup": markup,
                                  "reply_to_message_id": self._reply_to(chat, params)}
        if "caption" in params and src.kind in ("photo", "document"):
            source, ents_param = params["caption"], params.get("caption_entities")
            plain, ents = prepare_text(source, params.get("parse_mode"), ents_param, caption=True)
            fields.update(text=plain or None, entities=ents,
                          html=self._source_html(source, params, plain, ents, ents_param))
        if markup_kind == "keyboard":
            chat.reply_keyboard = markup
        elif markup_kind == "remove":
            chat.reply_keyboard = None
        return {"message_id": self._duplicate(chat, src, fields).message_id}

    def forward_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.target_chat(params)
        src = self._source_message(params, "forward")
        origin = {"type": "user", "date": src.date, "sender_user": src.sender}
        msg = self._duplicate(chat, src, {})
        msg.payload["forward_origin"] = src.payload.get("forward_origin", origin)
        return self.state.message_api(msg)

    def set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        key = ("menu_button", str(params.get("chat_id", "")))
        self.state.settings[key] = params.get("menu_button") or {"type": "default"}
        return True

    def get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        specific = self.state.settings.get(("menu_button", str(params.get("chat_id", ""))))
        return specific or self.state.settings.get(("menu_button", ""), {"type": "default"})

    # -- editing and deleting -------------------------------------------------------------------

    def _editable(self, params: dict[str, Any]) -> SimMessage:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the simulator")
        chat = self.target_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        msg = chat.by_id.get(message_id)
        if msg is None or msg.deleted:
            raise bad_request("message to edit not found")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return msg

    @staticmethod
    def _inline_markup(msg: SimMessage) -> dict[str, Any] | None:
        markup = msg.reply_markup
        return markup if markup and "inline_keyboard" in markup else None

    def _apply_edit(self, msg: SimMessage, text: str | None, ents: list, html: str | None,
                    markup: dict[str, Any] | None) -> dict[str, Any]:
        if text == msg.text and ents == msg.entities and markup == self._inline_markup(msg):
            raise bad_request(_NOT_MODIFIED)
        msg.text, msg.entities, msg.html = text, ents, html
        if markup is not None or self._inline_markup(msg) is not None:
            msg.reply_markup = markup  # editing without reply_markup drops the inline keyboard
        self.state.touch(msg, "edit")
        return self.state.message_api(msg)

    def edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._editable(params)
        if msg.kind != "text":
            raise bad_request("there is no text in the message to edit")
        markup = params.get("reply_markup")
        check_reply_markup(markup, inline_only=True)
        source = params.get("text")
        plain, ents = prepare_text(source, params.get("parse_mode"), params.get("entities"))
        html = self._source_html(source, params, plain, ents, params.get("entities"))
        return self._apply_edit(msg, plain, ents, html, markup)

    def edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._editable(params)
        if msg.kind not in ("photo", "document"):
            raise bad_request("there is no caption in the message to edit")
        markup = params.get("reply_markup")
        check_reply_markup(markup, inline_only=True)
        source = params.get("caption")
        ents_param = params.get("caption_entities")
        plain, ents = prepare_text(source, params.get("parse_mode"), ents_param, caption=True)
        html = self._source_html(source, params, plain, ents, ents_param)
        return self._apply_edit(msg, plain or None, ents, html, markup)

    def edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._editable(params)
        markup = params.get("reply_markup")
        check_reply_markup(markup, inline_only=True)
        return self._apply_edit(msg, msg.text, msg.entities, msg.html, markup)

    def delete_message(self, params: dict[str, Any]) -> bool:
        chat = self.target_chat(params)
        msg = chat.by_id.get(params["message_id"])
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found")
        msg.deleted = True
        self.state.touch(msg, "delete")
        return True

    def delete_messages(self, params: dict[str, Any]) -> bool:
        chat = self.target_chat(params)
        ids = params["message_ids"]
        if not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 items")
        for message_id in ids:
            msg = chat.by_id.get(message_id)
            if msg is not None and not msg.deleted:
                msg.deleted = True
                self.state.touch(msg, "delete")
        return True

    # -- callback queries, files, commands, misc ----------------------------------------------

    def answer_callback_query(self, params: dict[str, Any]) -> bool:
        query = self.state.callback_queries.get(params["callback_query_id"])
        if query is None or query.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        check_callback_answer_text(params.get("text"))
        query.answered = True
        query.text = params.get("text")
        query.show_alert = bool(params.get("show_alert", False))
        query.url = params.get("url")
        query.answered_at = time.time()
        chat = self.state.chats.get(query.chat_id)
        msg = chat.by_id.get(query.message_id) if chat else None
        self.state.changed(
            "callback_answer", msg, chat_id=query.chat_id,
            answer={"callback_query_id": query.query_id, "text": query.text,
                    "show_alert": query.show_alert, "url": query.url},
        )
        return True

    def get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.state.files.get(params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return self.state.files.file_json(stored)

    def set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands")
        clean = []
        for cmd in commands:
            name, desc = cmd.get("command"), cmd.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(desc, str) or not 1 <= len(desc.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": desc})
        key = self._commands_key(params)
        if clean:
            self.state.commands[key] = clean
        else:
            self.state.commands.pop(key, None)
        return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        lang = params.get("language_code") or ""
        if lang and not _LANG_RE.fullmatch(lang):
            raise bad_request("LANG_CODE_INVALID")
        return scope_key(params.get("scope")), lang

    def get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.state.commands.get(self._commands_key(params), []))

    def delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.state.commands.pop(self._commands_key(params), None)
        return True

    def get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.find_chat(params["chat_id"])
        if chat is None or not chat.started:
            raise bad_request("chat not found")
        return {
            **chat.chat, "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": True, "limited_gifts": True,
                                    "unique_gifts": True, "premium_subscription": True,
                                    "gifts_from_channels": True},
        }

    def get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.state.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _setter(self, name: str) -> Callable[[dict[str, Any]], bool]:
        field_name = {"Description": "description", "ShortDescription": "short_description",
                      "Name": "name"}[name]

        def setter(params: dict[str, Any]) -> bool:
            lang = self._commands_key({"language_code": params.get("language_code")})[1]
            self.state.settings[(field_name, lang)] = params.get(field_name) or ""
            return True

        return setter

    def _getter(self, name: str) -> Callable[[dict[str, Any]], dict[str, str]]:
        field_name = {"Description": "description", "ShortDescription": "short_description",
                      "Name": "name"}[name]

        def getter(params: dict[str, Any]) -> dict[str, str]:
            lang = self._commands_key({"language_code": params.get("language_code")})[1]
            default = self.state.bot_user["first_name"] if field_name == "name" else ""
            return {field_name: self.state.settings.get((field_name, lang), default)}

        return getter
