"""Rakor (coordination meetings): the meeting, one invitation per official, and a change log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import str_enum_field, utc_field


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RsvpStatus(StrEnum):
    PENDING = "pending"
    HADIR = "hadir"
    TIDAK_HADIR = "tidak_hadir"
    DIWAKILKAN = "diwakilkan"


class MeetingChangeKind(StrEnum):
    CREATED = "created"
    RESCHEDULED = "rescheduled"
    VENUE = "venue"
    CANCELLED = "cancelled"
    MINUTES = "minutes"


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    agenda: str = Field(default="", sa_type=sa.Text)
    # the organising area (the admin's kab/kota); invitees all lie within it
    region_code: str = Field(foreign_key="region.code", index=True, max_length=13)
    timezone: str = Field(max_length=20)
    starts_at: datetime = utc_field(index=True)
    ends_at: datetime = utc_field()
    venue: str = Field(max_length=300)
    venue_latitude: float | None = None
    venue_longitude: float | None = None
    rsvp_deadline: datetime = utc_field()
    status: MeetingStatus = str_enum_field(12, default=MeetingStatus.SCHEDULED)
    created_by_id: int = Field(foreign_key="official.id")
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()
    minutes_file_id: str | None = Field(default=None, max_length=200)
    minutes_file_name: str | None = Field(default=None, max_length=200)
    minutes_added_at: datetime | None = utc_field(nullable=True)


class MeetingInvite(SQLModel, table=True):
    __tablename__ = "meeting_invite"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    official_id: int = Field(foreign_key="official.id", index=True)
    rsvp: RsvpStatus = str_enum_field(12, default=RsvpStatus.PENDING)
    delegate_name: str | None = Field(default=None, max_length=120)
    delegate_position: str | None = Field(default=None, max_length=120)
    reason: str | None = Field(default=None, max_length=300)
    answered_at: datetime | None = utc_field(nullable=True)
    checked_in_at: datetime | None = utc_field(nullable=True)
    # who recorded the attendance: the invitee themself or an admin
    checked_in_by_id: int | None = Field(default=None, foreign_key="official.id")
    # where the invitation was delivered, so it can be edited to show the current answer
    chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    message_id: int | None = None

    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "official_id", name="uq_meeting_invite_official"),
    )


class MeetingChange(SQLModel, table=True):
    __tablename__ = "meeting_change"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    at: datetime = utc_field()
    actor_id: int = Field(foreign_key="official.id")
    kind: MeetingChangeKind = str_enum_field(16)
    detail: str = Field(default="", max_length=500)
