"""Officials for the benchmarks: registered through bot.services, or bulk-inserted by thousands.

Every lurah gets a kelurahan/desa of the pilot regions in turn; each kecamatan has a camat,
each kab/kota an admin, and one superadmin sends broadcasts — so a report alerts its real
chain (camat, admin, superadmin) as it would in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy import insert
from sqlmodel import col, select

from bot.clock import Clock
from bot.db import Database
from bot.services import officials as official_service
from bot.services.officials import Registration
from models.officials import Official, OfficialStatus, Role
from models.regions import Region, RegionLevel

SUPERADMIN_ID = 100_000
ADMIN_BASE = 110_000
CAMAT_BASE = 120_000
LURAH_BASE = 1_000_000
INSERT_CHUNK = 2_000
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def letters(number: int) -> str:
    """A digit-free tag for a name (names may not contain digits): 0 → 'a', 27 → 'bb'."""
    tag = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        tag = _LETTERS[rest] + tag
    return tag


@dataclass
class People:
    """Who was seeded: Telegram ids by role, and the database id of the superadmin."""

    superadmin_id: int = 0
    superadmin_telegram: int = SUPERADMIN_ID
    chain: list[int] = field(default_factory=list)  # camat and admin Telegram ids
    lurah: list[int] = field(default_factory=list)

    @property
    def everyone(self) -> list[int]:
        return [self.superadmin_telegram, *self.chain, *self.lurah]


async def regions(database: Database) -> dict[RegionLevel, list[str]]:
    async with database.session() as session:
        rows = (await session.exec(select(Region.code, Region.level)
                                   .order_by(col(Region.code)))).all()
    by_level: dict[RegionLevel, list[str]] = {}
    for code, level in rows:
        by_level.setdefault(RegionLevel(level), []).append(code)
    return by_level


def _villages(by_level: dict[RegionLevel, list[str]]) -> list[str]:
    return sorted(by_level.get(RegionLevel.KELURAHAN, []) + by_level.get(RegionLevel.DESA, []))


def _phone(telegram_id: int) -> str:
    return f"+62812{telegram_id % 10**8:08d}"


def _nip(telegram_id: int) -> str:
    return f"19800101{telegram_id % 10**10:010d}"


async def seed_chain(database: Database, clock: Clock, *, chain: bool = True) -> People:
    """The superadmin, and (with `chain`) an admin per kab/kota and a camat per kecamatan,
    through the services."""
    by_level = await regions(database)
    people = People()
    async with database.session() as session:
        boss = await official_service.add_admin(
            session, clock, telegram_id=SUPERADMIN_ID, full_name="Superadmin Bench",
            role=Role.SUPERADMIN, region_code=None)
        people.superadmin_id = boss.id or 0
        if not chain:
            return people
        for index, code in enumerate(by_level.get(RegionLevel.KABKOTA, [])):
            await official_service.add_admin(
                session, clock, telegram_id=ADMIN_BASE + index,
                full_name=f"Admin {letters(index)}", role=Role.ADMIN, region_code=code)
            people.chain.append(ADMIN_BASE + index)
        for index, code in enumerate(by_level.get(RegionLevel.KECAMATAN, [])):
            await _register_and_approve(session, clock, boss, CAMAT_BASE + index, Role.CAMAT,
                                        code, f"Camat {letters(index)}")
            people.chain.append(CAMAT_BASE + index)
    return people


async def _register_and_approve(session: object, clock: Clock, approver: Official,
                                telegram_id: int, role: Role, region: str, name: str) -> None:
    registration = Registration(
        telegram_id=telegram_id, role=role, region_code=region, full_name=name,
        nip=_nip(telegram_id), phone=_phone(telegram_id), language="id")
    official = await official_service.register(
        session, clock, registration)  # type: ignore[arg-type]
    await official_service.decide(session, clock, actor=approver,  # type: ignore[arg-type]
                                  official_id=official.id or 0, approve=True)


async def register_lurah(database: Database, clock: Clock, people: People, count: int) -> None:
    """`count` lurah/kepala desa registered and approved through bot.services, as the
    registration conversation and an admin's approval would leave them."""
    villages = _villages(await regions(database))
    async with database.session() as session:
        boss = await official_service.get(session, people.superadmin_id)
        for index in range(count):
            telegram_id = LURAH_BASE + index
            await _register_and_approve(session, clock, boss, telegram_id, Role.LURAH,
                                        villages[index % len(villages)],
                                        f"Lurah {letters(index)}")
            people.lurah.append(telegram_id)


async def bulk_lurah(database: Database, clock: Clock, people: People, count: int, *,
                     first: int = 0) -> None:
    """Thousands of active lurah at once (one multi-row INSERT per chunk)."""
    villages = _villages(await regions(database))
    now = clock.now()
    rows = ({"telegram_id": LURAH_BASE + index, "full_name": f"Lurah {letters(index)}",
             "nip": _nip(LURAH_BASE + index), "phone": _phone(LURAH_BASE + index),
             "role": Role.LURAH.value, "region_code": villages[index % len(villages)],
             "status": OfficialStatus.ACTIVE.value, "language": "id", "reachable": True,
             "created_at": now, "decided_at": now, "decided_by_id": people.superadmin_id}
            for index in range(first, first + count))
    async with database.session() as session:
        while chunk := list(islice(rows, INSERT_CHUNK)):
            await session.exec(insert(Official), params=chunk)  # type: ignore[call-overload]
    people.lurah.extend(LURAH_BASE + index for index in range(first, first + count))
