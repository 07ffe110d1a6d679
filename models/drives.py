"""Perekaman e-KTP drives: the drive and one target row per kelurahan/desa."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import str_enum_field, utc_field


class DriveStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Drive(SQLModel, table=True):
    __tablename__ = "drive"

    id: int | None = Field(default=None, primary_key=True)
    # the organising area (the admin's kab/kota); every target lies within it
    region_code: str = Field(foreign_key="region.code", index=True, max_length=13)
    timezone: str = Field(max_length=20)
    starts_at: datetime = utc_field(index=True)
    ends_at: datetime = utc_field()
    place: str = Field(max_length=300)
    target_group: str = Field(max_length=300)
    status: DriveStatus = str_enum_field(12, default=DriveStatus.SCHEDULED)
    created_by_id: int = Field(foreign_key="official.id")
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class DriveTarget(SQLModel, table=True):
    __tablename__ = "drive_target"

    id: int | None = Field(default=None, primary_key=True)
    drive_id: int = Field(foreign_key="drive.id", index=True)
    region_code: str = Field(foreign_key="region.code", index=True, max_length=13)
    target_count: int
    realised_count: int | None = None
    reported_at: datetime | None = utc_field(nullable=True)
    reported_by_id: int | None = Field(default=None, foreign_key="official.id")

    __table_args__ = (
        sa.UniqueConstraint("drive_id", "region_code", name="uq_drive_target_region"),
    )
