"""Reminders are rows: the scheduler claims due rows; nothing lives only in memory."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import str_enum_field, utc_field


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    MISSED = "missed"


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"

    id: int | None = Field(default=None, primary_key=True)
    # e.g. "meeting.day_before", "complaint.escalate_camat", "drive.realisasi"
    kind: str = Field(max_length=40)
    target_type: str = Field(max_length=20)
    target_id: int
    recipient_id: int = Field(foreign_key="official.id", index=True)
    due_at: datetime = utc_field()
    # a reminder whose moment has passed by then is marked missed instead of sent late
    expires_at: datetime | None = utc_field(nullable=True)
    urgent: bool = False
    payload: str = Field(default="{}", sa_type=sa.Text)
    status: ReminderStatus = str_enum_field(12, default=ReminderStatus.PENDING)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = utc_field(nullable=True)
    sent_at: datetime | None = utc_field(nullable=True)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = utc_field()

    __table_args__ = (
        sa.Index("ix_reminder_status_due", "status", "due_at"),
        sa.Index("ix_reminder_target", "target_type", "target_id"),
        # one row per (what, for whom, when): replanning never duplicates a reminder
        sa.UniqueConstraint("kind", "target_type", "target_id", "recipient_id", "due_at",
                            name="uq_reminder_identity"),
    )
