"""Telegram HTML parse mode: strict parser, text limits and safe re-rendering."""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field
from typing import Any

from simulator.spec import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([a-zA-Z][a-zA-Z0-9]{0,31}));")
_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
_PLAIN_RUN_RE = re.compile(r"[^<&]+")
_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_ALLOWED_TAGS = set(_SIMPLE_TAGS) | {"a", "span", "blockquote", "tg-emoji"}
_STRIP_CHARS = " \t\r\n"


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as Telegram counts it."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


@dataclass
class _Open:
    name: str
    attrs: dict[str, str]
    offset: int
    order: int
    byte_pos: int
    language: str | None = None
    children: list[str] = field(default_factory=list)


class _Parser:
    def __init__(self, source: str):
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.u16 = 0
        self.stack: list[_Open] = []
        self.entities: list[tuple[int, int, dict[str, Any]]] = []
        self.order = 0

    def byte_offset(self, pos: int) -> int:
        return len(self.src[:pos].encode("utf-8"))

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.u16 += utf16_len(chunk)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        src, n = self.src, len(self.src)
        while self.pos < n:
            ch = src[self.pos]
            if ch == "<":
                if src.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            elif ch == "&":
                self.entity()
            else:
                m = _PLAIN_RUN_RE.match(src, self.pos)
                self.emit(m.group())
                self.pos = m.end()
        if self.stack:
            name = self.stack[-1].name
            raise _parse_error(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e[2]["offset"], -e[2]["length"], e[0]))
        return "".join(self.out), [e[2] for e in self.entities]

    def entity(self) -> None:
        m = _ENTITY_RE.match(self.src, self.pos)
        if m is None:
            # Telegram keeps a bare "&" that does not start an entity as literal text.
            self.emit("&")
            self.pos += 1
            return
        dec, hexa, name = m.groups()
        if name is not None:
            if name not in _NAMED_ENTITIES:
                offset = self.byte_offset(self.pos)
                raise _parse_error(f'Unsupported HTML entity "&{name};" at byte offset {offset}')
            self.emit(_NAMED_ENTITIES[name])
        else:
            code = int(dec) if dec is not None else int(hexa, 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise _parse_error(
                    f"Invalid numeric HTML entity at byte offset {self.byte_offset(self.pos)}"
                )
            self.emit(chr(code))
        self.pos = m.end()

    def start_tag(self) -> None:
        start = self.pos
        m = _TAG_NAME_RE.match(self.src, start + 1)
        if m is None:
            raise _parse_error(
                f'Unexpected "<" at byte offset {self.byte_offset(start)}; escape it as "&lt;"'
            )
        name = m.group().lower()
        if name not in _ALLOWED_TAGS:
            raise _parse_error(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(start)}'
            )
        self.pos = m.end()
        attrs = self.attributes(name, start)
        tag = _Open(name, attrs, self.u16, self.order, start)
        self.order += 1
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _parse_error('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise _parse_error('Tag "tg-emoji" must have attribute "emoji-id"')
        if self.stack:
            self.stack[-1].children.append(name)
        self.stack.append(tag)

    def attributes(self, tag: str, start: int) -> dict[str, str]:
        src, n = self.src, len(self.src)
        attrs: dict[str, str] = {}
        while True:
            while self.pos < n and src[self.pos].isspace():
                self.pos += 1
            if self.pos >= n:
                raise _parse_error(f"Unclosed start tag at byte offset {self.byte_offset(start)}")
            if src[self.pos] == ">":
                self.pos += 1
                return attrs
            m = _ATTR_NAME_RE.match(src, self.pos)
            if m is None:
                raise _parse_error(
                    f'Invalid attribute in the tag "{tag}" at byte offset {self.byte_offset(start)}'
                )
            attr = m.group().lower()
            self.pos = m.end()
            while self.pos < n and src[self.pos].isspace():
                self.pos += 1
            value = ""
            if self.pos < n and src[self.pos] == "=":
                self.pos += 1
                while self.pos < n and src[self.pos].isspace():
                    self.pos += 1
                if self.pos < n and src[self.pos] in "\"'":
                    quote = src[self.pos]
                    end = src.find(quote, self.pos + 1)
                    if end < 0:
                        raise _parse_error(
                            f"Unclosed start tag at byte offset {self.byte_offset(start)}"
                        )
                    raw = src[self.pos + 1:end]
                    self.pos = end + 1
                else:
                    end = self.pos
                    while end < n and not src[end].isspace() and src[end] != ">":
                        end += 1
                    raw = src[self.pos:end]
                    self.pos = end
                value = _decode_attribute(raw)
            attrs[attr] = value

    def end_tag(self) -> None:
        start = self.pos
        close = self.src.find(">", start)
        if close < 0:
            raise _parse_error(f"Unclosed end tag at byte offset {self.byte_offset(start)}")
        name = self.src[start + 2:close].strip().lower()
        self.pos = close + 1
        if not self.stack:
            raise _parse_error(f"Unexpected end tag at byte offset {self.byte_offset(start)}")
        top = self.stack.pop()
        if top.name != name:
            raise _parse_error(
                f"Unmatched end tag at byte offset {self.byte_offset(start)}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        self.finish(top)

    def finish(self, tag: _Open) -> None:
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            cls = tag.attrs.get("class", "")
            if cls.startswith("language-") and len(cls) > 9:
                parent.language = cls[9:]
            if tag.offset == parent.offset and parent.children == ["code"]:
                return  # <pre><code> collapses into a single pre entity
        length = self.u16 - tag.offset
        if length <= 0:
            return
        entity: dict[str, Any] = {"offset": tag.offset, "length": length}
        if tag.name in _SIMPLE_TAGS:
            entity["type"] = _SIMPLE_TAGS[tag.name]
            if tag.name == "pre" and tag.language:
                entity["language"] = tag.language
        elif tag.name == "span":
            entity["type"] = "spoiler"
        elif tag.name == "a":
            href = tag.attrs.get("href", "").strip()
            if not href:
                return
            entity["type"] = "text_link"
            entity["url"] = href
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
        elif tag.name == "tg-emoji":
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        self.entities.append((tag.order, 0, {"type": entity.pop("type"), **entity}))


def _decode_attribute(raw: str) -> str:
    def repl(m: re.Match[str]) -> str:
        dec, hexa, name = m.groups()
        if name is not None:
            return _NAMED_ENTITIES.get(name, m.group())
        code = int(dec) if dec is not None else int(hexa, 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group()

    return _ENTITY_RE.sub(repl, raw)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into plain text and MessageEntity dicts (UTF-16 offsets)."""
    return _Parser(text).run()


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace like Telegram does, shifting and clipping entities."""
    stripped = text.strip(_STRIP_CHARS)
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip(_STRIP_CHARS))])
    total = utf16_len(stripped)
    result = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, total)
        if end > start:
            result.append({**ent, "offset": start, "length": end - start})
    return stripped, result


