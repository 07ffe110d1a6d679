"""Complaints: recording, the status machine, SLA reminders, scope, masking and the NIK audit."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.clock import FrozenClock
from bot.db import Database
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services import complaints, complaints_query, complaints_rules
from bot.settings import ComplaintSettings
from models.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    ComplaintStatusChange,
    ForwardTarget,
)
from models.officials import AuditEntry, Official, OfficialStatus, Role
from models.reminders import Reminder, ReminderStatus

CIBABAT = "32.77.03.1002"
PASIRKALIKI = "32.77.03.1001"
CIMAHI_UTARA = "32.77.03"
CIMAHI_SELATAN = "32.77.01"
KOTA_CIMAHI = "32.77"
KOTA_KUPANG = "53.71"
NAMOSAIN = "53.71.01.1001"
NIK = "3277034507900001"
RULES = ComplaintSettings()


class People:
    """The officials every test uses, keyed by a readable name."""

    def __init__(self, officials: dict[str, Official]) -> None:
        self.by_name = officials

    def __getattr__(self, name: str) -> Official:
        return self.by_name[name]


async def add_official(session: object, telegram_id: int, role: Role, region: str | None,
                       name: str) -> Official:
    official = Official(telegram_id=telegram_id, full_name=name, role=role, region_code=region,
                        status=OfficialStatus.ACTIVE,
                        created_at=datetime(2024, 1, 1, tzinfo=UTC))
    session.add(official)  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    return official


@pytest.fixture
async def people(db: Database) -> People:
    async with db.session() as session:
        cast = {
            "lurah": await add_official(session, 101, Role.LURAH, CIBABAT, "Lurah Cibabat"),
            "other_lurah": await add_official(session, 102, Role.LURAH, PASIRKALIKI,
                                              "Lurah Pasirkaliki"),
            "camat": await add_official(session, 201, Role.CAMAT, CIMAHI_UTARA, "Camat Utara"),
            "other_camat": await add_official(session, 202, Role.CAMAT, CIMAHI_SELATAN,
                                              "Camat Selatan"),
            "admin": await add_official(session, 301, Role.ADMIN, KOTA_CIMAHI, "Admin Cimahi"),
            "kupang_admin": await add_official(session, 302, Role.ADMIN, KOTA_KUPANG,
                                               "Admin Kupang"),
            "superadmin": await add_official(session, 401, Role.SUPERADMIN, None, "Super"),
            "kupang_lurah": await add_official(session, 103, Role.LURAH, NAMOSAIN,
                                               "Lurah Namosain"),
        }
    return People(cast)


def draft(**changes: object) -> complaints.ComplaintDraft:
    values: dict[str, object] = {
        "citizen_name": "Siti Aminah", "channel": ComplaintChannel.DATANG,
        "category": ComplaintCategory.INFRASTRUKTUR,
        "description": "Jalan berlubang di depan SD <b>Cibabat</b> 2.",
        "citizen_phone": "0812-3456-7890", "citizen_nik": NIK,
    }
    values.update(changes)
    return complaints.ComplaintDraft(**values)  # type: ignore[arg-type]


async def record(db: Database, clock: FrozenClock, recorder: Official,
                 **changes: object) -> Complaint:
    async with db.session() as session:
        return await complaints.record_complaint(session, clock, recorder=recorder,
                                                 draft=draft(**changes), rules=RULES)


async def reminders_of(db: Database, complaint: Complaint) -> list[Reminder]:
    async with db.session() as session:
        query = select(Reminder).where(Reminder.target_type == "complaint",
                                       Reminder.target_id == complaint.id)
        return list((await session.exec(query.order_by(col(Reminder.due_at)))).all())


def test_inputs_are_checked_and_normalised() -> None:
    assert complaints_rules.check_phone("+62 812-3456-7890") == "+6281234567890"
    assert complaints_rules.check_nik("3277 0345 0790 0001") == NIK
    for bad_phone, key in [("0812abc4567", "phone_letters"), ("12345", "phone_invalid"),
                           ("+1234567890123456", "phone_invalid")]:
        with pytest.raises(InvalidInput) as error:
            complaints_rules.check_phone(bad_phone)
        assert error.value.key == f"complaints.errors.{key}"
    for bad_nik, key in [(NIK[:15], "nik_length"), ("32770345079O0001", "nik_digits"),
                         ("0077034507900001", "nik_invalid"), ("3277034513900001", "nik_invalid"),
                         ("3277034507900000", "nik_invalid")]:
        with pytest.raises(InvalidInput) as error:
            complaints_rules.check_nik(bad_nik)
        assert error.value.key == f"complaints.errors.{key}"
    with pytest.raises(InvalidInput) as error:
        complaints_rules.check_description("x" * 2001)
    assert error.value.values == {"limit": 2000, "length": 2001}
    assert complaints_rules.check_description("x" * 2000) == "x" * 2000


def test_masking_keeps_only_the_last_four() -> None:
    assert complaints_rules.mask(NIK) == "•" * 12 + "0001"
    assert complaints_rules.mask("081234567890") == "•" * 8 + "7890"
    assert complaints_rules.mask(None) is None
    assert NIK not in repr(Complaint(ticket="ADU-2024-000001", citizen_nik=NIK))


async def test_record_gives_a_ticket_a_deadline_and_reminders(
        db: Database, clock: FrozenClock, people: People) -> None:
    complaint = await record(db, clock, people.lurah)
    assert complaint.ticket == "ADU-2024-000001"
    assert complaint.status == ComplaintStatus.DITERIMA
    assert complaint.citizen_phone == "081234567890"
    # Monday 4 Nov + 5 working days = Monday 11 Nov, due until 23:59:59 WIB
    assert complaint.due_on == date(2024, 11, 11)
    assert complaint.due_at == datetime(2024, 11, 11, 16, 59, 59, tzinfo=UTC)
    planned = [(r.kind, r.recipient_id, r.due_at) for r in await reminders_of(db, complaint)]
    assert planned == [
        # 08:00 WIB = 01:00 UTC: Friday 8th, Tuesday 12th (breach), Friday 15th (+3)
        ("complaint.due_soon", people.lurah.id, datetime(2024, 11, 8, 1, 0, tzinfo=UTC)),
        ("complaint.escalate_camat", people.camat.id, datetime(2024, 11, 12, 1, 0, tzinfo=UTC)),
        ("complaint.escalate_admin", people.admin.id, datetime(2024, 11, 15, 1, 0, tzinfo=UTC)),
    ]
    second = await record(db, clock, people.other_lurah)
    assert second.ticket == "ADU-2024-000002"
    receipt = complaints.receipt_for(complaint)
    assert NIK not in repr(receipt) and receipt.due_on == date(2024, 11, 11)


async def test_sla_skips_holidays_and_uses_the_local_zone(
        db: Database, clock: FrozenClock, people: People) -> None:
    # Friday 20 Dec 2024 in Kupang (WITA): Mon 23, Tue 24, (25 Natal), Thu 26, Fri 27, Mon 30
    clock.set(datetime(2024, 12, 20, 1, 0, tzinfo=UTC))
    complaint = await record(db, clock, people.kupang_lurah)
    assert complaint.due_on == date(2024, 12, 30)
    planned = await reminders_of(db, complaint)
    assert planned[0].due_at == datetime(2024, 12, 27, 0, 0, tzinfo=UTC)  # 08:00 WITA
    assert {r.recipient_id for r in planned} == {people.kupang_lurah.id, people.kupang_admin.id}
    # per-category SLA from the settings; 27 Nov 2024 (Pilkada) is a holiday
    clock.set(datetime(2024, 11, 25, 2, 0, tzinfo=UTC))
    quick = ComplaintSettings(sla_working_days={"kebersihan": 2})
    async with db.session() as session:
        cleaned = await complaints.record_complaint(
            session, clock, recorder=people.lurah,
            draft=draft(category=ComplaintCategory.KEBERSIHAN), rules=quick)
    assert cleaned.due_on == date(2024, 11, 28)


async def test_due_soon_already_past_is_not_planned(
        db: Database, clock: FrozenClock, people: People) -> None:
    one_day = ComplaintSettings(default_sla_working_days=1)
    async with db.session() as session:
        complaint = await complaints.record_complaint(session, clock, recorder=people.lurah,
                                                      draft=draft(), rules=one_day)
    kinds = [r.kind for r in await reminders_of(db, complaint)]
    assert kinds == ["complaint.escalate_camat", "complaint.escalate_admin"]


async def test_status_machine_with_history_and_closing(
        db: Database, clock: FrozenClock, people: People) -> None:
    complaint = await record(db, clock, people.lurah)
    assert complaint.id is not None

    async def move(actor: Official, target: ComplaintStatus, **kwargs: object) -> Complaint:
        async with db.session() as session:
            return await complaints.change_status(session, clock, actor=actor,
                                                  complaint_id=complaint.id, target=target,
                                                  rules=RULES, **kwargs)  # type: ignore[arg-type]

    clock.advance(hours=1)
    await move(people.lurah, ComplaintStatus.DIPROSES)
    forwarded = await move(people.lurah, ComplaintStatus.DITERUSKAN,
                           forward_to=ForwardTarget.CAMAT,
                           expected_status=ComplaintStatus.DIPROSES)
    assert forwarded.assignee_id == people.camat.id
    due_soon = [r for r in await reminders_of(db, complaint)
                if r.kind == "complaint.due_soon" and r.status == ReminderStatus.PENDING]
    assert [r.recipient_id for r in due_soon] == [people.camat.id]
    with pytest.raises(Conflict) as stale:
        await move(people.camat, ComplaintStatus.DIPROSES,
                   expected_status=ComplaintStatus.DIPROSES)
    assert stale.value.key == "complaints.errors.stale"
    with pytest.raises(Conflict):
        await move(people.camat, ComplaintStatus.DITERUSKAN, forward_to=ForwardTarget.CAMAT)
    with pytest.raises(InvalidInput) as no_note:
        await move(people.camat, ComplaintStatus.SELESAI, note="   ")
    assert no_note.value.key == "complaints.errors.note_required"
    await move(people.camat, ComplaintStatus.DITERUSKAN, forward_to=ForwardTarget.AGENCY,
               agency="Dinas PUPR Kota Cimahi")
    closed = await move(people.camat, ComplaintStatus.SELESAI, note="Jalan sudah ditambal.")
    assert closed.resolution_note == "Jalan sudah ditambal." and closed.closed_at is not None
    with pytest.raises(Conflict) as reopened:
        await move(people.lurah, ComplaintStatus.DIPROSES)
    assert reopened.value.key == "complaints.errors.bad_transition"
    assert all(r.status == ReminderStatus.CANCELLED for r in await reminders_of(db, complaint))
    async with db.session() as session:
        detail = await complaints.open_complaint(session, clock, viewer=people.lurah,
                                                 complaint_id=complaint.id, rules=RULES)
    steps = [(h.from_status, h.to_status, detail.names[h.actor_id]) for h in detail.history]
    assert steps == [
        (None, "diterima", "Lurah Cibabat"), ("diterima", "diproses", "Lurah Cibabat"),
        ("diproses", "diteruskan", "Lurah Cibabat"), ("diteruskan", "diteruskan", "Camat Utara"),
        ("diteruskan", "selesai", "Camat Utara"),
    ]
    assert detail.history[3].forwarded_agency == "Dinas PUPR Kota Cimahi"


async def test_pungli_is_hidden_from_the_camat(
        db: Database, clock: FrozenClock, people: People) -> None:
    pungli = await record(db, clock, people.lurah, category=ComplaintCategory.PUNGLI,
                          citizen_name="Budi Santoso")
    ordinary = await record(db, clock, people.lurah)
    assert pungli.id is not None
    kinds = {(r.kind, r.recipient_id) for r in await reminders_of(db, pungli)}
    assert ("complaint.escalate_admin", people.admin.id) in kinds
    assert all(recipient != people.camat.id for _, recipient in kinds)
    async with db.session() as session:
        seen = await complaints_query.list_complaints(session, clock, viewer=people.camat,
                                                      rules=RULES)
        assert [c.ticket for c in seen.items] == [ordinary.ticket]
        found = await complaints_query.search_complaints(session, clock, viewer=people.camat,
                                                         rules=RULES, text=pungli.ticket)
        assert found.items == []
        with pytest.raises(NotFound):
            await complaints.open_complaint(session, clock, viewer=people.camat,
                                            complaint_id=pungli.id, rules=RULES)
        with pytest.raises(NotAllowed) as refused:
            await complaints.change_status(session, clock, actor=people.lurah,
                                           complaint_id=pungli.id,
                                           target=ComplaintStatus.DITERUSKAN,
                                           forward_to=ForwardTarget.CAMAT, rules=RULES)
        assert refused.value.key == "complaints.errors.sensitive_to_camat"
        for viewer in (people.lurah, people.admin, people.superadmin):
            page = await complaints_query.list_complaints(session, clock, viewer=viewer,
                                                          rules=RULES)
            assert pungli.ticket in {c.ticket for c in page.items}


async def test_scope_by_role(db: Database, clock: FrozenClock, people: People) -> None:
    mine = await record(db, clock, people.lurah)
    kupang = await record(db, clock, people.kupang_lurah)
    expected = {
        "lurah": {mine.ticket}, "other_lurah": set(), "camat": {mine.ticket},
        "other_camat": set(), "admin": {mine.ticket}, "kupang_admin": {kupang.ticket},
        "superadmin": {mine.ticket, kupang.ticket},
    }
    async with db.session() as session:
        for name, tickets in expected.items():
            viewer = people.by_name[name]
            page = await complaints_query.list_complaints(session, clock, viewer=viewer,
                                                          rules=RULES)
            assert {c.ticket for c in page.items} == tickets, name
            for complaint in (mine, kupang):
                visible = complaints_rules.can_view(viewer, complaint, RULES)
                assert visible == (complaint.ticket in tickets), (name, complaint.ticket)


async def test_filters_and_search(db: Database, clock: FrozenClock, people: People) -> None:
    first = await record(db, clock, people.lurah, citizen_name="Siti 100% Aminah")
    clock.advance(days=2)
    second = await record(db, clock, people.lurah, citizen_name="Dedi Kurniawan",
                          category=ComplaintCategory.KEBERSIHAN, citizen_nik=None)
    clock.set(datetime(2024, 11, 12, 2, 0, tzinfo=UTC))  # first is now overdue
    Filter = complaints_query.ComplaintFilter
    async with db.session() as session:
        async def tickets(**kwargs: object) -> list[str]:
            page = await complaints_query.list_complaints(
                session, clock, viewer=people.lurah, rules=RULES, filters=Filter(**kwargs))
            return [c.ticket for c in page.items]

        assert await tickets() == [second.ticket, first.ticket]
        assert await tickets(overdue=True) == [first.ticket]
        assert await tickets(category=ComplaintCategory.KEBERSIHAN) == [second.ticket]
        assert await tickets(status=ComplaintStatus.SELESAI) == []
        assert await tickets(since=datetime(2024, 11, 5, tzinfo=UTC)) == [second.ticket]

        async def search(text: str) -> list[str]:
            result = await complaints_query.search_complaints(
                session, clock, viewer=people.lurah, rules=RULES, text=text)
            return [c.ticket for c in result.items]

        assert await search(first.ticket.lower()) == [first.ticket]
        assert await search(NIK) == [first.ticket]
        assert await search("kurnia") == [second.ticket]
        assert await search("100%") == [first.ticket]
        assert await search("10_%") == []
        with pytest.raises(InvalidInput):
            await search(NIK[:15])
        with pytest.raises(InvalidInput):
            await search("ab")


async def test_full_nik_only_for_owner_and_admin_and_audited(
        db: Database, clock: FrozenClock, people: People) -> None:
    complaint = await record(db, clock, people.lurah)
    assert complaint.id is not None
    async with db.session() as session:
        as_camat = await complaints.open_complaint(session, clock, viewer=people.camat,
                                                   complaint_id=complaint.id, rules=RULES)
        assert as_camat.nik == "•" * 12 + "0001" and not as_camat.identity_revealed
        assert as_camat.phone == "•" * 8 + "7890"
        for viewer in (people.lurah, people.admin):
            detail = await complaints.open_complaint(session, clock, viewer=viewer,
                                                     complaint_id=complaint.id, rules=RULES)
            assert detail.nik == NIK and detail.phone == "081234567890"
        with pytest.raises(NotFound):
            await complaints.open_complaint(session, clock, viewer=people.kupang_admin,
                                            complaint_id=complaint.id, rules=RULES)
    async with db.session() as session:
        entries = (await session.exec(select(AuditEntry))).all()
        assert sorted((e.action, e.actor_id) for e in entries) == sorted(
            [("complaint.view_nik", people.lurah.id), ("complaint.view_nik", people.admin.id)])
        assert all(NIK not in e.detail for e in entries)
        views = await complaints_query.nik_views(session, viewer=people.admin)
        assert {(v.actor_name, v.ticket) for v in views} == {
            ("Lurah Cibabat", complaint.ticket), ("Admin Cimahi", complaint.ticket)}
        assert await complaints_query.nik_views(session, viewer=people.kupang_admin) == []
        with pytest.raises(NotAllowed):
            await complaints_query.nik_views(session, viewer=people.camat)


async def test_only_field_officials_record(db: Database, clock: FrozenClock,
                                           people: People) -> None:
    with pytest.raises(NotAllowed):
        await record(db, clock, people.admin)
    with pytest.raises(InvalidInput) as error:
        await record(db, clock, people.lurah, description="  ")
    assert error.value.key == "complaints.errors.description_empty"


async def test_tickets_stay_unique_under_concurrency(
        db: Database, clock: FrozenClock, people: People) -> None:
    made = await asyncio.gather(*(record(db, clock, people.lurah) for _ in range(8)))
    assert sorted(c.ticket for c in made) == [f"ADU-2024-{n:06d}" for n in range(1, 9)]
    clock.advance(timedelta(days=60))  # a new year (in WIB) starts a new sequence
    new_year = await record(db, clock, people.lurah)
    assert new_year.ticket == "ADU-2025-000001"
    async with db.session() as session:
        count = len((await session.exec(select(ComplaintStatusChange))).all())
    assert count == 9
