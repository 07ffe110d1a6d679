"""Demo personas (who you can chat as) and preset places, read from seed_data.toml."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from models.officials import Role

SEED_DATA_FILE = Path(__file__).resolve().parent / "seed_data.toml"
ADDED_PERSONAS_FILE = "personas-added.json"
FIRST_ADDED_ID = 729001


@dataclass(frozen=True)
class Persona:
    """A Telegram user of the demo; officials among them are seeded through the services."""

    telegram_id: int
    label: str
    first_name: str
    phone: str
    group: str
    last_name: str | None = None
    full_name: str | None = None
    role: Role | None = None
    region: str | None = None
    nip: str | None = None

    @property
    def is_official(self) -> bool:
        return self.role is not None and self.region is not None and self.full_name is not None

    def public(self) -> dict[str, Any]:
        """What the page needs to know (no NIP)."""
        return {"user_id": self.telegram_id, "label": self.label, "group": self.group,
                "first_name": self.first_name, "last_name": self.last_name,
                "seeded_official": self.is_official}


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class SeedData:
    personas: tuple[Persona, ...]
    places: tuple[Place, ...]
    new_user_label: str


@cache
def seed_data() -> SeedData:
    """The shipped personas and places."""
    with SEED_DATA_FILE.open("rb") as handle:
        raw = tomllib.load(handle)
    personas = tuple(
        Persona(**{**item, "role": Role(item["role"]) if "role" in item else None})
        for item in raw["personas"])
    places = tuple(Place(**item) for item in raw["places"])
    return SeedData(personas, places, raw["new_user_label"])


class PersonaBook:
    """The shipped personas plus newcomers added on the page (remembered in the data dir)."""

    def __init__(self, data_dir: Path) -> None:
        self._file = data_dir / ADDED_PERSONAS_FILE
        self._data = seed_data()
        self._added: list[Persona] = [self._newcomer(n) for n in self._load_added_numbers()]

    def _load_added_numbers(self) -> list[int]:
        try:
            numbers = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [n for n in numbers if isinstance(n, int) and 2 <= n < 1000]

    def _newcomer(self, number: int) -> Persona:
        template = next(p for p in self._data.personas if not p.is_official)
        return Persona(telegram_id=FIRST_ADDED_ID + number, first_name="Pengguna",
                       last_name=f"Baru {number}", phone=f"+62813221{20000 + number:05d}",
                       label=self._data.new_user_label.format(n=number), group=template.group)

    @property
    def all(self) -> list[Persona]:
        return [*self._data.personas, *self._added]

    def get(self, telegram_id: int) -> Persona | None:
        return next((p for p in self.all if p.telegram_id == telegram_id), None)

    def add_newcomer(self) -> Persona:
        """One more unregistered user, e.g. for each trainee of a session."""
        number = 2 + len(self._added)
        persona = self._newcomer(number)
        self._added.append(persona)
        self._file.parent.mkdir(parents=True, exist_ok=True)
        self._file.write_text(json.dumps([2 + i for i in range(len(self._added))]),
                              encoding="utf-8")
        return persona
