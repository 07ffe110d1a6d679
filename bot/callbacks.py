"""Callback data: versioned, prefixed, packed and parsed in one place, never trusted.

Format `w1:<kind>:<arg>:<arg>…` — at most 64 bytes, as Telegram requires. Handlers match on
the kind; every argument is re-checked against the database and the presser's rights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "w1"
MAX_BYTES = 64
_KIND = re.compile(r"^[a-z][a-z0-9_.]{0,15}$")
_ARG = re.compile(r"^[A-Za-z0-9_.\-]{0,24}$")


class CallbackTooLong(ValueError):
    pass


@dataclass(frozen=True)
class Callback:
    kind: str
    args: tuple[str, ...]

    def int_arg(self, index: int) -> int | None:
        try:
            return int(self.args[index])
        except (IndexError, ValueError):
            return None

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default


def pack(kind: str, *args: object) -> str:
    """Build callback data; refuses anything Telegram or parse() would not accept."""
    if not _KIND.match(kind):
        raise ValueError(f"bad callback kind {kind!r}")
    parts = [str(a) for a in args]
    for part in parts:
        if not _ARG.match(part):
            raise ValueError(f"bad callback argument {part!r}")
    data = ":".join([VERSION, kind, *parts])
    if len(data.encode()) > MAX_BYTES:
        raise CallbackTooLong(data)
    return data


def parse(data: str | None) -> Callback | None:
    """The callback, or None for anything malformed, oversized or of another version."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != VERSION or not _KIND.match(parts[1]):
        return None
    if not all(_ARG.match(p) for p in parts[2:]):
        return None
    return Callback(parts[1], tuple(parts[2:]))


def pattern(kind: str) -> str:
    """A regex for CallbackQueryHandler that matches exactly this kind."""
    return rf"^{VERSION}:{re.escape(kind)}(:|$)"
