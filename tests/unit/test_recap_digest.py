"""The weekly digest: reminder rows, planned idempotently, switchable, rendered from payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.clock import FrozenClock
from bot.db import Database
from bot.errors import NotAllowed
from bot.i18n import Translator
from bot.services.recap_digest import (
    DIGEST_KIND,
    plan_weekly_digests,
    render_digest,
    set_digest_enabled,
)
from bot.settings import Settings
from models.officials import Official, OfficialStatus
from models.reminders import Reminder, ReminderStatus
from scheduler.render import render_reminder
from tests.unit.test_recap_data import seed_world

SETTINGS = Settings(telegram={"token": "1:x"})
NEXT_MONDAY_WIB = datetime(2024, 11, 11, 0, 0, tzinfo=UTC)  # 07:00 WIB
NEXT_MONDAY_WITA = datetime(2024, 11, 10, 23, 0, tzinfo=UTC)  # 07:00 WITA


async def digests(db: Database) -> list[Reminder]:
    async with db.session() as session:
        return list((await session.exec(select(Reminder).where(Reminder.kind == DIGEST_KIND)
                                        .order_by(Reminder.recipient_id, Reminder.due_at))).all())


async def plan(db: Database, clock: FrozenClock) -> None:
    async with db.session() as session:
        await plan_weekly_digests(session, clock, SETTINGS)


async def test_digests_are_planned_once_for_next_monday(db: Database, clock: FrozenClock) -> None:
    world = await seed_world(db, clock)
    await plan(db, clock)
    await plan(db, clock)  # idempotent
    rows = await digests(db)
    # camat and admins only; this Monday's 07:00 has passed, so next Monday it is
    assert {row.recipient_id: row.due_at for row in rows} == {
        world.admin.id: NEXT_MONDAY_WIB, world.camat.id: NEXT_MONDAY_WIB,
        world.camat_alak.id: NEXT_MONDAY_WITA, world.superadmin.id: NEXT_MONDAY_WIB}
    assert all(row.status == ReminderStatus.PENDING and row.target_type == "digest"
               for row in rows)
    payload = json.loads(rows[0].payload)
    assert payload["period"]["first_day"] == "2024-11-04" and "recap" not in payload


async def test_figures_arrive_once_the_week_is_over_and_render(
        db: Database, clock: FrozenClock) -> None:
    world = await seed_world(db, clock)
    await plan(db, clock)
    clock.set(datetime(2024, 11, 10, 16, 30, tzinfo=UTC))  # Sunday 23:30 WIB, Monday in WITA
    await plan(db, clock)
    filled = {row.recipient_id for row in await digests(db) if "recap" in row.payload}
    assert filled == {world.camat_alak.id}
    clock.set(datetime(2024, 11, 10, 17, 30, tzinfo=UTC))  # Monday 00:30 WIB
    await plan(db, clock)
    rows = {row.recipient_id: row for row in await digests(db)}
    assert all("recap" in row.payload for row in rows.values())
    recap = json.loads(rows[world.admin.id].payload)["recap"]
    assert recap["incidents"]["total"] == 1 and recap["meetings"] == 1
    assert recap["drive_totals"]["target"] == 70

    async with db.session() as session:
        admin = await session.get(Official, world.admin.id)
        text, markup = await render_reminder(session, rows[world.admin.id], Translator("id"),
                                             recipient=admin) or ("", None)
    assert "Ringkasan mingguan Kota Cimahi" in text and "4 November – 10 November 2024" in text
    assert "Laporan kejadian: 1" in text and "/rekap" in text and markup is None


async def test_a_pending_digest_survives_replanning_until_it_is_sent(
        db: Database, clock: FrozenClock) -> None:
    world = await seed_world(db, clock)
    await plan(db, clock)
    clock.set(datetime(2024, 11, 11, 1, 0, tzinfo=UTC))  # 08:00 WIB, digest not yet sent
    await plan(db, clock)
    admin_rows = [r for r in await digests(db) if r.recipient_id == world.admin.id]
    assert [(r.due_at, r.status) for r in admin_rows] == [
        (NEXT_MONDAY_WIB, ReminderStatus.PENDING)]
    async with db.session() as session:
        row = await session.get(Reminder, admin_rows[0].id)
        assert row is not None
        row.status = ReminderStatus.SENT
        session.add(row)
    await plan(db, clock)
    admin_rows = [r for r in await digests(db) if r.recipient_id == world.admin.id]
    assert [(r.due_at.day, r.status) for r in admin_rows] == [
        (11, ReminderStatus.SENT), (18, ReminderStatus.PENDING)]


async def test_switching_off_and_leaving_cancel_the_digest(db: Database,
                                                           clock: FrozenClock) -> None:
    world = await seed_world(db, clock)
    await plan(db, clock)
    async with db.session() as session:
        await set_digest_enabled(session, clock, SETTINGS, official=world.camat, enabled=False)
    await plan(db, clock)
    status = {row.recipient_id: row.status for row in await digests(db)}
    assert status[world.camat.id] == ReminderStatus.CANCELLED
    async with db.session() as session:
        await set_digest_enabled(session, clock, SETTINGS, official=world.camat, enabled=True)
        admin = await session.get(Official, world.admin.id)
        assert admin is not None
        admin.status = OfficialStatus.DEACTIVATED
        session.add(admin)
    await plan(db, clock)
    status = {row.recipient_id: row.status for row in await digests(db)}
    assert status[world.camat.id] == ReminderStatus.PENDING
    assert status[world.admin.id] == ReminderStatus.CANCELLED
    with pytest.raises(NotAllowed):
        async with db.session() as session:
            await set_digest_enabled(session, clock, SETTINGS, official=world.lurah_cibabat,
                                     enabled=False)


def test_a_digest_without_figures_points_to_rekap() -> None:
    class Facts:
        def __init__(self) -> None:
            self.values: dict[str, object] = {"recap": {"broken": True}}

    text, _ = render_digest(Facts(), Translator("en"))
    assert "/rekap" in text
