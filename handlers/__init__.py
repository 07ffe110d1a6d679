"""Telegram handlers, one module per feature; the order here is the order of registration."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from handlers import common, fallbacks

# Each module exposes register(app) and COMMANDS. Conversations come before the catch-alls.
FEATURE_MODULES = [
    "handlers.registration",
    "handlers.officials",
    "handlers.incidents",
    "handlers.complaints",
    "handlers.meetings",
    "handlers.drives",
    "handlers.broadcasts",
    "handlers.reminders",
    "handlers.reports",
]


def feature_modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in FEATURE_MODULES]


def all_commands() -> list[common.CommandSpec]:
    """Every command of every feature, in menu order."""
    specs: list[common.CommandSpec] = []
    for module in feature_modules():
        specs.extend(getattr(module, "COMMANDS", []))
    specs.extend(common.COMMANDS)
    return specs


def register_all(app: Any) -> None:
    fallbacks.register_gate(app)
    common.register(app)
    for module in feature_modules():
        module.register(app)
    fallbacks.register(app)
