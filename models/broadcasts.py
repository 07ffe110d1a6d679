"""Broadcasts (siaran) from admins to officials, and one delivery row per recipient."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import str_enum_field, utc_field


class BroadcastContent(StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    DOCUMENT = "document"


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    # claimed by a worker; its send has begun once send_started_at is set
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    # its send had begun when the process died, before Telegram's answer was recorded:
    # it may have arrived, so it is never resent
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class Broadcast(SQLModel, table=True):
    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    sender_id: int = Field(foreign_key="official.id", index=True)
    # the sender's region scope when composed (None: everywhere); the audience never leaves it
    scope_code: str | None = Field(default=None, max_length=13)
    content_type: BroadcastContent = str_enum_field(12, default=BroadcastContent.TEXT)
    # HTML exactly as the admin wrote it (text, or the caption of a photo/document)
    text: str = Field(default="", sa_type=sa.Text)
    file_id: str | None = Field(default=None, max_length=255)
    audience: str = Field(default="{}", sa_type=sa.Text)
    ask_ack: bool = False
    send_at: datetime | None = utc_field(nullable=True)
    status: BroadcastStatus = str_enum_field(12, default=BroadcastStatus.DRAFT, index=True)
    progress_chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    progress_message_id: int | None = None
    total: int = 0
    sent_count: int = 0
    failed_count: int = 0
    blocked_count: int = 0
    unknown_count: int = 0
    created_at: datetime = utc_field()
    started_at: datetime | None = utc_field(nullable=True)
    finished_at: datetime | None = utc_field(nullable=True)
    cancelled_at: datetime | None = utc_field(nullable=True)


class BroadcastDelivery(SQLModel, table=True):
    __tablename__ = "broadcast_delivery"

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id")
    official_id: int = Field(foreign_key="official.id", index=True)
    # the recipient's Telegram chat when the broadcast started
    chat_id: int = Field(sa_type=sa.BigInteger)
    status: DeliveryStatus = str_enum_field(12, default=DeliveryStatus.PENDING)
    attempts: int = 0
    # a failed attempt is retried no earlier than this
    not_before: datetime | None = utc_field(nullable=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = utc_field(nullable=True)
    # set and committed right before the request goes to Telegram: a row claimed without it
    # was never sent, so a crash puts it back to pending instead of "unknown"
    send_started_at: datetime | None = utc_field(nullable=True)
    message_id: int | None = None
    sent_at: datetime | None = utc_field(nullable=True)
    error: str | None = Field(default=None, max_length=300)
    acked_at: datetime | None = utc_field(nullable=True)

    __table_args__ = (
        # one delivery per recipient: resuming a broadcast can never add a second one
        sa.UniqueConstraint("broadcast_id", "official_id", name="uq_broadcast_delivery_recipient"),
        sa.Index("ix_broadcast_delivery_status", "broadcast_id", "status"),
    )
