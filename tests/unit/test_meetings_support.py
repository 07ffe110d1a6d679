"""Officials and reminder look-ups shared by the meeting and drive service tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from bot.db import Database
from models.officials import Official, OfficialStatus, Role
from models.reminders import Reminder, ReminderStatus

CREATED = datetime(2024, 11, 1, tzinfo=UTC)


@dataclass
class People:
    admin: Official
    kupang_admin: Official
    superadmin: Official
    camat_utara: Official
    camat_selatan: Official
    lurah_cibabat: Official
    lurah_pasirkaliki: Official
    lurah_melong: Official
    pending_lurah: Official
    camat_alak: Official
    lurah_namosain: Official


def _official(telegram_id: int, name: str, role: Role, region: str | None,
              status: OfficialStatus = OfficialStatus.ACTIVE) -> Official:
    return Official(telegram_id=telegram_id, full_name=name, role=role, region_code=region,
                    status=status, created_at=CREATED)


async def seed_people(db: Database) -> People:
    """Cimahi (WIB) and Kupang (WITA) officials of every role."""
    people = People(
        admin=_official(1001, "Admin Tapem Cimahi", Role.ADMIN, "32.77"),
        kupang_admin=_official(1002, "Admin Tapem Kupang", Role.ADMIN, "53.71"),
        superadmin=_official(1003, "Superadmin", Role.SUPERADMIN, None),
        camat_utara=_official(2001, "Camat Cimahi Utara", Role.CAMAT, "32.77.03"),
        camat_selatan=_official(2002, "Camat Cimahi Selatan", Role.CAMAT, "32.77.01"),
        lurah_cibabat=_official(3001, "Lurah Cibabat", Role.LURAH, "32.77.03.1002"),
        lurah_pasirkaliki=_official(3002, "Lurah Pasirkaliki", Role.LURAH, "32.77.03.1001"),
        lurah_melong=_official(3003, "Lurah Melong", Role.LURAH, "32.77.01.1001"),
        pending_lurah=_official(3004, "Lurah Citeureup", Role.LURAH, "32.77.03.1003",
                                OfficialStatus.PENDING),
        camat_alak=_official(2003, "Camat Alak", Role.CAMAT, "53.71.01"),
        lurah_namosain=_official(3005, "Lurah Namosain", Role.LURAH, "53.71.01.1001"),
    )
    async with db.session() as session:
        for official in vars(people).values():
            session.add(official)
    return people


async def reminders_of(db: Database, target_type: str, target_id: int,
                       status: ReminderStatus = ReminderStatus.PENDING,
                       ) -> set[tuple[str, int, datetime]]:
    """(kind, recipient, due) of a target's reminders in one status."""
    async with db.session() as session:
        rows = (await session.exec(select(Reminder).where(
            Reminder.target_type == target_type, Reminder.target_id == target_id,
            Reminder.status == status).order_by(col(Reminder.id)))).all()
    return {(r.kind, r.recipient_id, r.due_at) for r in rows}
