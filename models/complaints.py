"""Citizen complaints (pengaduan masyarakat): the complaint, its status history and photos."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import str_enum_field, utc_field


class ComplaintStatus(StrEnum):
    DITERIMA = "diterima"
    DIPROSES = "diproses"
    DITERUSKAN = "diteruskan"
    SELESAI = "selesai"
    DITOLAK = "ditolak"


class ComplaintChannel(StrEnum):
    DATANG = "datang"
    TELEPON = "telepon"
    MEDSOS = "medsos"
    LAINNYA = "lainnya"


class ComplaintCategory(StrEnum):
    ADMINDUK = "adminduk"
    INFRASTRUKTUR = "infrastruktur"
    KEBERSIHAN = "kebersihan"
    KEAMANAN = "keamanan"
    PELAYANAN = "pelayanan"
    PUNGLI = "pungli"
    PERTANAHAN = "pertanahan"
    SOSIAL = "sosial"
    LAINNYA = "lainnya"


class ForwardTarget(StrEnum):
    CAMAT = "camat"
    AGENCY = "opd"


# Citizen identifiers that must never reach a log line through a model's repr.
_PRIVATE_FIELDS = frozenset({"citizen_nik", "citizen_phone"})


class Complaint(SQLModel, table=True):
    __tablename__ = "complaint"

    id: int | None = Field(default=None, primary_key=True)
    ticket: str = Field(max_length=20, unique=True)
    year: int
    sequence: int
    region_code: str = Field(foreign_key="region.code", max_length=13, index=True)
    recorded_by_id: int = Field(foreign_key="official.id", index=True)
    # who must answer now: the recorder, or the camat once forwarded there
    assignee_id: int = Field(foreign_key="official.id")
    citizen_name: str = Field(max_length=120)
    citizen_phone: str | None = Field(default=None, max_length=16)
    citizen_nik: str | None = Field(default=None, max_length=16, index=True)
    channel: ComplaintChannel = str_enum_field(12)
    category: ComplaintCategory = str_enum_field(16, index=True)
    description: str = Field(sa_type=sa.Text)
    location_text: str | None = Field(default=None, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    status: ComplaintStatus = str_enum_field(12, index=True)
    forwarded_to: ForwardTarget | None = str_enum_field(8, default=None, nullable=True)
    forwarded_agency: str | None = Field(default=None, max_length=120)
    resolution_note: str | None = Field(default=None, sa_type=sa.Text)
    received_at: datetime = utc_field(index=True)
    # the expected answer date (local calendar day) and its last second, local, in UTC
    due_on: date = Field(sa_type=sa.Date)
    due_at: datetime = utc_field(index=True)
    closed_at: datetime | None = utc_field(nullable=True)
    updated_at: datetime = utc_field()

    __table_args__ = (
        sa.UniqueConstraint("year", "sequence", name="uq_complaint_year_sequence"),
        # the recap's complaint figures, from the index alone
        sa.Index("ix_complaint_received_cover", "received_at", "region_code", "category",
                 "status", "due_at", "closed_at"),
    )

    def __repr_args__(self) -> Any:
        return [(k, v) for k, v in super().__repr_args__() if k not in _PRIVATE_FIELDS]


class ComplaintTicketCounter(SQLModel, table=True):
    """The last ticket number handed out per year; bumped with one atomic upsert."""

    __tablename__ = "complaint_ticket_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_sequence: int = 0


class ComplaintStatusChange(SQLModel, table=True):
    __tablename__ = "complaint_status_change"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    from_status: ComplaintStatus | None = str_enum_field(12, default=None, nullable=True)
    to_status: ComplaintStatus = str_enum_field(12)
    actor_id: int = Field(foreign_key="official.id")
    at: datetime = utc_field()
    note: str | None = Field(default=None, sa_type=sa.Text)
    forwarded_to: ForwardTarget | None = str_enum_field(8, default=None, nullable=True)
    forwarded_agency: str | None = Field(default=None, max_length=120)


class ComplaintMedia(SQLModel, table=True):
    __tablename__ = "complaint_media"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    file_id: str = Field(max_length=200)
    file_unique_id: str = Field(max_length=64)
    kind: str = Field(default="photo", max_length=12)
    added_by_id: int = Field(foreign_key="official.id")
    added_at: datetime = utc_field()
