"""Rakor: invitees and scope, the RSVP state machine, reschedule, check-in and reminder plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.clock import FrozenClock
from bot.db import Database
from bot.errors import DomainError, InvalidInput, NotAllowed
from bot.i18n import catalog
from bot.services import meetings, meetings_query, meetings_rsvp
from bot.services.meetings import InviteeSelection, MeetingDraft
from bot.services.meetings_reminders import plan_meeting_reminders
from bot.settings import ReminderSettings
from models.meetings import Meeting, MeetingChange, MeetingInvite, MeetingStatus, RsvpStatus
from models.reminders import ReminderStatus
from tests.unit.test_meetings_support import People, reminders_of, seed_people

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
RULES = ReminderSettings()
# Tuesday 12 November 2024, 09.00–12.00 WIB; answers until Monday 11 November 12.00 WIB
START = datetime(2024, 11, 12, 9, 0, tzinfo=WIB)
END = datetime(2024, 11, 12, 12, 0, tzinfo=WIB)
DEADLINE = datetime(2024, 11, 11, 12, 0, tzinfo=WIB)


def draft(**changes: object) -> MeetingDraft:
    values: dict[str, object] = dict(
        title="Rakor <persiapan> Pilkada", agenda="1. Logistik\n2. Keamanan",
        starts_at=START, ends_at=END, venue="Aula Pemkot Cimahi", rsvp_deadline=DEADLINE)
    values.update(changes)
    return MeetingDraft(**values)  # type: ignore[arg-type]


@pytest.fixture
async def people(db: Database) -> People:
    return await seed_people(db)


async def create(db: Database, clock: FrozenClock, people: People,
                 selection: InviteeSelection | None = None, **changes: object) -> Meeting:
    selection = selection or InviteeSelection(all_camat=True,
                                              kecamatan_codes=frozenset({"32.77.03"}))
    async with db.session() as session:
        meeting, _ = await meetings.create_meeting(
            session, clock, actor=people.admin, draft=draft(**changes), selection=selection,
            rules=RULES)
    return meeting


async def answer(db: Database, clock: FrozenClock, meeting: Meeting, who: object,
                 status: RsvpStatus, **details: str) -> MeetingInvite:
    async with db.session() as session:
        _, invite = await meetings_rsvp.answer_invitation(
            session, clock, meeting_id=meeting.id, official=who, answer=status, rules=RULES,
            **details)
    return invite


def assert_known(error: DomainError) -> None:
    assert error.key in catalog("id") and error.key in catalog("en"), error.key


# --- invitees and scope ---------------------------------------------------------------------

async def test_invitees_combine_groups_within_the_area(db: Database, clock: FrozenClock,
                                                       people: People) -> None:
    selection = InviteeSelection(all_camat=True, kecamatan_codes=frozenset({"32.77.03"}),
                                 official_ids=frozenset({people.lurah_melong.id}))
    async with db.session() as session:
        meeting, rows = await meetings.create_meeting(
            session, clock, actor=people.admin, draft=draft(), selection=selection,
            rules=RULES)
    names = sorted(o.full_name for _, o in rows)
    # both Cimahi camat, the active lurah of Cimahi Utara, and Melong by name — no duplicates,
    # nobody pending, nobody from Kupang
    assert names == ["Camat Cimahi Selatan", "Camat Cimahi Utara", "Lurah Cibabat",
                     "Lurah Melong", "Lurah Pasirkaliki"]
    assert meeting.timezone == "Asia/Jakarta" and meeting.region_code == "32.77"
    assert meeting.title == "Rakor <persiapan> Pilkada"
    assert all(i.rsvp == RsvpStatus.PENDING for i, _ in rows)
    rsvp_due = DEADLINE.astimezone(UTC) - timedelta(days=1)
    assert await reminders_of(db, "meeting", meeting.id) == {
        ("meeting.rsvp_due", o.id, rsvp_due) for _, o in rows}


async def test_all_lurah_only(db: Database, clock: FrozenClock, people: People) -> None:
    async with db.session() as session:
        _, rows = await meetings.create_meeting(
            session, clock, actor=people.admin, draft=draft(),
            selection=InviteeSelection(all_lurah=True), rules=RULES)
    assert {o.full_name for _, o in rows} == {"Lurah Cibabat", "Lurah Pasirkaliki",
                                              "Lurah Melong"}


@pytest.mark.parametrize("pick", ["kupang_kecamatan", "kupang_official", "admin_official"])
async def test_invitees_outside_the_area_are_refused(db: Database, clock: FrozenClock,
                                                     people: People, pick: str) -> None:
    selection = {
        "kupang_kecamatan": InviteeSelection(kecamatan_codes=frozenset({"53.71.01"})),
        "kupang_official": InviteeSelection(official_ids=frozenset({people.camat_alak.id})),
        "admin_official": InviteeSelection(official_ids=frozenset({people.kupang_admin.id})),
    }[pick]
    with pytest.raises(NotAllowed) as error:
        await create(db, clock, people, selection)
    assert error.value.key == "meetings.errors.invitee_out_of_scope"


async def test_only_admins_organise_and_only_in_their_area(db: Database, clock: FrozenClock,
                                                           people: People) -> None:
    with pytest.raises(NotAllowed):
        async with db.session() as session:
            await meetings.create_meeting(
                session, clock, actor=people.camat_utara, draft=draft(),
                selection=InviteeSelection(all_lurah=True), rules=RULES)
    with pytest.raises(InvalidInput) as empty:
        await create(db, clock, people, InviteeSelection())
    assert empty.value.key == "meetings.errors.no_invitees"
    meeting = await create(db, clock, people)
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await meetings.get_managed_meeting(session, actor=people.kupang_admin,
                                               meeting_id=meeting.id)
        assert (await meetings.get_managed_meeting(
            session, actor=people.superadmin, meeting_id=meeting.id)).id == meeting.id
        with pytest.raises(InvalidInput) as no_area:
            meetings.organising_area(people.superadmin)
        assert_known(no_area.value)
        assert meetings.organising_area(people.superadmin, "53.71") == "53.71"


@pytest.mark.parametrize(("changes", "key"), [
    ({"starts_at": datetime(2024, 11, 4, 8, 0, tzinfo=WIB)}, "meetings.errors.start_in_past"),
    ({"ends_at": START}, "meetings.errors.end_before_start"),
    ({"ends_at": START + timedelta(hours=25)}, "meetings.errors.too_long"),
    ({"rsvp_deadline": START + timedelta(minutes=1)}, "meetings.errors.deadline_invalid"),
    ({"rsvp_deadline": datetime(2024, 11, 4, 8, 0, tzinfo=WIB)},
     "meetings.errors.deadline_invalid"),
    ({"title": "   "}, "meetings.errors.title_empty"),
    ({"venue": ""}, "meetings.errors.venue_empty"),
    ({"venue_latitude": 51.5, "venue_longitude": -0.1}, "meetings.errors.pin_outside"),
])
async def test_bad_drafts_are_refused_with_a_reason(db: Database, clock: FrozenClock,
                                                    people: People, changes: dict[str, object],
                                                    key: str) -> None:
    with pytest.raises(InvalidInput) as error:
        await create(db, clock, people, **changes)
    assert error.value.key == key
    assert_known(error.value)


# --- RSVP -----------------------------------------------------------------------------------

async def test_answers_change_until_the_deadline(db: Database, clock: FrozenClock,
                                                 people: People) -> None:
    meeting = await create(db, clock, people)
    cibabat = people.lurah_cibabat
    invite = await answer(db, clock, meeting, cibabat, RsvpStatus.HADIR)
    assert invite.rsvp == RsvpStatus.HADIR and invite.answered_at == clock.now()

    with pytest.raises(InvalidInput) as missing:
        await answer(db, clock, meeting, cibabat, RsvpStatus.DIWAKILKAN, delegate_name="Sekel")
    assert missing.value.key == "meetings.errors.delegate_required"
    async with db.session() as session:
        _, unchanged = await meetings_rsvp.my_invitation(session, meeting_id=meeting.id,
                                                         official=cibabat)
    assert unchanged.rsvp == RsvpStatus.HADIR

    clock.advance(hours=1)
    invite = await answer(db, clock, meeting, cibabat, RsvpStatus.DIWAKILKAN,
                          delegate_name=" Dedi ", delegate_position="Sekretaris Kelurahan")
    assert (invite.delegate_name, invite.delegate_position) == ("Dedi", "Sekretaris Kelurahan")
    invite = await answer(db, clock, meeting, cibabat, RsvpStatus.TIDAK_HADIR,
                          reason="Bertugas di lokasi banjir")
    assert invite.rsvp == RsvpStatus.TIDAK_HADIR and invite.delegate_name is None
    assert invite.reason == "Bertugas di lokasi banjir"
    invite = await answer(db, clock, meeting, cibabat, RsvpStatus.TIDAK_HADIR, reason="  ")
    assert invite.reason is None

    clock.set(DEADLINE + timedelta(seconds=1))
    with pytest.raises(InvalidInput) as closed:
        await answer(db, clock, meeting, cibabat, RsvpStatus.HADIR)
    assert closed.value.key == "meetings.errors.rsvp_closed"
    async with db.session() as session:
        with pytest.raises(meetings_rsvp.RsvpClosed):
            await meetings_rsvp.ensure_can_answer(session, clock, meeting_id=meeting.id,
                                                  official=cibabat)


async def test_only_invitees_answer(db: Database, clock: FrozenClock, people: People) -> None:
    meeting = await create(db, clock, people)
    for outsider in (people.camat_alak, people.lurah_melong):
        with pytest.raises(meetings_rsvp.NotInvited) as error:
            await answer(db, clock, meeting, outsider, RsvpStatus.HADIR)
        assert_known(error.value)


async def test_reminders_follow_each_answer(db: Database, clock: FrozenClock,
                                            people: People) -> None:
    meeting = await create(db, clock, people)
    cibabat, utara = people.lurah_cibabat.id, people.camat_utara.id
    day_before = datetime(2024, 11, 11, 8, 0, tzinfo=WIB).astimezone(UTC)
    hour_before = START.astimezone(UTC) - timedelta(hours=1)
    rsvp_due = DEADLINE.astimezone(UTC) - timedelta(days=1)
    await answer(db, clock, meeting, people.lurah_cibabat, RsvpStatus.HADIR)
    await answer(db, clock, meeting, people.camat_utara, RsvpStatus.DIWAKILKAN,
                 delegate_name="Sekcam", delegate_position="Sekretaris Kecamatan")
    await answer(db, clock, meeting, people.camat_selatan, RsvpStatus.TIDAK_HADIR)
    pending = await reminders_of(db, "meeting", meeting.id)
    assert pending == {
        ("meeting.day_before", cibabat, day_before), ("meeting.hour_before", cibabat, hour_before),
        ("meeting.day_before", utara, day_before), ("meeting.hour_before", utara, hour_before),
        ("meeting.rsvp_due", people.lurah_pasirkaliki.id, rsvp_due),
    }
    cancelled = await reminders_of(db, "meeting", meeting.id, ReminderStatus.CANCELLED)
    assert ("meeting.rsvp_due", people.camat_selatan.id, rsvp_due) in cancelled


async def test_a_replan_keeps_a_due_reminder_the_scheduler_has_not_sent(
        db: Database, clock: FrozenClock, people: People) -> None:
    meeting = await create(db, clock, people, rsvp_deadline=START)
    await answer(db, clock, meeting, people.lurah_cibabat, RsvpStatus.HADIR)
    day_before = datetime(2024, 11, 11, 8, 0, tzinfo=WIB).astimezone(UTC)
    clock.set(day_before + timedelta(seconds=5))
    await answer(db, clock, meeting, people.lurah_pasirkaliki, RsvpStatus.HADIR)
    pending = await reminders_of(db, "meeting", meeting.id)
    assert ("meeting.day_before", people.lurah_cibabat.id, day_before) in pending
    # the latecomer gets no day-before reminder after its moment, only the hour-before one
    kinds = {k for k, who, _ in pending if who == people.lurah_pasirkaliki.id}
    assert kinds == {"meeting.hour_before"}


def test_reminder_plan_uses_the_meeting_zone_and_settings() -> None:
    start = datetime(2024, 11, 12, 9, 0, tzinfo=WITA)
    meeting = Meeting(id=7, title="Rakor", region_code="53.71", timezone="Asia/Makassar",
                      starts_at=start.astimezone(UTC), ends_at=start.astimezone(UTC),
                      venue="Aula", rsvp_deadline=datetime(2024, 11, 10, 18, 0, tzinfo=UTC),
                      created_by_id=1, created_at=start, updated_at=start)
    invites = [MeetingInvite(meeting_id=7, official_id=1, rsvp=RsvpStatus.HADIR),
               MeetingInvite(meeting_id=7, official_id=2, rsvp=RsvpStatus.PENDING),
               MeetingInvite(meeting_id=7, official_id=3, rsvp=RsvpStatus.TIDAK_HADIR)]
    now = datetime(2024, 11, 4, 2, 0, tzinfo=UTC)
    plan = plan_meeting_reminders(meeting, invites, now=now, day_before_at="07:30",
                                  minutes_before=45)
    found = {(p.kind, p.recipient_id, p.due_at, p.expires_at) for p in plan}
    assert found == {
        ("meeting.day_before", 1, datetime(2024, 11, 11, 7, 30, tzinfo=WITA),
         meeting.starts_at),
        ("meeting.hour_before", 1, meeting.starts_at - timedelta(minutes=45),
         meeting.starts_at),
        ("meeting.rsvp_due", 2, datetime(2024, 11, 9, 18, 0, tzinfo=UTC),
         meeting.rsvp_deadline),
    }
    assert all(p.payload == {"meeting_id": 7} for p in plan)
    meeting.status = MeetingStatus.CANCELLED
    assert plan_meeting_reminders(meeting, invites, now=now, day_before_at="07:30",
                                  minutes_before=45) == []


# --- changes --------------------------------------------------------------------------------

async def test_reschedule_resets_answers_and_replans(db: Database, clock: FrozenClock,
                                                     people: People) -> None:
    meeting = await create(db, clock, people)
    await answer(db, clock, meeting, people.lurah_cibabat, RsvpStatus.DIWAKILKAN,
                 delegate_name="Dedi", delegate_position="Sekel")
    new_start = START + timedelta(days=2)
    async with db.session() as session:
        moved, rows = await meetings.reschedule_meeting(
            session, clock, actor=people.admin, meeting_id=meeting.id, starts_at=new_start,
            ends_at=new_start + timedelta(hours=2), rules=RULES)
    assert moved.starts_at == new_start and moved.rsvp_deadline == DEADLINE + timedelta(days=2)
    assert all(i.rsvp == RsvpStatus.PENDING and i.delegate_name is None for i, _ in rows)
    assert {k for k, _, _ in await reminders_of(db, "meeting", meeting.id)} == {
        "meeting.rsvp_due"}
    async with db.session() as session:
        log = (await session.exec(select(MeetingChange).order_by(col(MeetingChange.id)))).all()
    assert [row.kind for row in log] == ["created", "rescheduled"]

    # after the old deadline, moving the meeting reopens answers until the new start
    clock.set(DEADLINE + timedelta(days=2, hours=1))
    later = START + timedelta(days=3)
    async with db.session() as session:
        moved, _ = await meetings.reschedule_meeting(
            session, clock, actor=people.admin, meeting_id=meeting.id, starts_at=later,
            ends_at=later + timedelta(hours=1), rules=RULES)
    assert moved.rsvp_deadline > clock.now()
    await answer(db, clock, meeting, people.lurah_cibabat, RsvpStatus.HADIR)
    with pytest.raises(InvalidInput) as past:
        async with db.session() as session:
            await meetings.reschedule_meeting(
                session, clock, actor=people.admin, meeting_id=meeting.id,
                starts_at=clock.now() - timedelta(hours=1), ends_at=later, rules=RULES)
    assert past.value.key == "meetings.errors.start_in_past"


async def test_venue_change_keeps_answers_and_cancel_stops_everything(
        db: Database, clock: FrozenClock, people: People) -> None:
    meeting = await create(db, clock, people)
    await answer(db, clock, meeting, people.lurah_cibabat, RsvpStatus.HADIR)
    async with db.session() as session:
        moved, rows = await meetings.change_venue(
            session, clock, actor=people.admin, meeting_id=meeting.id,
            venue="Gedung Technopark", latitude=-6.87, longitude=107.54)
    assert moved.venue == "Gedung Technopark" and len(rows) == 4
    assert {i.rsvp for i, o in rows if o.id == people.lurah_cibabat.id} == {RsvpStatus.HADIR}
    with pytest.raises(NotAllowed):
        async with db.session() as session:
            await meetings.cancel_meeting(session, clock, actor=people.kupang_admin,
                                          meeting_id=meeting.id)
    async with db.session() as session:
        cancelled, rows = await meetings.cancel_meeting(
            session, clock, actor=people.admin, meeting_id=meeting.id, reason="Ditunda")
    assert cancelled.status == MeetingStatus.CANCELLED and len(rows) == 4
    assert await reminders_of(db, "meeting", meeting.id) == set()
    with pytest.raises(meetings.MeetingCancelled):
        await answer(db, clock, meeting, people.lurah_cibabat, RsvpStatus.TIDAK_HADIR)
    async with db.session() as session:
        assert await meetings_query.upcoming_for_invitee(
            session, clock, official=people.lurah_cibabat) == []
        with pytest.raises(meetings.MeetingCancelled):
            await meetings.change_venue(session, clock, actor=people.admin,
                                        meeting_id=meeting.id, venue="X")


# --- attendance, recap, minutes -------------------------------------------------------------

async def test_check_in_window_and_recap(db: Database, clock: FrozenClock,
                                         people: People) -> None:
    meeting = await create(db, clock, people)
    await answer(db, clock, meeting, people.lurah_cibabat, RsvpStatus.HADIR)
    await answer(db, clock, meeting, people.camat_utara, RsvpStatus.DIWAKILKAN,
                 delegate_name="Sekcam", delegate_position="Sekretaris Kecamatan")
    await answer(db, clock, meeting, people.camat_selatan, RsvpStatus.TIDAK_HADIR,
                 reason="Cuti")

    async def check_in(who: object) -> bool:
        async with db.session() as session:
            _, _, recorded = await meetings_rsvp.check_in(session, clock, meeting_id=meeting.id,
                                                          official=who)
        return recorded

    clock.set(START - timedelta(minutes=31))
    with pytest.raises(meetings_rsvp.CheckInNotOpen):
        await check_in(people.lurah_cibabat)
    with pytest.raises(meetings_rsvp.CheckInNotOpen):
        async with db.session() as session:
            await meetings_rsvp.mark_attendance(
                session, clock, actor=people.admin, meeting_id=meeting.id,
                official_id=people.lurah_pasirkaliki.id)
    clock.set(START - timedelta(minutes=30))
    assert await check_in(people.lurah_cibabat) is True
    assert await check_in(people.lurah_cibabat) is False
    with pytest.raises(meetings_rsvp.NotInvited):
        await check_in(people.lurah_melong)
    clock.set(END + timedelta(minutes=1))
    with pytest.raises(meetings_rsvp.CheckInClosed):
        await check_in(people.camat_utara)
    async with db.session() as session:
        # the admin fills in the list afterwards: the camat's delegate came, so did Pasirkaliki
        for official in (people.camat_utara, people.lurah_pasirkaliki):
            invite = await meetings_rsvp.mark_attendance(
                session, clock, actor=people.admin, meeting_id=meeting.id,
                official_id=official.id)
            assert invite.checked_in_by_id == people.admin.id
        recap = await meetings_rsvp.meeting_recap(session, actor=people.admin,
                                                  meeting_id=meeting.id)
    assert recap.total == 4 and recap.confirmed == 2 and recap.present == 3
    assert recap.counts == {RsvpStatus.HADIR: 1, RsvpStatus.DIWAKILKAN: 1,
                            RsvpStatus.TIDAK_HADIR: 1, RsvpStatus.PENDING: 1}
    pending = recap.groups[RsvpStatus.PENDING]
    assert [(g.kecamatan_name, [e.name for e in g.entries]) for g in pending] == [
        ("Cimahi Utara", ["Lurah Pasirkaliki"])]
    delegated = recap.groups[RsvpStatus.DIWAKILKAN][0].entries[0]
    assert (delegated.delegate_name, delegated.present) == ("Sekcam", True)
    absent = recap.groups[RsvpStatus.TIDAK_HADIR][0]
    assert absent.kecamatan_name == "Cimahi Selatan" and absent.entries[0].reason == "Cuti"
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await meetings_rsvp.meeting_recap(session, actor=people.kupang_admin,
                                              meeting_id=meeting.id)
        with pytest.raises(NotAllowed):
            await meetings_rsvp.meeting_recap(session, actor=people.camat_utara,
                                              meeting_id=meeting.id)


async def test_unanswered_list_for_reminding(db: Database, clock: FrozenClock,
                                             people: People) -> None:
    meeting = await create(db, clock, people)
    await answer(db, clock, meeting, people.lurah_cibabat, RsvpStatus.HADIR)
    async with db.session() as session:
        _, rows = await meetings_rsvp.unanswered(session, clock, actor=people.admin,
                                                 meeting_id=meeting.id)
    assert {o.full_name for _, o in rows} == {"Camat Cimahi Utara", "Camat Cimahi Selatan",
                                              "Lurah Pasirkaliki"}
    clock.set(DEADLINE + timedelta(minutes=1))
    with pytest.raises(meetings_rsvp.RsvpClosed):
        async with db.session() as session:
            await meetings_rsvp.unanswered(session, clock, actor=people.admin,
                                           meeting_id=meeting.id)


async def test_minutes_are_a_pdf_after_the_start(db: Database, clock: FrozenClock,
                                                 people: People) -> None:
    meeting = await create(db, clock, people)

    async def attach(mime: str) -> Meeting:
        async with db.session() as session:
            attached, _ = await meetings.attach_minutes(
                session, clock, actor=people.admin, meeting_id=meeting.id, file_id="FILE1",
                file_name="notulen.pdf", mime_type=mime)
        return attached

    with pytest.raises(InvalidInput) as early:
        await attach("application/pdf")
    assert early.value.key == "meetings.errors.minutes_too_early"
    clock.set(END + timedelta(hours=2))
    with pytest.raises(InvalidInput) as not_pdf:
        await attach("image/jpeg")
    assert not_pdf.value.key == "meetings.errors.minutes_not_pdf"
    attached = await attach("application/pdf")
    assert attached.minutes_file_id == "FILE1" and attached.minutes_added_at == clock.now()


async def test_listings(db: Database, clock: FrozenClock, people: People) -> None:
    first = await create(db, clock, people)
    second = await create(db, clock, people, InviteeSelection(all_lurah=True),
                          starts_at=START - timedelta(days=1), ends_at=END - timedelta(days=1),
                          rsvp_deadline=DEADLINE - timedelta(days=1))
    async with db.session() as session:
        mine = await meetings_query.upcoming_for_invitee(session, clock,
                                                         official=people.lurah_cibabat)
        assert [m.id for m, _ in mine] == [second.id, first.id]
        camat = await meetings_query.upcoming_for_invitee(session, clock,
                                                          official=people.camat_utara)
        assert [m.id for m, _ in camat] == [first.id]
        managed = await meetings_query.managed_meetings(session, clock, actor=people.admin)
        assert [m.id for m in managed] == [second.id, first.id]
        assert await meetings_query.managed_meetings(
            session, clock, actor=people.kupang_admin) == []
    clock.set(END + timedelta(days=8))
    async with db.session() as session:
        assert await meetings_query.managed_meetings(session, clock, actor=people.admin) == []
        assert await meetings_query.upcoming_for_invitee(
            session, clock, official=people.lurah_cibabat) == []


async def test_invitation_message_is_remembered(db: Database, clock: FrozenClock,
                                                people: People) -> None:
    meeting = await create(db, clock, people)
    async with db.session() as session:
        _, invite = await meetings_rsvp.my_invitation(session, meeting_id=meeting.id,
                                                      official=people.lurah_cibabat)
        await meetings.record_invitation_message(session, invite_id=invite.id,
                                                 chat_id=3001, message_id=55)
    async with db.session() as session:
        _, invite = await meetings_rsvp.my_invitation(session, meeting_id=meeting.id,
                                                      official=people.lurah_cibabat)
    assert (invite.chat_id, invite.message_id) == (3001, 55)
