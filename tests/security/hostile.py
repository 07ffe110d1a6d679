"""Hostile input for the fuzz tests: text that breaks naive code, and media nobody asked for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from simulator import tiny_png
from simulator.telegram_html import utf16_len

MAX_TEXT = 4096
RTL = ["\u202eterbalik\u202c", "مرحبا بالعالم", "שלום עולם", "\u200fkanan\u200e", "\u2067x\u2069"]
ZERO_WIDTH = ["\u200b", "a\u200cb", "\u200d", "\ufeffBOM", "\u2060", "\u180e", "\u00ad"]
EMOJI = ["👍", "🇮🇩", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🤦🏽‍♂️", "🧑🏿‍🚒", "\U0001fae0"]
COMBINING = ["e\u0301", "Z\u0364\u0351\u0313a\u0308\u0316l\u036e", "o" + "\u0300" * 40]
MARKUP = ["<b>", "</b>", "<b>tebal", "<a href=\"javascript:alert(1)\">x</a>", "&amp;", "&",
          "<", ">", "&#0;", "&lt;", "<tg-spoiler>", "<pre><code class=\"language-x\">", "<!--",
          "<script>alert(1)</script>", "\"", "'", "<blockquote expandable>", "<br/>"]
MARKDOWN = ["*tebal*", "_miring_", "`kode`", "```", "[tautan](http://x.y)", "~coret~",
            "||spoiler||", "\\", "__", "#tagar", "@someone_else", "https://t.me/+abc"]
TRICKY = ["0", "-1", "9" * 30, "NaN", "١٢٣", "３２", "%s%n", "{0}", "{name}", "{}", "{{}}",
          "${jndi:ldap://x}", "' OR 1=1 --", "Robert'); DROP TABLE official;--", "null",
          "None", "\n\n\n", "\t", " . ", "31/02/2031 25.61", "besok", "08.00", "1e308",
          "3277034105900001", "+6281234567890"]
PIECES = RTL + ZERO_WIDTH + EMOJI + COMBINING + MARKUP + MARKDOWN + TRICKY
FILE_NAMES = ["laporan.pdf", "../../etc/passwd", "x" * 200 + ".exe", "laporan <b>.docx",
              "🙂.png", ".hidden", "CON", "a\u202egnp.exe", None]
MIME_TYPES = [None, "application/pdf", "image/png", "application/x-msdownload", "text/html"]
PHONES = ["+6281234567890", "0", "+1 (555) 0100", "<b>", "081234567890123456789", "+62 812"]


@dataclass(frozen=True)
class Hostile:
    """One input: kind is text, command, sticker, photo, document, location, contact, press."""

    kind: str
    value: Any = None

    def __repr__(self) -> str:
        shown = repr(self.value)
        return f"{self.kind}({shown[:120]}{'…' if len(shown) > 120 else ''})"


def fit(text: str, limit: int = MAX_TEXT) -> str:
    """Cut to at most `limit` UTF-16 units (what Telegram counts), never inside a character."""
    kept, units = [], 0
    for char in text:
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            break
        kept.append(char)
    return "".join(kept)


def _usable(text: str) -> bool:
    text = text.strip()
    return bool(text) and not text.startswith("/") and utf16_len(text) <= MAX_TEXT


_chars = st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"))
short_texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(_chars, min_size=1,
                                                                  max_size=12)),
                       min_size=1, max_size=6).map("".join)
long_texts = st.builds(lambda piece, size: fit(piece * (size // max(len(piece), 1) + 1), size),
                       st.sampled_from([*PIECES, "a", "kata "]), st.integers(200, MAX_TEXT))
texts = st.one_of(short_texts, short_texts, long_texts).map(str.strip).filter(_usable)


def hostile_inputs(*, commands: list[str], presses: st.SearchStrategy[tuple[int, str]]
                   ) -> st.SearchStrategy[Hostile]:
    """Any input a user (or a modified client) can send at any step of a conversation."""
    return st.one_of(
        texts.map(lambda t: Hostile("text", t)),
        st.sampled_from(commands).map(lambda c: Hostile("command", c)),
        st.sampled_from(EMOJI).map(lambda e: Hostile("sticker", e)),
        st.tuples(st.integers(1, 6), st.integers(1, 6),
                  st.one_of(st.none(), short_texts.map(lambda t: fit(t.strip(), 1024))
                            .filter(lambda t: bool(t.strip()))))
        .map(lambda v: Hostile("photo", v)),
        st.tuples(st.binary(min_size=1, max_size=300), st.sampled_from(FILE_NAMES),
                  st.sampled_from(MIME_TYPES)).map(lambda v: Hostile("document", v)),
        st.tuples(st.floats(-90, 90), st.floats(-180, 180)).map(lambda v: Hostile("location", v)),
        st.tuples(st.sampled_from(PHONES), st.booleans()).map(lambda v: Hostile("contact", v)),
        presses.map(lambda v: Hostile("press", v)),
    )


def forged_presses(kinds: list[str]) -> st.SearchStrategy[str]:
    """Callback data a modified client could send: known kinds with junk, or plain junk."""
    junk_arg = st.from_regex(r"[0-9x_.\-]{0,8}", fullmatch=True)
    known = st.builds(lambda kind, args: ":".join(["w1", kind, *args])[:64],
                      st.sampled_from(kinds), st.lists(junk_arg, max_size=3))
    raw = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=64)
    return st.one_of(known, known, raw)


async def send(driver: Any, user_id: int, item: Hostile) -> Any:
    """Deliver one hostile input through the simulator and wait until the bot handled it."""
    kind, value = item.kind, item.value
    if kind in ("text", "command"):
        return await driver.text(user_id, value)
    if kind == "sticker":
        return await driver.act(user_id, "send_sticker", emoji=value)
    if kind == "photo":
        width, height, caption = value
        return await driver.act(user_id, "send_photo", tiny_png(width, height), caption=caption)
    if kind == "document":
        data, name, mime = value
        return await driver.act(user_id, "send_document", data, file_name=name or "file",
                                mime_type=mime)
    if kind == "location":
        return await driver.act(user_id, "send_location", *value)
    if kind == "contact":
        phone, own = value
        return await driver.act(user_id, "send_contact", phone,
                                contact_user_id=user_id if own else user_id + 1)
    if kind == "press":
        message_id, data = value
        return await driver.press(user_id, data, message_id=message_id)
    raise AssertionError(kind)
