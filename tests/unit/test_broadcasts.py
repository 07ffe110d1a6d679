"""Broadcasts: audience within scope, checks before sending, cancel, acknowledgement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import FrozenClock
from bot.db import Database
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import Translator
from bot.services import broadcasts as service
from bot.services.broadcasts import BroadcastDraft
from bot.services.broadcasts_audience import Audience, AudienceKind, resolve_audience
from bot.services.broadcasts_delivery import start_due_broadcasts
from models.broadcasts import BroadcastContent, BroadcastDelivery, BroadcastStatus, DeliveryStatus
from models.officials import Official, OfficialStatus, Role
from models.reminders import Reminder
from scheduler.render import render_reminder
from tests.unit.test_reminders_support import add_official


async def cimahi_and_kupang(db: Database, clock: FrozenClock) -> dict[str, Official]:
    """Officials in Kota Cimahi (32.77) and one in Kota Kupang (53.71)."""
    people = {
        "admin": await add_official(db, clock, role=Role.ADMIN, region="32.77", name="Admin"),
        "admin2": await add_official(db, clock, role=Role.ADMIN, region="32.77", name="Admin 2"),
        "camat": await add_official(db, clock, role=Role.CAMAT, region="32.77.03", name="Camat"),
        "cibabat": await add_official(db, clock, region="32.77.03.1002", name="Lurah Cibabat"),
        "melong": await add_official(db, clock, region="32.77.01.1001", name="Lurah Melong"),
        "blocked": await add_official(db, clock, region="32.77.01.1002", reachable=False),
        "inactive": await add_official(db, clock, region="32.77.01.1003",
                                       status=OfficialStatus.DEACTIVATED),
        "kupang": await add_official(db, clock, region="53.71.01.1001", name="Lurah Namosain"),
        "kupang_admin": await add_official(db, clock, role=Role.ADMIN, region="53.71"),
        "super": await add_official(db, clock, role=Role.SUPERADMIN, region=None, name="Super"),
    }
    return people


async def names(db: Database, audience: Audience, sender: Official) -> list[str]:
    async with db.session() as session:
        found = await resolve_audience(session, audience, scope=sender.region_code
                                       if sender.role != Role.SUPERADMIN else None,
                                       exclude_id=sender.id)
        return sorted(o.full_name for o in found)


async def test_the_audience_stays_within_the_senders_area(db: Database,
                                                           clock: FrozenClock) -> None:
    p = await cimahi_and_kupang(db, clock)
    admin = p["admin"]
    assert await names(db, Audience(), admin) == [
        "Admin 2", "Camat", "Lurah Cibabat", "Lurah Melong"]
    assert await names(db, Audience(AudienceKind.ROLE, role=Role.LURAH), admin) == [
        "Lurah Cibabat", "Lurah Melong"]
    assert await names(db, Audience(AudienceKind.REGIONS, region_codes=("32.77.03",)),
                       admin) == ["Camat", "Lurah Cibabat"]
    assert await names(db, Audience(AudienceKind.OFFICIALS, official_ids=(
        p["melong"].id, p["kupang"].id)), admin) == ["Lurah Melong"]
    assert "Lurah Namosain" in await names(db, Audience(), p["super"])

    draft = BroadcastDraft(BroadcastContent.TEXT, "Halo",
                           Audience(AudienceKind.REGIONS, region_codes=("53.71.01",)))
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await service.check_draft(session, clock, sender=admin, draft=draft)
        with pytest.raises(NotAllowed):
            await service.check_draft(session, clock, sender=p["cibabat"], draft=BroadcastDraft(
                BroadcastContent.TEXT, "Halo", Audience()))


async def test_what_telegram_would_refuse_is_caught_before_sending(
        db: Database, clock: FrozenClock) -> None:
    p = await cimahi_and_kupang(db, clock)
    cases = [
        (BroadcastDraft(BroadcastContent.TEXT, "<b>Rapat", Audience()), "bad_html"),
        (BroadcastDraft(BroadcastContent.TEXT, "a < b", Audience()), "bad_html"),
        (BroadcastDraft(BroadcastContent.TEXT, "<script>x</script>", Audience()), "bad_html"),
        (BroadcastDraft(BroadcastContent.TEXT, "x" * 4097, Audience()), "too_long"),
        (BroadcastDraft(BroadcastContent.TEXT, "  ", Audience()), "empty"),
        (BroadcastDraft(BroadcastContent.PHOTO, "x" * 1025, Audience(), file_id="f"), "too_long"),
        (BroadcastDraft(BroadcastContent.DOCUMENT, "", Audience()), "missing_file"),
        (BroadcastDraft(BroadcastContent.TEXT, "Hai", Audience(),
                        send_at=clock.now() - timedelta(hours=1)), "send_at_past"),
        (BroadcastDraft(BroadcastContent.TEXT, "Hai", Audience(),
                        send_at=clock.now() + timedelta(days=31)), "send_at_far"),
        (BroadcastDraft(BroadcastContent.TEXT, "Hai", Audience(AudienceKind.ROLE,
                                                               role=Role.SUPERADMIN)),
         "empty_audience"),
    ]
    async with db.session() as session:
        for draft, key in cases:
            with pytest.raises(InvalidInput) as error:
                await service.check_draft(session, clock, sender=p["admin"], draft=draft)
            assert error.value.key == f"broadcasts.errors.{key}", draft
        ok = BroadcastDraft(BroadcastContent.PHOTO, "<b>Foto</b> &amp; <i>keterangan</i>",
                            Audience(), file_id="photo-1")
        assert await service.check_draft(session, clock, sender=p["admin"], draft=ok) == 4


async def test_a_scheduled_broadcast_starts_at_its_time_with_whoever_fits_then(
        db: Database, clock: FrozenClock) -> None:
    p = await cimahi_and_kupang(db, clock)
    async with db.session() as session:
        broadcast = await service.create_broadcast(
            session, clock, sender=p["admin"], draft=BroadcastDraft(
                BroadcastContent.TEXT, "Besok apel", Audience(AudienceKind.ROLE, role=Role.LURAH),
                send_at=clock.now() + timedelta(hours=2)))
    newcomer = await add_official(db, clock, region="32.77.02.1001", name="Lurah Baros")
    async with db.session() as session:
        assert await start_due_broadcasts(session, clock) == []
    clock.advance(hours=2)
    async with db.session() as session:
        assert await start_due_broadcasts(session, clock) == [broadcast.id]
        assert await start_due_broadcasts(session, clock) == []
    async with db.session() as session:
        rows = (await session.exec(select(BroadcastDelivery))).all()
        assert sorted(r.official_id for r in rows) == sorted(
            [p["cibabat"].id, p["melong"].id, newcomer.id])
        stored = await service.get_broadcast(session, broadcast.id)
        assert (stored.status, stored.total) == (BroadcastStatus.SENDING, 3)


async def test_cancel_stops_waiting_deliveries_and_respects_scope(
        db: Database, clock: FrozenClock) -> None:
    p = await cimahi_and_kupang(db, clock)
    async with db.session() as session:
        broadcast = await service.create_broadcast(
            session, clock, sender=p["admin"],
            draft=BroadcastDraft(BroadcastContent.TEXT, "Hai", Audience()))
        await start_due_broadcasts(session, clock)
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await service.cancel_broadcast(session, clock, broadcast_id=broadcast.id,
                                           actor=p["kupang_admin"])
        cancelled = await service.cancel_broadcast(session, clock, broadcast_id=broadcast.id,
                                                   actor=p["admin2"])
        assert cancelled.status == BroadcastStatus.CANCELLED
        figures = await service.progress(session, broadcast.id)
        assert figures.count(DeliveryStatus.CANCELLED) == 4 and figures.waiting == 0
        with pytest.raises(Conflict):
            await service.cancel_broadcast(session, clock, broadcast_id=broadcast.id,
                                           actor=p["admin"])
        listed = await service.recent_broadcasts(session, actor=p["admin2"])
        assert [b.id for b, _ in listed] == [broadcast.id]
        assert await service.recent_broadcasts(session, actor=p["kupang_admin"]) == []


async def test_acknowledgements_and_reminding_the_rest(db: Database, clock: FrozenClock) -> None:
    p = await cimahi_and_kupang(db, clock)
    async with db.session() as session:
        broadcast = await service.create_broadcast(
            session, clock, sender=p["admin"], draft=BroadcastDraft(
                BroadcastContent.TEXT, "<b>Wajib</b> apel pagi", Audience(AudienceKind.ROLE,
                                                                          role=Role.LURAH),
                ask_ack=True))
        await start_due_broadcasts(session, clock)
    async with db.session() as session:
        rows = (await session.exec(select(BroadcastDelivery))).all()
        for row in rows:
            row.status = DeliveryStatus.SENT
            session.add(row)
    async with db.session() as session:
        assert await service.acknowledge(session, clock, broadcast_id=broadcast.id,
                                         official=p["cibabat"]) is True
        assert await service.acknowledge(session, clock, broadcast_id=broadcast.id,
                                         official=p["cibabat"]) is False
        with pytest.raises(NotFound):
            await service.acknowledge(session, clock, broadcast_id=broadcast.id,
                                      official=p["kupang"])
        acks = await service.acknowledgements(session, broadcast_id=broadcast.id,
                                              actor=p["admin"])
        assert [o.full_name for o, _ in acks.acked] == ["Lurah Cibabat"]
        assert [o.full_name for o in acks.waiting] == ["Lurah Melong"]
        assert (await service.progress(session, broadcast.id)).acked == 1
        assert await service.remind_unacknowledged(session, clock, broadcast_id=broadcast.id,
                                                   actor=p["admin"]) == 1
    async with db.session() as session:
        reminder = (await session.exec(select(Reminder))).one()
        assert reminder.recipient_id == p["melong"].id
        text, markup = await render_reminder(session, reminder, Translator("id"))
        assert "Wajib apel pagi" in text
        assert markup is not None
        assert markup.inline_keyboard[0][0].callback_data == f"w1:bc.ack:{broadcast.id}"
