"""Administrative regions (wilayah) with their Kemendagri codes and time zones."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import str_enum_field


class RegionLevel(StrEnum):
    PROVINSI = "provinsi"
    KABKOTA = "kabkota"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"
    DESA = "desa"


class Region(SQLModel, table=True):
    __tablename__ = "region"

    code: str = Field(primary_key=True, max_length=13)
    name: str = Field(max_length=120)
    level: RegionLevel = str_enum_field(12)
    parent_code: str | None = Field(default=None, max_length=13, index=True)
    timezone: str = Field(max_length=20)

    __table_args__ = (sa.Index("ix_region_level_name", "level", "name"),)
