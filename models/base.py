"""Shared column types: UTC timestamps that stay timezone-aware on SQLite too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; SQLite drops the zone, so it is restored on load."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored time must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_field(*, nullable: bool = False, index: bool = False, **kwargs: Any) -> Any:
    """A timezone-aware UTC timestamp column (no default: time comes from the clock)."""
    default = None if nullable else ...
    return Field(default=kwargs.pop("default", default), sa_type=UTCDateTime, nullable=nullable,
                 index=index, **kwargs)


def str_enum_field(length: int = 24, **kwargs: Any) -> Any:
    """A StrEnum stored as plain text, so adding a value needs no database enum migration."""
    return Field(sa_type=sa.String(length), **kwargs)
