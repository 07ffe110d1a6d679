"""Claiming rows atomically, so two dispatchers (threads, processes, hosts) never take the same.

PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` picks rows nobody else is claiming, and the
UPDATE that marks them claimed runs in the same transaction. SQLite: one conditional
`UPDATE … WHERE id = ? AND <still claimable>` per row; SQLite serialises writers, and a
rowcount of 0 means another dispatcher got there first. Either way the caller commits at once.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def claim_rows(
    session: AsyncSession,
    model: type[SQLModel],
    *,
    where: Sequence[ColumnElement[bool]],
    values: Mapping[str, Any],
    order_by: Sequence[Any] = (),
    limit: int = 50,
) -> list[int]:
    """Mark up to `limit` rows matching `where` with `values`; returns the ids claimed.

    `where` must include the "still claimable" condition (e.g. status == pending): it is
    re-checked at the moment of the update, which is what makes the claim exclusive.
    """
    id_column = col(model.id)  # type: ignore[attr-defined]
    candidates = select(id_column).where(*where).order_by(*order_by).limit(limit)
    if dialect_name(session) == "postgresql":
        ids = list((await session.exec(candidates.with_for_update(skip_locked=True))).all())
        if ids:
            await session.exec(update(model).where(id_column.in_(ids)).values(**values))
        return ids
    claimed: list[int] = []
    for row_id in (await session.exec(candidates)).all():
        result = await session.exec(
            update(model).where(id_column == row_id, *where).values(**values)
        )
        if result.rowcount == 1:
            claimed.append(row_id)
    return claimed


def new_worker_id(prefix: str) -> str:
    """A name for one dispatcher in one process, recorded in claimed_by."""
    return f"{prefix}:{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
