"""Recaps and exports: each official's choice about the weekly digest (ringkasan mingguan)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utc_field


class DigestPreference(SQLModel, table=True):
    """Whether an official wants the Monday digest; no row means yes (the default)."""

    __tablename__ = "digest_preference"

    official_id: int = Field(foreign_key="official.id", primary_key=True,
                             sa_column_kwargs={"autoincrement": False})
    weekly_enabled: bool = True
    updated_at: datetime = utc_field()
