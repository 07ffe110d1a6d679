"""Incident reports (laporan kejadian) from field officials, their evidence and follow-up."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import str_enum_field, utc_field


class IncidentCategory(StrEnum):
    BENCANA = "bencana"
    KEBAKARAN = "kebakaran"
    KEAMANAN = "keamanan"
    KONFLIK = "konflik"
    KESEHATAN = "kesehatan"
    INFRASTRUKTUR = "infrastruktur"
    PEMILU = "pemilu"
    LAINNYA = "lainnya"


class IncidentUrgency(StrEnum):
    BIASA = "biasa"
    PENTING = "penting"
    DARURAT = "darurat"


class IncidentStatus(StrEnum):
    BARU = "baru"
    DITERIMA = "diterima"
    DITINDAKLANJUTI = "ditindaklanjuti"
    SELESAI = "selesai"
    DITOLAK = "ditolak"


class MediaKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class Incident(SQLModel, table=True):
    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    # LK-<year>-<6 digits>, numbered per year by IncidentTicketCounter
    ticket: str = Field(max_length=20, unique=True)
    category: IncidentCategory = str_enum_field(16, index=True)
    urgency: IncidentUrgency = str_enum_field(10, index=True)
    description: str = Field(sa_type=sa.Text)
    occurred_at: datetime = utc_field()
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, max_length=500)
    # the reporter's region when the report was made; scope is decided by this code
    region_code: str = Field(foreign_key="region.code", max_length=13)
    reporter_id: int = Field(foreign_key="official.id", index=True)
    status: IncidentStatus = str_enum_field(16, index=True, default=IncidentStatus.BARU)
    created_at: datetime = utc_field(index=True)
    updated_at: datetime = utc_field()

    # lists filter by a region-code prefix and sort by time
    __table_args__ = (
        sa.Index("ix_incident_region_created", "region_code", "created_at"),
        # the recap's grouped counts and a period's list counts, from the index alone
        sa.Index("ix_incident_created_cover", "created_at", "region_code", "category",
                 "urgency", "status", "reporter_id"),
        # the recap's groups in index order (kecamatan = the code's first 8 characters)
        sa.Index("ix_incident_kecamatan_cover", sa.text("substr(region_code, 1, 8)"), "category",
                 "urgency", "status", "created_at", "region_code"),
        # an area's reports of one category
        sa.Index("ix_incident_region_category", "region_code", "category", "created_at"),
        # open emergencies, which lists show first
        sa.Index("ix_incident_urgency_status", "urgency", "status", "created_at"),
    )


class IncidentMedia(SQLModel, table=True):
    __tablename__ = "incident_media"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    position: int = 0
    kind: MediaKind = str_enum_field(10)
    file_id: str = Field(max_length=200)
    file_unique_id: str = Field(max_length=64)
    # relative to the data directory, so the directory can move; None if the copy failed
    local_path: str | None = Field(default=None, max_length=300)
    size: int | None = None
    file_name: str | None = Field(default=None, max_length=200)


class IncidentStatusChange(SQLModel, table=True):
    __tablename__ = "incident_status_change"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    # None for the first entry, written when the report is submitted
    from_status: IncidentStatus | None = str_enum_field(16, default=None, nullable=True)
    to_status: IncidentStatus = str_enum_field(16)
    actor_id: int = Field(foreign_key="official.id")
    at: datetime = utc_field()
    note: str = Field(default="", max_length=1000)


class IncidentInfoRequest(SQLModel, table=True):
    __tablename__ = "incident_info_request"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    question: str = Field(max_length=1000)
    asked_by_id: int = Field(foreign_key="official.id")
    asked_at: datetime = utc_field()
    answer: str | None = Field(default=None, sa_type=sa.Text)
    answered_at: datetime | None = utc_field(nullable=True)


class IncidentTicketCounter(SQLModel, table=True):
    """The last ticket number given out per year; bumped atomically by one upsert."""

    __tablename__ = "incident_ticket_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = 0
