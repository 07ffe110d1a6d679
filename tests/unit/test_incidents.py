"""Incident reports: drafts and checks, ticket numbering, workflow, scope, lists and media."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import FrozenClock
from bot.db import Database
from bot.services import incidents as svc
from bot.services import incidents_media as media
from bot.services import incidents_query as query
from bot.services import incidents_workflow as workflow
from models.incidents import (
    Incident,
    IncidentCategory,
    IncidentMedia,
    IncidentStatus,
    IncidentUrgency,
    MediaKind,
)
from models.officials import Official, OfficialStatus, Role

CIBABAT = "32.77.03.1002"  # in Cimahi Utara, Kota Cimahi
PASIRKALIKI = "32.77.03.1001"
MELONG = "32.77.01.1001"  # Cimahi Selatan
NAMOSAIN = "53.71.01.1001"  # Kota Kupang, WITA
_telegram_ids = itertools.count(1000)


async def add_official(db: Database, clock: FrozenClock, role: Role, region: str | None,
                       status: OfficialStatus = OfficialStatus.ACTIVE) -> Official:
    async with db.session() as session:
        official = Official(telegram_id=next(_telegram_ids), full_name=f"{role} {region}",
                            role=role, region_code=region, status=status,
                            created_at=clock.now())
        session.add(official)
    return official


def complete_draft(clock: FrozenClock, **changes: object) -> svc.IncidentDraft:
    draft = svc.IncidentDraft(
        category=IncidentCategory.BENCANA, urgency=IncidentUrgency.PENTING,
        description="Banjir setinggi 50 cm di RW 05 <ada> & warga mengungsi",
        occurred_at=clock.now() - timedelta(hours=1), latitude=-6.87, longitude=107.55,
    )
    for name, value in changes.items():
        setattr(draft, name, value)
    return draft


async def submit(db: Database, clock: FrozenClock, reporter: Official,
                 **changes: object) -> Incident:
    async with db.session() as session:
        return await svc.submit_incident(session, clock, reporter=reporter,
                                         draft=complete_draft(clock, **changes))


@pytest.fixture
async def people(db: Database, clock: FrozenClock) -> dict[str, Official]:
    return {
        "lurah": await add_official(db, clock, Role.LURAH, CIBABAT),
        "lurah_neighbour": await add_official(db, clock, Role.LURAH, PASIRKALIKI),
        "lurah_selatan": await add_official(db, clock, Role.LURAH, MELONG),
        "camat": await add_official(db, clock, Role.CAMAT, "32.77.03"),
        "camat_selatan": await add_official(db, clock, Role.CAMAT, "32.77.01"),
        "camat_retired": await add_official(db, clock, Role.CAMAT, "32.77.03",
                                            OfficialStatus.DEACTIVATED),
        "admin": await add_official(db, clock, Role.ADMIN, "32.77"),
        "admin_kupang": await add_official(db, clock, Role.ADMIN, "53.71"),
        "superadmin": await add_official(db, clock, Role.SUPERADMIN, None),
        "lurah_kupang": await add_official(db, clock, Role.LURAH, NAMOSAIN),
    }


# --- drafts and checks (no database) ---------------------------------------------------------

def test_draft_round_trips_through_a_plain_dict(clock: FrozenClock) -> None:
    import json

    draft = complete_draft(clock)
    draft.add_media(svc.DraftMedia(MediaKind.PHOTO, "fid", "uid", "media/x.jpg", 10))
    data = json.loads(json.dumps(draft.to_dict()))
    assert svc.IncidentDraft.from_dict(data) == draft
    assert svc.IncidentDraft.from_dict(None) == svc.IncidentDraft()


def test_draft_knows_what_is_missing_and_keeps_media_within_limits(clock: FrozenClock) -> None:
    draft = svc.IncidentDraft(category=IncidentCategory.KEBAKARAN)
    assert draft.missing() == ["urgency", "description", "time", "location"]
    draft.set_address("  Jl. Kolonel Masturi   No. 5 ")
    assert draft.address == "Jl. Kolonel Masturi No. 5" and draft.has_location
    draft.set_pin(-6.87, 107.55)
    assert draft.address is None and draft.latitude == -6.87
    for n in range(10):
        draft.add_media(svc.DraftMedia(MediaKind.PHOTO, f"f{n}", f"u{n}"))
    draft.add_media(svc.DraftMedia(MediaKind.PHOTO, "again", "u3"))  # duplicate: ignored
    with pytest.raises(svc.TooManyMedia) as error:
        draft.add_media(svc.DraftMedia(MediaKind.PHOTO, "f11", "u11"))
    assert error.value.values == {"limit": 10} and len(draft.media) == 10


def test_text_checks_refuse_with_the_limit() -> None:
    assert svc.clean_description("  ada <b>banjir</b> ") == "ada <b>banjir</b>"
    with pytest.raises(svc.DescriptionEmpty):
        svc.clean_description("   ")
    with pytest.raises(svc.DescriptionTooLong) as error:
        svc.clean_description("x" * 5000)
    assert error.value.values == {"limit": 2000, "length": 5000}
    assert svc.clean_description("x" * 2000) == "x" * 2000
    with pytest.raises(svc.AddressTooLong):
        svc.clean_address("y" * 501)


@pytest.mark.parametrize(("latitude", "longitude", "inside"), [
    (-6.87, 107.55, True),  # Cimahi
    (5.9, 95.3, True),  # Sabang
    (-8.5, 140.4, True),  # Merauke
    (1.35, 103.8, True),  # Singapore lies in the box; the box is coarse by design
    (48.85, 2.35, False),  # Paris
    (-11.3, 120.0, False),
    (0.0, 141.2, False),
])
def test_pins_outside_indonesia_are_refused(latitude: float, longitude: float,
                                            inside: bool) -> None:
    if inside:
        svc.check_location(latitude, longitude)
    else:
        with pytest.raises(svc.LocationOutsideIndonesia):
            svc.check_location(latitude, longitude)


def test_times_are_read_in_the_local_zone(clock: FrozenClock) -> None:
    now = clock.now()  # 09:00 WIB, 10:00 WITA
    assert svc.parse_occurred_at("07.30", now=now, timezone="Asia/Jakarta") == datetime(
        2024, 11, 4, 0, 30, tzinfo=UTC)
    assert svc.parse_occurred_at("07:30", now=now, timezone="Asia/Makassar") == datetime(
        2024, 11, 3, 23, 30, tzinfo=UTC)
    assert svc.parse_occurred_at("3/11/2024 14.30", now=now, timezone="Asia/Jakarta") == (
        datetime(2024, 11, 3, 7, 30, tzinfo=UTC))
    assert svc.parse_occurred_at("03-11 14:30", now=now, timezone="Asia/Jakarta") == (
        datetime(2024, 11, 3, 7, 30, tzinfo=UTC))
    for bad in ("kemarin", "25.00", "31/02/2024 10.00", ""):
        with pytest.raises(svc.InvalidTime):
            svc.parse_occurred_at(bad, now=now, timezone="Asia/Jakarta")
    with pytest.raises(svc.InvalidTime):
        svc.parse_occurred_at("3/11 14.30", now=now, timezone="Asia/Jakarta", today_only=True)
    with pytest.raises(svc.OccurredInFuture):
        svc.parse_occurred_at("11.00", now=now, timezone="Asia/Jakarta")
    with pytest.raises(svc.OccurredTooLongAgo):
        svc.parse_occurred_at("1/1/2020 10.00", now=now, timezone="Asia/Jakarta")


def test_ticket_format_and_transition_table() -> None:
    assert svc.format_ticket(2024, 7) == "LK-2024-000007"
    for status, targets in workflow.ALLOWED_TRANSITIONS.items():
        assert status not in targets
        assert not targets & {IncidentStatus.BARU}
    assert workflow.ALLOWED_TRANSITIONS[IncidentStatus.SELESAI] == frozenset()


# --- submission and numbering -----------------------------------------------------------------

async def test_submit_stores_report_media_and_first_history(
        db: Database, clock: FrozenClock, people: dict[str, Official]) -> None:
    draft = complete_draft(clock)
    draft.add_media(svc.DraftMedia(MediaKind.PHOTO, "f1", "u1", "media/2024/11/u1.jpg", 1234))
    draft.add_media(svc.DraftMedia(MediaKind.DOCUMENT, "f2", "u2", None, 99, "denah.pdf"))
    async with db.session() as session:
        incident = await svc.submit_incident(session, clock, reporter=people["lurah"],
                                             draft=draft)
    assert incident.ticket == "LK-2024-000001"
    assert incident.region_code == CIBABAT and incident.status == IncidentStatus.BARU
    async with db.session() as session:
        stored = await session.get(Incident, incident.id)
        assert stored is not None and stored.created_at == clock.now()
        assert stored.description.startswith("Banjir setinggi 50 cm di RW 05 <ada> &")
        rows = await query.incident_media(session, incident.id)
        assert [(m.position, m.kind, m.file_id, m.local_path) for m in rows] == [
            (0, MediaKind.PHOTO, "f1", "media/2024/11/u1.jpg"),
            (1, MediaKind.DOCUMENT, "f2", None)]
        history = await workflow.status_history(session, incident.id)
        assert [(h.from_status, h.to_status) for h in history] == [(None, IncidentStatus.BARU)]


async def test_submit_refuses_incomplete_or_foreign_drafts(
        db: Database, clock: FrozenClock, people: dict[str, Official]) -> None:
    with pytest.raises(svc.DraftIncomplete) as error:
        await submit(db, clock, people["lurah"], description=None, latitude=None)
    assert error.value.values == {"steps": "description, location"}
    with pytest.raises(svc.NotAReporter):
        await submit(db, clock, people["admin"])
    with pytest.raises(svc.NotAReporter):
        await submit(db, clock, people["camat_retired"])
    with pytest.raises(svc.LocationOutsideIndonesia):
        await submit(db, clock, people["lurah"], latitude=52.5, longitude=13.4)
    incident = await submit(db, clock, people["lurah"], latitude=None, longitude=None,
                            address="Jl. Cibabat 1")
    assert (incident.address, incident.latitude) == ("Jl. Cibabat 1", None)


async def test_numbers_run_per_local_year(db: Database, clock: FrozenClock,
                                          people: dict[str, Official]) -> None:
    clock.set(datetime(2024, 12, 31, 16, 30, tzinfo=UTC))  # 23:30 WIB, 00:30 WITA next day
    first = await submit(db, clock, people["lurah"])
    second = await submit(db, clock, people["lurah"])
    kupang = await submit(db, clock, people["lurah_kupang"])
    again = await submit(db, clock, people["lurah_kupang"])
    assert [first.ticket, second.ticket, kupang.ticket, again.ticket] == [
        "LK-2024-000001", "LK-2024-000002", "LK-2025-000001", "LK-2025-000002"]


async def test_concurrent_submits_get_distinct_consecutive_numbers(
        db: Database, clock: FrozenClock, people: dict[str, Official]) -> None:
    reporters = [people["lurah"], people["lurah_neighbour"], people["lurah_selatan"],
                 people["camat"]] * 3
    results = await asyncio.gather(*(submit(db, clock, r) for r in reporters))
    tickets = sorted(i.ticket for i in results)
    assert tickets == [f"LK-2024-{n:06d}" for n in range(1, len(reporters) + 1)]


# --- workflow -------------------------------------------------------------------------------

async def change(db: Database, clock: FrozenClock, incident: Incident, actor: Official,
                 to: IncidentStatus, note: str = "") -> workflow.StatusChanged:
    async with db.session() as session:
        return await workflow.change_status(session, clock, incident_id=incident.id,
                                            actor=actor, to_status=to, note=note)


async def test_workflow_records_who_when_and_why(
        db: Database, clock: FrozenClock, people: dict[str, Official]) -> None:
    incident = await submit(db, clock, people["lurah"])
    clock.advance(minutes=5)
    result = await change(db, clock, incident, people["camat"], IncidentStatus.DITERIMA)
    assert result.incident.status == IncidentStatus.DITERIMA
    clock.advance(minutes=5)
    await change(db, clock, incident, people["admin"], IncidentStatus.DITINDAKLANJUTI,
                 "Tim BPBD dikirim")
    with pytest.raises(svc.InvalidTransition) as error:
        await change(db, clock, incident, people["camat"], IncidentStatus.DITERIMA)
    assert error.value.values == {"current": "ditindaklanjuti", "wanted": "diterima"}
    with pytest.raises(svc.InvalidTransition):
        await change(db, clock, incident, people["camat"], IncidentStatus.DITOLAK, "telat")
    clock.advance(minutes=5)
    await change(db, clock, incident, people["superadmin"], IncidentStatus.SELESAI)
    async with db.session() as session:
        history = await workflow.status_history(session, incident.id)
        stored = await session.get(Incident, incident.id)
    assert [(h.to_status, h.actor_id, h.note) for h in history] == [
        (IncidentStatus.BARU, people["lurah"].id, ""),
        (IncidentStatus.DITERIMA, people["camat"].id, ""),
        (IncidentStatus.DITINDAKLANJUTI, people["admin"].id, "Tim BPBD dikirim"),
        (IncidentStatus.SELESAI, people["superadmin"].id, ""),
    ]
    assert history[-1].at == clock.now() and stored is not None
    assert stored.updated_at == clock.now() and stored.status == IncidentStatus.SELESAI
    for status in IncidentStatus:
        with pytest.raises(svc.InvalidTransition):
            await change(db, clock, incident, people["camat"], status, "x")


async def test_rejection_needs_a_reason(db: Database, clock: FrozenClock,
                                        people: dict[str, Official]) -> None:
    incident = await submit(db, clock, people["lurah"])
    with pytest.raises(svc.ReasonRequired):
        await change(db, clock, incident, people["camat"], IncidentStatus.DITOLAK, "   ")
    with pytest.raises(svc.NoteTooLong):
        await change(db, clock, incident, people["camat"], IncidentStatus.DITOLAK, "x" * 1001)
    done = await change(db, clock, incident, people["camat"], IncidentStatus.DITOLAK,
                        " Laporan ganda ")
    assert done.change.note == "Laporan ganda"


async def test_only_the_reporters_chain_may_act(db: Database, clock: FrozenClock,
                                                people: dict[str, Official]) -> None:
    incident = await submit(db, clock, people["lurah"])
    outsiders = ["lurah", "lurah_neighbour", "camat_selatan", "camat_retired", "admin_kupang"]
    for name in outsiders:
        with pytest.raises(svc.IncidentNotAllowed):
            await change(db, clock, incident, people[name], IncidentStatus.DITERIMA)
        with pytest.raises(svc.IncidentNotAllowed):
            async with db.session() as session:
                await workflow.request_info(session, clock, incident_id=incident.id,
                                            actor=people[name], question="Berapa korban?")
    with pytest.raises(svc.IncidentNotFound):
        async with db.session() as session:
            await workflow.change_status(session, clock, incident_id=999_999,
                                         actor=people["camat"], to_status=IncidentStatus.SELESAI)
    own = await submit(db, clock, people["camat"])
    with pytest.raises(svc.IncidentNotAllowed):
        await change(db, clock, own, people["camat"], IncidentStatus.DITERIMA)
    assert workflow.next_statuses(people["camat"], incident) == [
        IncidentStatus.DITERIMA, IncidentStatus.DITINDAKLANJUTI, IncidentStatus.SELESAI,
        IncidentStatus.DITOLAK]
    assert workflow.next_statuses(people["camat_selatan"], incident) == []


async def test_info_request_and_answer(db: Database, clock: FrozenClock,
                                       people: dict[str, Official]) -> None:
    incident = await submit(db, clock, people["lurah"])
    async with db.session() as session:
        request = await workflow.request_info(session, clock, incident_id=incident.id,
                                              actor=people["admin"], question="Berapa KK?")
    clock.advance(minutes=30)
    with pytest.raises(svc.IncidentNotAllowed):
        async with db.session() as session:
            await workflow.answer_info(session, clock, request_id=request.id,
                                       reporter=people["lurah_neighbour"], answer="12")
    with pytest.raises(svc.EmptyText):
        async with db.session() as session:
            await workflow.answer_info(session, clock, request_id=request.id,
                                       reporter=people["lurah"], answer="  ")
    async with db.session() as session:
        answered, _ = await workflow.answer_info(session, clock, request_id=request.id,
                                                 reporter=people["lurah"], answer="12 KK <b>")
    assert answered.answer == "12 KK <b>" and answered.answered_at == clock.now()
    with pytest.raises(svc.InfoAlreadyAnswered):
        async with db.session() as session:
            await workflow.answer_info(session, clock, request_id=request.id,
                                       reporter=people["lurah"], answer="13")
    with pytest.raises(svc.InfoRequestNotFound):
        async with db.session() as session:
            await workflow.answer_info(session, clock, request_id=424242,
                                       reporter=people["lurah"], answer="13")
    await change(db, clock, incident, people["camat"], IncidentStatus.SELESAI)
    with pytest.raises(svc.IncidentClosed):
        async with db.session() as session:
            await workflow.request_info(session, clock, incident_id=incident.id,
                                        actor=people["camat"], question="Lagi?")
    async with db.session() as session:
        detail = await query.incident_detail(session, incident_id=incident.id,
                                             viewer=people["admin"])
    assert [(q.question, q.answer) for q in detail.questions] == [("Berapa KK?", "12 KK <b>")]
    assert detail.region_name == "Cibabat, Cimahi Utara, Kota Cimahi"
    assert detail.reporter.id == people["lurah"].id and not detail.next_statuses


async def test_recipients_are_the_active_chain_camat_first(
        db: Database, clock: FrozenClock, people: dict[str, Official]) -> None:
    incident = await submit(db, clock, people["lurah"])
    camat_report = await submit(db, clock, people["camat"])
    async with db.session() as session:
        recipients = await workflow.recipients_for_notification(session, incident)
        for_camat_report = await workflow.recipients_for_notification(session, camat_report)
    assert [o.id for o in recipients] == [people[n].id for n in ("camat", "admin", "superadmin")]
    assert [o.id for o in for_camat_report] == [people["admin"].id, people["superadmin"].id]


# --- scope and lists --------------------------------------------------------------------------

async def test_scope_lurah_own_camat_kecamatan_admin_area(
        db: Database, clock: FrozenClock, people: dict[str, Official]) -> None:
    mine = await submit(db, clock, people["lurah"])
    neighbour = await submit(db, clock, people["lurah_neighbour"])
    selatan = await submit(db, clock, people["lurah_selatan"])
    kupang = await submit(db, clock, people["lurah_kupang"])
    expected = {
        "lurah": {mine.id}, "lurah_neighbour": {neighbour.id},
        "camat": {mine.id, neighbour.id}, "camat_selatan": {selatan.id},
        "camat_retired": set(), "admin": {mine.id, neighbour.id, selatan.id},
        "admin_kupang": {kupang.id}, "superadmin": {mine.id, neighbour.id, selatan.id, kupang.id},
    }
    all_reports = [mine, neighbour, selatan, kupang]
    async with db.session() as session:
        for name, visible in expected.items():
            page = await query.list_incidents(session, viewer=people[name], page_size=50)
            assert {i.id for i in page.items} == visible, name
            assert page.total == len(visible)
            assert {i.id for i in all_reports if workflow.can_view(people[name], i)} == visible
            for incident in all_reports:
                if incident.id in visible:
                    await query.get_visible(session, incident_id=incident.id,
                                            viewer=people[name])
                else:
                    with pytest.raises(svc.IncidentNotAllowed):
                        await query.get_visible(session, incident_id=incident.id,
                                                viewer=people[name])
        found = await query.find_by_ticket(session, ticket=" lk-2024-000001",
                                           viewer=people["camat"])
        assert found.id == mine.id
        with pytest.raises(svc.IncidentNotAllowed):
            await query.find_by_ticket(session, ticket=mine.ticket, viewer=people["admin_kupang"])


async def test_filters_and_pagination(db: Database, clock: FrozenClock,
                                      people: dict[str, Official]) -> None:
    clock.set(datetime(2024, 10, 1, 2, 0, tzinfo=UTC))
    old = await submit(db, clock, people["lurah"], category=IncidentCategory.KEBAKARAN)
    clock.set(datetime(2024, 11, 4, 2, 0, tzinfo=UTC))
    made = [await submit(db, clock, people["lurah"],
                         urgency=IncidentUrgency.DARURAT if n % 3 == 0 else
                         IncidentUrgency.BIASA) for n in range(6)]
    clock.advance(minutes=1)
    await change(db, clock, made[0], people["camat"], IncidentStatus.DITERIMA)
    admin = people["admin"]

    async def ids(filters: query.IncidentFilter, page: int = 1,
                  size: int = 50) -> tuple[list[int], query.IncidentPage]:
        async with db.session() as session:
            result = await query.list_incidents(session, viewer=admin, filters=filters,
                                                page=page, page_size=size)
        return [i.id for i in result.items], result

    everything, _ = await ids(query.IncidentFilter())
    assert everything == [i.id for i in reversed(made)] + [old.id]  # newest first
    urgent, _ = await ids(query.IncidentFilter(urgency=IncidentUrgency.DARURAT))
    assert urgent == [made[3].id, made[0].id]
    fires, _ = await ids(query.IncidentFilter(category=IncidentCategory.KEBAKARAN))
    assert fires == [old.id]
    accepted, _ = await ids(query.IncidentFilter(status=IncidentStatus.DITERIMA))
    assert accepted == [made[0].id]
    since = query.period_start(query.Period.WEEK, now=clock.now(), timezone="Asia/Jakarta")
    recent, _ = await ids(query.IncidentFilter(since=since))
    assert old.id not in recent and len(recent) == 6
    today = query.period_start(query.Period.TODAY, now=clock.now(), timezone="Asia/Jakarta")
    assert today == datetime(2024, 11, 3, 17, 0, tzinfo=UTC)
    assert query.period_start(query.Period.ALL, now=clock.now(), timezone="Asia/Jakarta") is None

    first, page = await ids(query.IncidentFilter(), page=1, size=3)
    assert (page.total, page.pages, page.has_previous, page.has_next) == (7, 3, False, True)
    last, page = await ids(query.IncidentFilter(), page=3, size=3)
    assert last == [old.id] and page.has_previous and not page.has_next
    stale, page = await ids(query.IncidentFilter(), page=99, size=3)
    assert stale == last and page.page == 3
    empty, page = await ids(query.IncidentFilter(category=IncidentCategory.PEMILU))
    assert empty == [] and (page.total, page.pages, page.page) == (0, 1, 1)


# --- media -------------------------------------------------------------------------------------

async def test_media_is_saved_under_the_data_dir(tmp_path: Path, clock: FrozenClock) -> None:
    path = await media.store_media(tmp_path, clock, content=b"\xff\xd8jpeg",
                                   file_unique_id="A/../b", kind=MediaKind.PHOTO, max_bytes=1024)
    assert path == "media/2024/11/A____b.jpg"
    assert (tmp_path / path).read_bytes() == b"\xff\xd8jpeg"
    assert media.media_file(tmp_path, path) == (tmp_path / path).resolve()
    assert media.media_file(tmp_path, "../etc/passwd") is None
    doc = await media.store_media(tmp_path, clock, content=b"%PDF", file_unique_id="d1",
                                  kind=MediaKind.DOCUMENT, max_bytes=1024,
                                  file_name="Denah Lokasi.PDF")
    assert doc.endswith("/d1.pdf")
    odd = await media.store_media(tmp_path, clock, content=b"x", file_unique_id="d2",
                                  kind=MediaKind.DOCUMENT, max_bytes=1024, file_name="a.<b>")
    assert odd.endswith("/d2.bin")
    with pytest.raises(svc.MediaTooLarge) as error:
        await media.store_media(tmp_path, clock, content=b"x" * 2048, file_unique_id="big",
                                kind=MediaKind.PHOTO, max_bytes=1024)
    assert error.value.values == {"limit": "1 KB"}
    assert not list((tmp_path / "media").rglob("big*"))
    assert svc.human_size(20 * 1024 * 1024) == "20 MB"


async def test_media_rows_survive_in_the_database(db: Database, clock: FrozenClock,
                                                  people: dict[str, Official]) -> None:
    draft = complete_draft(clock)
    for n in range(10):
        draft.add_media(svc.DraftMedia(MediaKind.PHOTO, f"f{n}", f"u{n}", size=n))
    async with db.session() as session:
        incident = await svc.submit_incident(session, clock, reporter=people["lurah"],
                                             draft=draft)
    async with db.session() as session:
        rows = (await session.exec(select(IncidentMedia).where(
            IncidentMedia.incident_id == incident.id))).all()
    assert sorted(r.position for r in rows) == list(range(10))


async def test_two_simultaneous_presses_apply_once(db: Database, clock: FrozenClock,
                                                   people: dict[str, Official]) -> None:
    incident = await submit(db, clock, people["lurah"])
    outcomes = await asyncio.gather(
        change(db, clock, incident, people["camat"], IncidentStatus.DITERIMA),
        change(db, clock, incident, people["admin"], IncidentStatus.DITERIMA),
        return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidTransition", "StatusChanged"]
    async with db.session() as session:
        history = await workflow.status_history(session, incident.id)
    assert [h.to_status for h in history] == [IncidentStatus.BARU, IncidentStatus.DITERIMA]


async def test_open_emergencies_can_come_first(db: Database, clock: FrozenClock,
                                               people: dict[str, Official]) -> None:
    emergency = await submit(db, clock, people["lurah"], urgency=IncidentUrgency.DARURAT)
    clock.advance(minutes=1)
    closed_emergency = await submit(db, clock, people["lurah"], urgency=IncidentUrgency.DARURAT)
    await change(db, clock, closed_emergency, people["camat"], IncidentStatus.SELESAI)
    clock.advance(minutes=1)
    routine = await submit(db, clock, people["lurah"])
    async with db.session() as session:
        page = await query.list_incidents(session, viewer=people["camat"], urgent_first=True)
        open_only = await query.list_incidents(
            session, viewer=people["camat"], filters=query.IncidentFilter(open_only=True))
    assert [i.id for i in page.items] == [emergency.id, routine.id, closed_emergency.id]
    assert {i.id for i in open_only.items} == {emergency.id, routine.id}
