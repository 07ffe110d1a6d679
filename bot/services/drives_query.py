"""Seeing drives: target versus realisasi per kelurahan, totals, and who has not reported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.services.drives import (
    ADMIN_ROLES,
    DriveNotAllowed,
    DriveNotFound,
    drive_targets,
    lurah_by_region,
)
from bot.services.regions import is_within, kecamatan_of, scope_of, within_clause
from models.drives import Drive, DriveStatus, DriveTarget
from models.officials import Official, OfficialStatus, Role
from models.regions import Region

# drives stay listed for a month after they end: realisasi reports trickle in
LISTED_AFTER_END = timedelta(days=30)
LIST_LIMIT = 20


@dataclass(frozen=True)
class TargetRow:
    region_code: str
    region_name: str
    kecamatan_name: str
    target: int
    realised: int | None
    reported_at: datetime | None
    lurah_names: tuple[str, ...]


@dataclass(frozen=True)
class DriveRecap:
    drive: Drive
    rows: tuple[TargetRow, ...]
    total_target: int
    total_realised: int
    not_reported: tuple[TargetRow, ...]


def _is_admin(actor: Official) -> bool:
    return actor.role in ADMIN_ROLES


async def drive_recap(session: AsyncSession, *, actor: Official, drive_id: int) -> DriveRecap:
    """Admins see every target; a camat or lurah only the kelurahan in their own area."""
    if actor.status != OfficialStatus.ACTIVE:
        raise DriveNotAllowed()
    drive = await session.get(Drive, drive_id)
    if drive is None:
        raise DriveNotFound()
    scope = scope_of(actor)
    if _is_admin(actor) and not is_within(drive.region_code, scope):
        raise DriveNotAllowed()
    targets = [t for t in await drive_targets(session, drive_id)
               if is_within(t.region_code, scope)]
    if not targets:
        raise DriveNotAllowed()
    codes = {t.region_code for t in targets}
    codes |= {kecamatan_of(c) or c for c in codes}
    names = {r.code: r.name for r in (await session.exec(
        select(Region).where(col(Region.code).in_(codes)))).all()}
    lurah = await lurah_by_region(session, [t.region_code for t in targets])
    rows = tuple(TargetRow(
        region_code=t.region_code, region_name=names.get(t.region_code, t.region_code),
        kecamatan_name=names.get(kecamatan_of(t.region_code) or "", ""),
        target=t.target_count, realised=t.realised_count, reported_at=t.reported_at,
        lurah_names=tuple(o.full_name for o in lurah.get(t.region_code, [])),
    ) for t in targets)
    return DriveRecap(
        drive=drive, rows=rows, total_target=sum(r.target for r in rows),
        total_realised=sum(r.realised or 0 for r in rows),
        not_reported=tuple(r for r in rows if r.reported_at is None))


async def visible_drives(session: AsyncSession, clock: Clock, *,
                         actor: Official) -> list[Drive]:
    """Drives an official may see: in an admin's area, or targeting a field official's area."""
    if actor.status != OfficialStatus.ACTIVE:
        raise DriveNotAllowed()
    scope = scope_of(actor)
    query = select(Drive).where(Drive.status == DriveStatus.SCHEDULED,
                                col(Drive.ends_at) > clock.now() - LISTED_AFTER_END)
    if _is_admin(actor):
        query = query.where(within_clause(Drive.region_code, scope))
    else:
        targeted = select(DriveTarget.drive_id).where(
            within_clause(DriveTarget.region_code, scope))
        query = query.where(col(Drive.id).in_(targeted))
    query = query.order_by(col(Drive.starts_at)).limit(LIST_LIMIT)
    return list((await session.exec(query)).all())


async def awaiting_realisasi(session: AsyncSession, clock: Clock, *,
                             lurah: Official) -> list[tuple[Drive, DriveTarget]]:
    """The lurah's drives that have started and still lack a report, oldest first."""
    if lurah.status != OfficialStatus.ACTIVE or lurah.role != Role.LURAH:
        raise DriveNotAllowed()
    query = (select(Drive, DriveTarget)
             .join(DriveTarget, col(DriveTarget.drive_id) == col(Drive.id))
             .where(DriveTarget.region_code == lurah.region_code,
                    col(DriveTarget.reported_at).is_(None),
                    Drive.status == DriveStatus.SCHEDULED,
                    col(Drive.starts_at) <= clock.now(),
                    col(Drive.ends_at) > clock.now() - LISTED_AFTER_END)
             .order_by(col(Drive.starts_at)))
    return list((await session.exec(query)).all())


async def organiser_to_tell(session: AsyncSession, drive: Drive) -> Official | None:
    """The admin who planned the drive, while still active (they hear about its reports)."""
    organiser = await session.get(Official, drive.created_by_id)
    if organiser is None or organiser.status != OfficialStatus.ACTIVE:
        return None
    return organiser