def check_entities(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate explicit MessageEntity dicts against the text (offsets in UTF-16)."""
    total = utf16_len(text)
    for ent in entities:
        offset, length = ent.get("offset"), ent.get("length")
        if not isinstance(ent.get("type"), str) or not isinstance(offset, int) or not isinstance(
            length, int
        ):
            raise bad_request("can't parse entities: entity must have type, offset and length")
        if offset < 0 or length <= 0 or offset + length > total:
            raise bad_request("can't parse entities: entity is out of the text bounds")
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def prepare_text(
    text: str | None,
    parse_mode: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    *,
    caption: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """Turn a send/edit text argument into (plain, entities), enforcing Telegram's limits."""
    text = text or ""
    if entities is not None:
        plain, ents = text, check_entities(text, entities)
    elif parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            plain, ents = parse_html(text)
        elif mode in ("markdown", "markdownv2"):
            raise bad_request(f"parse_mode {parse_mode} is not supported by the simulator")
        else:
            raise bad_request("unsupported parse_mode")
    else:
        plain, ents = text, []
    plain, ents = strip_text(plain, ents)
    size = utf16_len(plain)
    if caption:
        if size > MAX_CAPTION:
            raise bad_request("message caption is too long")
    elif size == 0:
        raise bad_request("message text is empty")
    elif size > MAX_TEXT:
        raise bad_request("message is too long")
    return plain, ents


# ---- rendering ---------------------------------------------------------------------------

_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_LANG_RE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")


def _href(url: str) -> str | None:
    url = url.strip()
    low = url.lower()
    if low.startswith(_SAFE_SCHEMES):
        return url
    if "://" not in low and ":" not in low.split("/", 1)[0]:
        return "http://" + url  # Telegram treats scheme-less links as http
    return None


def _tags(ent: dict[str, Any], text: str, browser: bool) -> tuple[str, str] | None:
    kind = ent.get("type")
    esc = _html.escape
    if kind in ("bold", "italic", "underline", "strikethrough", "code"):
        tag = {"bold": "b", "italic": "i", "underline": "u", "strikethrough": "s"}.get(kind, kind)
        return f"<{tag}>", f"</{tag}>"
    if kind == "spoiler":
        if browser:
            return '<span class="tg-spoiler">', "</span>"
        return "<tg-spoiler>", "</tg-spoiler>"
    if kind == "pre":
        lang = ent.get("language")
        if lang and _LANG_RE.fullmatch(lang):
            return f'<pre><code class="language-{esc(lang)}">', "</code></pre>"
        return "<pre>", "</pre>"
    if kind in ("blockquote", "expandable_blockquote"):
        if kind == "blockquote":
            return "<blockquote>", "</blockquote>"
        opener = '<blockquote class="tg-expandable">' if browser else "<blockquote expandable>"
        return opener, "</blockquote>"
    if kind == "custom_emoji":
        emoji_id = esc(str(ent.get("custom_emoji_id", "")))
        if browser:
            return f'<span class="tg-emoji" data-emoji-id="{emoji_id}">', "</span>"
        return f'<tg-emoji emoji-id="{emoji_id}">', "</tg-emoji>"
    if kind in ("text_link", "url", "email", "text_mention"):
        if kind == "text_link":
            url = _href(str(ent.get("url", "")))
        elif kind == "url":
            url = _href(text)
        elif kind == "email":
            url = "mailto:" + text
        else:
            url = f"tg://user?id={int(ent.get('user', {}).get('id', 0))}"
        if url is None:
            return None
        if not browser:
            return (None if kind in ("url", "email") else (f'<a href="{esc(url)}">', "</a>"))
        return (
            f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">',
            "</a>",
        )
    if browser and kind in ("bot_command", "mention", "hashtag", "cashtag", "phone_number"):
        return f'<span class="tg-{kind.replace("_", "-")}">', "</span>"
    return None


def entities_to_html(
    text: str, entities: list[dict[str, Any]] | None, *, browser: bool = False
) -> str:
    """Render plain text + entities as Telegram HTML, or as browser-safe HTML if ``browser``."""
    units: list[tuple[int, str]] = []  # (utf16 offset, char)
    pos = 0
    for ch in text:
        units.append((pos, ch))
        pos += 2 if ord(ch) > 0xFFFF else 1
    total = pos
    ents = sorted(
        (e for e in entities or () if _in_bounds(e, total)),
        key=lambda e: (e["offset"], -e["length"]),
    )
    starts: dict[int, list[tuple[int, str, str, bool]]] = {}
    for ent in ents:
        end = min(ent["offset"] + ent["length"], total)
        piece = _slice_u16(units, ent["offset"], end)
        tags = _tags(ent, piece, browser)
        if tags is not None:
            item = (end, tags[0], tags[1], ent["type"] == "pre")
            starts.setdefault(ent["offset"], []).append(item)
    out: list[str] = []
    stack: list[tuple[int, str, str, bool]] = []
    in_pre = 0
    for offset, ch in [*units, (total, "")]:
        if any(item[0] <= offset for item in stack):
            reopen = []
            while any(item[0] <= offset for item in stack):
                item = stack.pop()
                out.append(item[2])
                in_pre -= item[3]
                if item[0] > offset:
                    reopen.append(item)
            for item in reversed(reopen):
                out.append(item[1])
                in_pre += item[3]
                stack.append(item)
        for item in starts.get(offset, ()):
            out.append(item[1])
            in_pre += item[3]
            stack.append(item)
        if ch == "\n" and browser and not in_pre:
            out.append("<br>")
        elif ch:
            out.append(_html.escape(ch, quote=browser))
    return "".join(out)


def _in_bounds(ent: dict[str, Any], total: int) -> bool:
    offset, length = ent.get("offset"), ent.get("length")
    return (
        isinstance(offset, int) and isinstance(length, int) and length > 0 and 0 <= offset < total
    )


def _slice_u16(units: list[tuple[int, str]], start: int, end: int) -> str:
    return "".join(ch for off, ch in units if start <= off < end)


def safe_html(telegram_html: str) -> str:
    """Validate Telegram HTML and re-render it with whitelisted tags only, for a browser."""
    plain, ents = parse_html(telegram_html)
    return entities_to_html(plain, ents, browser=True)
