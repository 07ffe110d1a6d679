"""Shape simulator messages and events into the small JSON the chat page renders."""

from __future__ import annotations

from typing import Any

from simulator import BotApiSimulator

# events of the simulator the page shows; user presses and others are left out
PAGE_EVENTS = {"message", "edit", "delete", "callback_answer", "chat_action"}


def file_url(file_id: str) -> str:
    return f"/api/files/{file_id}"


def _inline_rows(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [[{"text": button.get("text", ""), "data": button.get("callback_data"),
              "url": button.get("url")} for button in row if isinstance(button, dict)]
            for row in rows]


def message_view(message: dict[str, Any]) -> dict[str, Any]:
    """One chat bubble: safe HTML, inline buttons and the media it carries."""
    payload = message.get("payload") or {}
    view: dict[str, Any] = {
        "id": message["message_id"],
        "chat_id": message["chat_id"],
        "from_bot": message["from_bot"],
        "date": message["date"],
        "kind": message["kind"],
        "html": message.get("safe_html") or "",
        "edited": message.get("edited", False),
        "deleted": message.get("deleted", False),
        "buttons": _inline_rows(message.get("reply_markup")),
        "album": message.get("media_group_id"),
    }
    if message["kind"] == "photo" and message.get("photo"):
        sizes = payload.get("photo") or []
        largest = sizes[-1] if sizes else {}
        view["photo"] = {"url": file_url(message["photo"][-1]),
                         "width": largest.get("width"), "height": largest.get("height")}
    document = payload.get("document")
    if message["kind"] == "document" and document:
        view["document"] = {"url": file_url(document["file_id"]),
                            "name": document.get("file_name") or "file",
                            "size": document.get("file_size"),
                            "mime": document.get("mime_type")}
    if "location" in payload:
        view["location"] = payload["location"]
    if "contact" in payload:
        contact = payload["contact"]
        view["contact"] = {"name": " ".join(filter(None, (contact.get("first_name"),
                                                          contact.get("last_name")))),
                           "phone": contact.get("phone_number")}
    if "sticker" in payload:
        view["sticker"] = payload["sticker"].get("emoji") or ""
    return view


def reply_keyboard_view(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The reply keyboard shown under the input field, or None."""
    if not markup or not markup.get("keyboard"):
        return None
    rows = []
    for row in markup["keyboard"]:
        buttons = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            buttons.append({"text": button.get("text", ""),
                            "request_contact": bool(button.get("request_contact")),
                            "request_location": bool(button.get("request_location"))})
        rows.append(buttons)
    return {"rows": rows, "placeholder": markup.get("input_field_placeholder"),
            "one_time": bool(markup.get("one_time_keyboard"))}


def menu_commands(sim: BotApiSimulator, user_id: int) -> list[dict[str, str]]:
    """The command menu Telegram would show this user (most specific scope first)."""
    user = sim.state.users.get(user_id) or {}
    language = user.get("language_code") or ""
    for scope in (f"chat:{user_id}", "all_private_chats", "default"):
        for lang in dict.fromkeys((language, "")):
            commands = sim.commands.get((scope, lang))
            if commands:
                return list(commands)
    return []


def chat_view(sim: BotApiSimulator, user_id: int) -> dict[str, Any]:
    """Everything the page shows for one persona's chat."""
    messages = [message_view(m.to_json()) for m in sim.chat(user_id) if not m.deleted]
    return {"messages": messages,
            "reply_keyboard": reply_keyboard_view(sim.reply_keyboard(user_id)),
            "commands": menu_commands(sim, user_id)}


def event_view(sim: BotApiSimulator, event: dict[str, Any]) -> dict[str, Any] | None:
    """A simulator event as the page needs it, or None for events the page ignores."""
    kind = event.get("type")
    chat_id = event.get("chat_id")
    if kind not in PAGE_EVENTS or not isinstance(chat_id, int):
        return None
    view: dict[str, Any] = {"type": kind, "chat_id": chat_id}
    if event.get("message") is not None:
        view["message"] = message_view(event["message"])
    if kind == "message":
        view["reply_keyboard"] = reply_keyboard_view(sim.reply_keyboard(chat_id))
    if kind == "callback_answer":
        answer = event.get("answer") or {}
        view["answer"] = {"text": answer.get("text"), "alert": bool(answer.get("show_alert"))}
        view.pop("message", None)
    if kind == "chat_action":
        view["action"] = event.get("action")
    return view
