"""A small, hand-countable world for the recap and export tests (no tests here).

Clock: Monday 4 November 2024, 02:00 UTC (09:00 WIB). The "last 7 days" of Kota Cimahi are
29 October – 4 November local, i.e. [28 Oct 17:00 UTC, 4 Nov 17:00 UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.clock import Clock
from bot.db import Database
from models.complaints import Complaint, ComplaintCategory, ComplaintChannel, ComplaintStatus
from models.drives import Drive, DriveStatus, DriveTarget
from models.incidents import Incident, IncidentCategory, IncidentStatus, IncidentUrgency
from models.meetings import Meeting, MeetingInvite, MeetingStatus, RsvpStatus
from models.officials import Official, OfficialStatus, Role

CIBABAT, CITEUREUP, MELONG = "32.77.03.1002", "32.77.03.1003", "32.77.01.1001"
UTARA, SELATAN, CIMAHI = "32.77.03", "32.77.01", "32.77"
NAMOSAIN, ALAK = "53.71.01.1001", "53.71.01"


def utc(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    admin: Official
    camat: Official
    camat_alak: Official
    superadmin: Official
    lurah_cibabat: Official
    lurah_citeureup: Official
    lurah_melong: Official
    lurah_namosain: Official


async def seed_people(db: Database, clock: Clock) -> World:
    people = {
        "admin": (Role.ADMIN, CIMAHI), "camat": (Role.CAMAT, UTARA),
        "camat_alak": (Role.CAMAT, ALAK), "superadmin": (Role.SUPERADMIN, None),
        "lurah_cibabat": (Role.LURAH, CIBABAT), "lurah_citeureup": (Role.LURAH, CITEUREUP),
        "lurah_melong": (Role.LURAH, MELONG), "lurah_namosain": (Role.LURAH, NAMOSAIN),
    }
    made: dict[str, Official] = {}
    async with db.session() as session:
        for number, (name, (role, region)) in enumerate(people.items(), start=1):
            official = Official(telegram_id=9000 + number,
                                full_name=name.replace("_", " ").title(), role=role,
                                region_code=region, status=OfficialStatus.ACTIVE,
                                created_at=clock.now())
            session.add(official)
            made[name] = official
        await session.flush()
    return World(**made)


def incident(number: int, region: str, reporter: Official, category: IncidentCategory,
             urgency: IncidentUrgency, status: IncidentStatus, created: datetime) -> Incident:
    return Incident(ticket=f"LK-2024-{number:06d}", category=category, urgency=urgency,
                    description=f"Kejadian nomor {number}",
                    occurred_at=created - timedelta(hours=1),
                    region_code=region, reporter_id=reporter.id or 0, status=status,
                    created_at=created, updated_at=created, address="Jl. Contoh No. 1",
                    latitude=-6.87, longitude=107.54)


def complaint(number: int, region: str, recorder: Official, category: ComplaintCategory,
              status: ComplaintStatus, received: datetime, due: datetime,
              closed: datetime | None = None) -> Complaint:
    return Complaint(ticket=f"ADU-2024-{number:06d}", year=2024, sequence=number,
                     region_code=region, recorded_by_id=recorder.id or 0,
                     assignee_id=recorder.id or 0, citizen_name=f"Warga {number}",
                     citizen_phone="081234567890", citizen_nik=f"32770312345{number:05d}",
                     channel=ComplaintChannel.DATANG, category=category,
                     description=f"Pengaduan nomor {number}", status=status,
                     received_at=received, due_on=due.date(), due_at=due, closed_at=closed,
                     updated_at=closed or received)


async def seed_world(db: Database, clock: Clock) -> World:
    """People, then incidents, complaints, rakor and e-KTP drives with known figures."""
    w = await seed_people(db, clock)
    Ic, U, S = IncidentCategory, IncidentUrgency, IncidentStatus
    C, CS = ComplaintCategory, ComplaintStatus
    async with db.session() as session:
        session.add_all([
            incident(1, CIBABAT, w.lurah_cibabat, Ic.BENCANA, U.DARURAT, S.BARU, utc(4, 1)),
            incident(2, CIBABAT, w.lurah_cibabat, Ic.KEAMANAN, U.BIASA, S.SELESAI, utc(1, 3)),
            incident(3, UTARA, w.camat, Ic.KEBAKARAN, U.PENTING, S.DITINDAKLANJUTI,
                     utc(30, 5, 0, 10)),
            # exactly 00:00 WIB on 29 October: the first instant of the 7 days
            incident(4, MELONG, w.lurah_melong, Ic.BENCANA, U.PENTING, S.DITERIMA,
                     utc(28, 17, 0, 10)),
            # one minute earlier: outside
            incident(5, MELONG, w.lurah_melong, Ic.BENCANA, U.BIASA, S.BARU, utc(28, 16, 59, 10)),
            incident(6, NAMOSAIN, w.lurah_namosain, Ic.KONFLIK, U.DARURAT, S.BARU, utc(2, 4)),
            # 00:30 WITA on 4 November: "today" in Kupang, still 3 November in WIB
            incident(7, NAMOSAIN, w.lurah_namosain, Ic.LAINNYA, U.BIASA, S.BARU, utc(3, 16, 30)),
        ])
        session.add_all([
            complaint(1, CIBABAT, w.lurah_cibabat, C.INFRASTRUKTUR, CS.SELESAI, utc(30, 2, 0, 10),
                      utc(1, 16, 59), closed=utc(31, 2, 0, 10)),                       # 24 h
            complaint(2, CIBABAT, w.lurah_cibabat, C.KEBERSIHAN, CS.SELESAI, utc(31, 2, 0, 10),
                      utc(6, 16, 59), closed=utc(3, 2)),                               # 72 h
            complaint(3, CIBABAT, w.lurah_cibabat, C.PUNGLI, CS.DIPROSES, utc(1, 2),
                      utc(3, 16, 59)),                                      # open, overdue
            complaint(4, MELONG, w.lurah_melong, C.ADMINDUK, CS.DITERIMA, utc(2, 2),
                      utc(8, 16, 59)),                                      # open, in time
            complaint(5, MELONG, w.lurah_melong, C.LAINNYA, CS.DITOLAK, utc(2, 2),
                      utc(8, 16, 59), closed=utc(2, 5)),
            complaint(6, CIBABAT, w.lurah_cibabat, C.KEBERSIHAN, CS.SELESAI, utc(1, 2),
                      utc(5, 16, 59), closed=utc(1, 14)),                              # 12 h
            complaint(7, MELONG, w.lurah_melong, C.SOSIAL, CS.SELESAI, utc(29, 2, 0, 10),
                      utc(4, 16, 59), closed=utc(31, 2, 0, 10)),                       # 48 h
            complaint(8, CIBABAT, w.lurah_cibabat, C.SOSIAL, CS.DIPROSES, utc(20, 2, 0, 10),
                      utc(25, 16, 59, 10)),                                 # before the period
        ])
        held = meeting(w.admin, utc(1, 2), title="Rakor Kewilayahan November")
        later = meeting(w.admin, utc(5, 2), title="Rakor Besok")
        called_off = meeting(w.admin, utc(2, 2), title="Rakor Batal",
                             status=MeetingStatus.CANCELLED)
        kupang = meeting(w.admin, utc(1, 2), title="Rakor Kupang", region=ALAK[:5])
        session.add_all([held, later, called_off, kupang])
        await session.flush()
        session.add_all([
            MeetingInvite(meeting_id=held.id, official_id=w.camat.id, rsvp=RsvpStatus.HADIR,
                          answered_at=utc(31, 1, 0, 10), checked_in_at=utc(1, 2, 5)),
            MeetingInvite(meeting_id=held.id, official_id=w.lurah_cibabat.id,
                          rsvp=RsvpStatus.DIWAKILKAN, delegate_name="Sekretaris Kelurahan",
                          delegate_position="Sekretaris", answered_at=utc(31, 1, 0, 10),
                          checked_in_at=utc(1, 2, 10)),
            MeetingInvite(meeting_id=held.id, official_id=w.lurah_melong.id,
                          rsvp=RsvpStatus.TIDAK_HADIR, reason="Sakit",
                          answered_at=utc(31, 1, 0, 10)),
            MeetingInvite(meeting_id=held.id, official_id=w.lurah_citeureup.id),
            MeetingInvite(meeting_id=later.id, official_id=w.camat.id, rsvp=RsvpStatus.HADIR),
            MeetingInvite(meeting_id=called_off.id, official_id=w.lurah_cibabat.id,
                          rsvp=RsvpStatus.HADIR),
            MeetingInvite(meeting_id=kupang.id, official_id=w.lurah_namosain.id,
                          rsvp=RsvpStatus.HADIR, checked_in_at=utc(1, 2)),
        ])
        held_drive = drive(w.admin, utc(31, 1, 0, 10))
        cancelled_drive = drive(w.admin, utc(1, 1), status=DriveStatus.CANCELLED)
        future_drive = drive(w.admin, utc(10, 1))
        session.add_all([held_drive, cancelled_drive, future_drive])
        await session.flush()
        session.add_all([
            DriveTarget(drive_id=held_drive.id, region_code=CIBABAT, target_count=100,
                        realised_count=80, reported_at=utc(31, 9, 0, 10),
                        reported_by_id=w.lurah_cibabat.id),
            DriveTarget(drive_id=held_drive.id, region_code=CITEUREUP, target_count=50),
            DriveTarget(drive_id=held_drive.id, region_code=MELONG, target_count=60,
                        realised_count=66, reported_at=utc(31, 10, 0, 10),
                        reported_by_id=w.lurah_melong.id),
            DriveTarget(drive_id=cancelled_drive.id, region_code=CIBABAT, target_count=999),
            DriveTarget(drive_id=future_drive.id, region_code=CIBABAT, target_count=70),
        ])
    return w


def meeting(admin: Official, starts: datetime, *, title: str, region: str = CIMAHI,
            status: MeetingStatus = MeetingStatus.SCHEDULED) -> Meeting:
    return Meeting(title=title, region_code=region, timezone="Asia/Jakarta", starts_at=starts,
                   ends_at=starts + timedelta(hours=2), venue="Aula Setda",
                   rsvp_deadline=starts - timedelta(days=1), status=status,
                   created_by_id=admin.id or 0, created_at=utc(20, 0, 0, 10),
                   updated_at=utc(20, 0, 0, 10))


def drive(admin: Official, starts: datetime, *,
          status: DriveStatus = DriveStatus.SCHEDULED) -> Drive:
    return Drive(region_code=CIMAHI, timezone="Asia/Jakarta", starts_at=starts,
                 ends_at=starts + timedelta(hours=6), place="Aula Kelurahan",
                 target_group="Pemilih pemula", status=status, created_by_id=admin.id or 0,
                 created_at=utc(20, 0, 0, 10), updated_at=utc(20, 0, 0, 10))


FIRST_DAY, LAST_DAY = date(2024, 10, 29), date(2024, 11, 4)
