"""Message catalogs: bot/locales/<lang>/*.toml merged into one catalog per language.

Every value interpolated into a message is HTML-escaped unless wrapped in `Html`, so
user-supplied text can never break a message sent with parse_mode HTML.
"""

from __future__ import annotations

import html
import string
import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("id", "en")
ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


class Html(str):
    """Text that is already safe HTML (built from the catalog), so it is not escaped again."""


def _flatten(prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(name, value, into)
        else:
            into[name] = str(value)


@cache
def catalog(language: str) -> dict[str, str]:
    """All messages of a language, keyed 'file.section.key'."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.toml")):
        with path.open("rb") as handle:
            _flatten(path.stem, tomllib.load(handle), messages)
    return messages


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Translator:
    """Renders catalog messages for one language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "id"
        self._messages = catalog(self.language)

    def __call__(self, key: str, /, **values: Any) -> str:
        return self.text(key, **values)

    def text(self, key: str, /, **values: Any) -> str:
        template = self._messages.get(key)
        if template is None:
            template = catalog("id").get(key, key)
        safe = {name: _escape(value) for name, value in values.items()}
        return template.format(**safe)

    def has(self, key: str) -> bool:
        return key in self._messages

    def datetime(self, moment: datetime, timezone: str, *, with_day: bool = True) -> str:
        """'Jumat, 1 November 2024 pukul 09.00 WITA' in the region's own time zone."""
        local = moment.astimezone(ZoneInfo(timezone))
        zone = ZONE_ABBREVIATIONS.get(timezone, local.strftime("%Z"))
        date_part = self.date(moment, timezone, with_day=with_day)
        return self.text("common.format.datetime", date=Html(date_part),
                         time=self.time(moment, timezone), zone=zone)

    def date(self, moment: datetime, timezone: str, *, with_day: bool = True) -> str:
        local = moment.astimezone(ZoneInfo(timezone))
        month = get_month_names("wide", locale=self.language)[local.month]
        text = f"{local.day} {month} {local.year}"
        if with_day:
            text = f"{get_day_names('wide', locale=self.language)[local.weekday()]}, {text}"
        return text

    def time(self, moment: datetime, timezone: str) -> str:
        local = moment.astimezone(ZoneInfo(timezone))
        separator = "." if self.language == "id" else ":"
        return f"{local.hour:02d}{separator}{local.minute:02d}"

    def number(self, value: int) -> str:
        text = f"{value:,}"
        return text.replace(",", ".") if self.language == "id" else text


def _escape(value: Any) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


def escape(value: object) -> str:
    return html.escape(str(value), quote=False)
