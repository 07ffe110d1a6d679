"""Conversation state and drafts for PTB persistence, kept in the same database."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_field


class BotState(SQLModel, table=True):
    __tablename__ = "bot_state"

    # namespace: "user_data", "chat_data", "bot_data", "conversation:<name>"
    namespace: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    data: str = Field(sa_type=sa.Text)
    updated_at: datetime = utc_field()
