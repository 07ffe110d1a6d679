"""What the access walk needs to know: the kinds of user, the expected refusals, and every
callback kind the running application registers (with the guard action, when it has one)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, ConversationHandler

from bot.i18n import Translator
from bot.policy import POLICY, Action
from handlers.common import CommandSpec
from models.officials import OfficialStatus, Role


@dataclass(frozen=True)
class Person:
    """One kind of user in the walk."""

    label: str
    telegram_id: int
    role: Role | None = None  # None: never registered
    region: str | None = None
    status: OfficialStatus = OfficialStatus.ACTIVE

    @property
    def active(self) -> bool:
        return self.role is not None and self.status == OfficialStatus.ACTIVE


# area A: Kota Cimahi (32.77), kecamatan Cimahi Utara; area B: Kota Kupang (53.71), Alak
PEOPLE = [
    Person("unregistered", 9001),
    Person("pending", 9002, Role.LURAH, "32.77.03.1001", OfficialStatus.PENDING),
    Person("rejected", 9003, Role.LURAH, "32.77.03.1003", OfficialStatus.REJECTED),
    Person("deactivated", 9004, Role.LURAH, "32.77.03.1004", OfficialStatus.DEACTIVATED),
    Person("lurah A", 9101, Role.LURAH, "32.77.03.1002"),
    Person("lurah B", 9102, Role.LURAH, "53.71.01.1001"),
    Person("camat A", 9201, Role.CAMAT, "32.77.03"),
    Person("camat B", 9202, Role.CAMAT, "53.71.01"),
    Person("admin A", 9301, Role.ADMIN, "32.77"),
    Person("superadmin", 9401, Role.SUPERADMIN, None),
]
BY_LABEL = {p.label: p for p in PEOPLE}

# Commands anyone may use, registered or not: help (strangers get how to register), the
# language and /batal. /start registers strangers and tells everyone else their status.
OPEN_COMMANDS = {"bantuan", "help", "bahasa", "language", "batal", "cancel"}
ACCESS_KEYS = ("unregistered", "pending", "rejected", "deactivated", "not_allowed")
TR = Translator("id")


def plain(html_text: str) -> str:
    """A catalog message as the user reads it (tags gone, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text)).strip()


ACCESS_TEXTS = {plain(TR(f"common.access.{key}")): key for key in ACCESS_KEYS}
STALE_TEXT = plain(TR("common.errors.stale_button"))


def status_key(person: Person) -> str:
    return "unregistered" if person.role is None else str(person.status)


def expected_command_refusal(person: Person, spec: CommandSpec, name: str) -> str | None:
    """The access key the bot must answer a command with, or None when it must serve it."""
    if name in OPEN_COMMANDS:
        return None
    if not person.active:
        if name == "start" and person.role is None:
            return None
        return status_key(person)
    assert person.role is not None
    return None if person.role in POLICY[spec.action] else "not_allowed"


# --- callback kinds ----------------------------------------------------------------------

_PATTERN = re.compile(r"\^w1:(?P<stem>(?:[a-z0-9_]|\\\.)+)(?:\[(?P<choices>[a-z0-9]+)\])?"
                      r"(?:\(:\|\$\)|:)")



@dataclass
class CallbackKind:
    """A callback kind, whether a press can reach it outside a conversation, and its guard."""

    kind: str
    pattern: re.Pattern[str]
    top_level: bool = False
    action: Action | None = None  # the guard of the first top-level handler, if any


def guard_action(callback: Any) -> Action | None:
    """The Action a guard-style wrapper (handlers.common.guard or alike) checks, if any."""
    cells = getattr(callback, "__closure__", None) or ()
    actions = [c.cell_contents for c in cells if isinstance(c.cell_contents, Action)]
    return actions[0] if len(actions) == 1 else None


def kinds_of(pattern: str) -> list[str]:
    match = _PATTERN.match(pattern)
    if match is None:
        raise AssertionError(f"callback pattern {pattern!r} is not of a known shape; teach "
                             "tests/security/access.py to build a press for it")
    stem = match["stem"].replace("\\.", ".")
    return [stem + c for c in match["choices"]] if match["choices"] else [stem]


def callback_kinds(app: Any) -> dict[str, CallbackKind]:
    """Every callback kind a handler of the application matches, in registration order."""
    found: dict[str, CallbackKind] = {}

    def visit(handler: BaseHandler[Any, Any, Any], top_level: bool) -> None:
        if isinstance(handler, ConversationHandler):
            for entry in handler.entry_points:
                visit(entry, top_level)
            for state_handlers in handler.states.values():
                for inner in state_handlers:
                    visit(inner, False)
            for fallback in handler.fallbacks:
                visit(fallback, False)
            return
        if not isinstance(handler, CallbackQueryHandler) or handler.pattern is None:
            return
        pattern = handler.pattern
        if not isinstance(pattern, re.Pattern):
            raise AssertionError(f"non-regex callback pattern {pattern!r}")
        for kind in kinds_of(pattern.pattern):
            entry = found.setdefault(kind, CallbackKind(kind, pattern))
            if top_level and not entry.top_level:
                entry.top_level = True
                entry.action = guard_action(handler.callback)

    for group in sorted(app.handlers):
        for handler in app.handlers[group]:
            visit(handler, True)
    return found
