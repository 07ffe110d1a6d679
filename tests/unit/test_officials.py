"""Registration, approval scope, invites and management of officials (no Telegram)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FrozenClock
from bot.db import Database
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.services import officials as svc
from models.officials import Official, OfficialStatus, Role

CIBABAT = "32.77.03.1002"
CIMAHI_UTARA = "32.77.03"
CIMAHI = "32.77"
KUPANG = "53.71"


def registration(telegram_id: int, role: Role = Role.LURAH, region: str = CIBABAT,
                 ) -> svc.Registration:
    return svc.Registration(telegram_id=telegram_id, role=role, region_code=region,
                            full_name="Siti Rahayu", nip=None, phone="+6281234567890",
                            language="id")


async def make_admin(db: Database, clock: FrozenClock, telegram_id: int = 900,
                     region: str = CIMAHI) -> Official:
    async with db.session() as session:
        return await svc.add_admin(session, clock, telegram_id=telegram_id, full_name="Admin Tapem",
                                   role=Role.ADMIN, region_code=region)


def test_inputs_are_validated() -> None:
    assert svc.clean_nip("19800101 200501 1 001") == "198001012005011001"
    with pytest.raises(InvalidInput):
        svc.clean_nip("12345")
    with pytest.raises(InvalidInput):
        svc.clean_full_name("<b>")
    assert svc.clean_phone("0812-3456-7890").endswith("81234567890")
    assert svc.mask("+6281234567890") == "•" * 10 + "7890"


async def test_registration_waits_for_the_areas_admin(db: Database, clock: FrozenClock) -> None:
    admin = await make_admin(db, clock)
    other_admin = await make_admin(db, clock, telegram_id=901, region=KUPANG)
    async with db.session() as session:
        applicant = await svc.register(session, clock, registration(1))
        assert applicant.status == OfficialStatus.PENDING
        approvers = await svc.approvers_for(session, CIBABAT)
    assert [a.id for a in approvers] == [admin.id]
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await svc.decide(session, clock, actor=other_admin, official_id=applicant.id or 0,
                             approve=True)
    async with db.session() as session:
        decided = await svc.decide(session, clock, actor=admin, official_id=applicant.id or 0,
                                   approve=True)
        assert decided.status == OfficialStatus.ACTIVE
        assert decided.decided_at == clock.now()
    async with db.session() as session:
        with pytest.raises(Conflict):
            await svc.decide(session, clock, actor=admin, official_id=applicant.id or 0,
                             approve=False)


async def test_region_must_match_the_role(db: Database, clock: FrozenClock) -> None:
    async with db.session() as session:
        with pytest.raises(InvalidInput):
            await svc.register(session, clock, registration(2, Role.CAMAT, CIBABAT))


async def test_invite_is_single_use_and_expires(db: Database, clock: FrozenClock) -> None:
    admin = await make_admin(db, clock)
    async with db.session() as session:
        invite = await svc.create_invite(session, clock, actor=admin, role=Role.CAMAT,
                                         region_code=CIMAHI_UTARA, ttl=timedelta(hours=1))
        with pytest.raises(NotAllowed):
            await svc.create_invite(session, clock, actor=admin, role=Role.CAMAT,
                                    region_code="53.71.01", ttl=timedelta(hours=1))
    async with db.session() as session:
        official = await svc.register(session, clock, registration(3, Role.LURAH, CIBABAT),
                                      invite_code=invite.code)
        assert official.status == OfficialStatus.ACTIVE
        assert official.role == Role.CAMAT and official.region_code == CIMAHI_UTARA
    async with db.session() as session:
        with pytest.raises(Conflict):
            await svc.register(session, clock, registration(4), invite_code=invite.code)
        late = await svc.create_invite(session, clock, actor=admin, role=Role.LURAH,
                                       region_code=CIBABAT, ttl=timedelta(hours=1))
    clock.advance(hours=2)
    async with db.session() as session:
        with pytest.raises(Conflict):
            await svc.register(session, clock, registration(5), invite_code=late.code)


async def test_admin_manages_only_field_officials_of_the_area(db: Database,
                                                              clock: FrozenClock) -> None:
    admin = await make_admin(db, clock)
    kupang_admin = await make_admin(db, clock, telegram_id=901, region=KUPANG)
    async with db.session() as session:
        lurah = await svc.register(session, clock, registration(6))
        await svc.decide(session, clock, actor=admin, official_id=lurah.id or 0, approve=True)
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await svc.set_status(session, clock, actor=kupang_admin, official_id=lurah.id or 0,
                                 active=False)
        gone = await svc.set_status(session, clock, actor=admin, official_id=lurah.id or 0,
                                    active=False)
        assert gone.status == OfficialStatus.DEACTIVATED
        moved = await svc.move(session, clock, actor=admin, official_id=lurah.id or 0,
                               region_code="32.77.01.1001")
        assert moved.region_code == "32.77.01.1001"
        rows, total = await svc.list_in_scope(session, actor=kupang_admin)
        assert total == 0
        assert not svc.can_manage(admin, kupang_admin)
