"""Domain errors carry a catalog key, so handlers can tell the user what went wrong."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the user should read about; `key` names the catalog message."""

    key = "common.errors.generic"

    def __init__(self, key: str | None = None, **values: Any) -> None:
        super().__init__(key or self.key)
        if key is not None:
            self.key = key
        self.values = values


class NotFound(DomainError):
    key = "common.errors.not_found"


class NotAllowed(DomainError):
    key = "common.errors.not_allowed"


class InvalidInput(DomainError):
    key = "common.errors.invalid_input"


class Conflict(DomainError):
    key = "common.errors.conflict"
