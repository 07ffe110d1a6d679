"""Officials (pejabat) who use the bot, their invites, and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import str_enum_field, utc_field


class Role(StrEnum):
    LURAH = "lurah"
    CAMAT = "camat"
    ADMIN = "admin"
    SUPERADMIN = "superadmin"


class OfficialStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    DEACTIVATED = "deactivated"


class Official(SQLModel, table=True):
    __tablename__ = "official"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True, index=True)
    full_name: str = Field(max_length=120)
    nip: str | None = Field(default=None, max_length=18)
    phone: str | None = Field(default=None, max_length=20)
    role: Role = str_enum_field(16)
    # kelurahan/desa for a lurah, kecamatan for a camat, kab/kota for an admin, none for superadmin
    region_code: str | None = Field(default=None, foreign_key="region.code", index=True,
                                    max_length=13)
    status: OfficialStatus = str_enum_field(16, index=True)
    language: str = Field(default="id", max_length=5)
    reachable: bool = True
    created_at: datetime = utc_field()
    decided_at: datetime | None = utc_field(nullable=True)
    decided_by_id: int | None = Field(default=None, foreign_key="official.id")


class Invite(SQLModel, table=True):
    __tablename__ = "invite"

    code: str = Field(primary_key=True, max_length=32)
    role: Role = str_enum_field(16)
    region_code: str = Field(foreign_key="region.code", max_length=13)
    created_by_id: int = Field(foreign_key="official.id")
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    used_by_id: int | None = Field(default=None, foreign_key="official.id")
    used_at: datetime | None = utc_field(nullable=True)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="official.id")
    action: str = Field(max_length=40)
    subject: str = Field(max_length=80)
    detail: str = Field(default="", max_length=500)
