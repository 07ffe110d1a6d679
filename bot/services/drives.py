"""Perekaman e-KTP drives: planning a drive per kelurahan, and the lurah's realisasi report.

Recaps and listings live in `drives_query`; reminder plans in `drives_reminders`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, ensure_utc
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.services.drives_reminders import replan_drive_reminders
from bot.services.regions import is_within, level_for, scope_of, timezone_for
from bot.settings import ReminderSettings
from models.drives import Drive, DriveStatus, DriveTarget
from models.officials import Official, OfficialStatus, Role
from models.regions import Region, RegionLevel

MAX_PLACE_CHARS = 300
MAX_GROUP_CHARS = 300
MAX_COUNT = 100_000
MAX_DURATION = timedelta(hours=24)
ADMIN_ROLES = frozenset({Role.ADMIN, Role.SUPERADMIN})
VILLAGE_LEVELS = frozenset({RegionLevel.KELURAHAN, RegionLevel.DESA})


class DriveNotFound(NotFound):
    key = "drives.errors.not_found"


class DriveNotAllowed(NotAllowed):
    key = "drives.errors.not_allowed"


class DriveCancelled(InvalidInput):
    key = "drives.errors.cancelled"


@dataclass(frozen=True)
class DriveDraft:
    """What an admin fills in: when, where, for whom, and the target per kelurahan/desa."""

    starts_at: datetime
    ends_at: datetime
    place: str
    target_group: str
    targets: Mapping[str, int]


LurahByRegion = dict[str, list[Official]]


def require_admin(actor: Official) -> None:
    """Only active admins plan drives."""
    if actor.status != OfficialStatus.ACTIVE or actor.role not in ADMIN_ROLES:
        raise DriveNotAllowed()


def organising_area(actor: Official, area_code: str | None = None) -> str:
    """The admin's kab/kota, or the one a superadmin names."""
    require_admin(actor)
    area = area_code or actor.region_code
    if area is None:
        raise InvalidInput("drives.errors.area_required")
    if not is_within(area, scope_of(actor)) or level_for(area) in (
            RegionLevel.PROVINSI, *VILLAGE_LEVELS):
        raise DriveNotAllowed()
    return area


def check_count(count: int) -> int:
    """A target or realised count: a whole number within reason."""
    if not 0 <= count <= MAX_COUNT:
        raise InvalidInput("drives.errors.count_invalid", limit=MAX_COUNT)
    return count


def check_texts(place: str, target_group: str) -> tuple[str, str]:
    """Trimmed place and target group, or a refusal naming what is wrong."""
    place, target_group = place.strip(), target_group.strip()
    if not place:
        raise InvalidInput("drives.errors.place_empty")
    if len(place) > MAX_PLACE_CHARS:
        raise InvalidInput("drives.errors.place_too_long", limit=MAX_PLACE_CHARS)
    if not target_group:
        raise InvalidInput("drives.errors.group_empty")
    if len(target_group) > MAX_GROUP_CHARS:
        raise InvalidInput("drives.errors.group_too_long", limit=MAX_GROUP_CHARS)
    return place, target_group


def check_start(now: datetime, starts_at: datetime) -> None:
    """The start must lie in the future."""
    if ensure_utc(starts_at) <= now:
        raise InvalidInput("drives.errors.start_in_past")


def check_window(now: datetime, starts_at: datetime, ends_at: datetime) -> None:
    """Start in the future; end after the start, within a day."""
    check_start(now, starts_at)
    starts_at, ends_at = ensure_utc(starts_at), ensure_utc(ends_at)
    if ends_at <= starts_at:
        raise InvalidInput("drives.errors.end_before_start")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput("drives.errors.too_long")


async def target_regions(session: AsyncSession, *, area_code: str,
                         codes: Iterable[str]) -> list[Region]:
    """The kelurahan/desa named directly or through their kecamatan, all inside the area."""
    wanted: dict[str, Region] = {}
    for code in codes:
        if not is_within(code, area_code):
            raise DriveNotAllowed("drives.errors.target_out_of_scope")
        region = await session.get(Region, code)
        if region is None:
            raise DriveNotFound("drives.errors.target_unknown")
        if region.level in VILLAGE_LEVELS:
            wanted[region.code] = region
        elif region.level == RegionLevel.KECAMATAN:
            below = (await session.exec(select(Region).where(
                Region.parent_code == region.code))).all()
            wanted.update({r.code: r for r in below})
        else:
            raise InvalidInput("drives.errors.target_level")
    return sorted(wanted.values(), key=lambda r: r.code)


async def lurah_by_region(session: AsyncSession, codes: Iterable[str]) -> LurahByRegion:
    """The active lurah/kepala desa of each kelurahan/desa (there may be none yet)."""
    codes = list(codes)
    found: LurahByRegion = {code: [] for code in codes}
    if not codes:
        return found
    rows = (await session.exec(select(Official).where(
        col(Official.region_code).in_(codes), Official.role == Role.LURAH,
        Official.status == OfficialStatus.ACTIVE).order_by(col(Official.full_name)))).all()
    for official in rows:
        found[official.region_code or ""].append(official)
    return found


async def drive_targets(session: AsyncSession, drive_id: int) -> list[DriveTarget]:
    """The target rows of a drive, by region code."""
    return list((await session.exec(select(DriveTarget).where(
        DriveTarget.drive_id == drive_id).order_by(col(DriveTarget.region_code)))).all())


async def _replan(session: AsyncSession, clock: Clock, drive: Drive,
                  rules: ReminderSettings) -> tuple[list[DriveTarget], LurahByRegion]:
    assert drive.id is not None
    targets = await drive_targets(session, drive.id)
    lurah = await lurah_by_region(session, [t.region_code for t in targets])
    ids = {code: [o.id for o in people if o.id is not None] for code, people in lurah.items()}
    await replan_drive_reminders(session, clock, drive, targets, ids, rules)
    return targets, lurah


async def create_drive(session: AsyncSession, clock: Clock, *, actor: Official,
                       draft: DriveDraft, rules: ReminderSettings,
                       area_code: str | None = None,
                       ) -> tuple[Drive, list[DriveTarget], LurahByRegion]:
    """Store the drive with one target per kelurahan/desa; plan the lurah's reminders."""
    area = organising_area(actor, area_code)
    now = clock.now()
    place, group = check_texts(draft.place, draft.target_group)
    check_window(now, draft.starts_at, draft.ends_at)
    if not draft.targets:
        raise InvalidInput("drives.errors.no_targets")
    if any(level_for(code) not in VILLAGE_LEVELS for code in draft.targets):
        raise InvalidInput("drives.errors.target_level")
    regions = await target_regions(session, area_code=area, codes=draft.targets)
    assert actor.id is not None
    drive = Drive(region_code=area, timezone=timezone_for(area),
                  starts_at=ensure_utc(draft.starts_at), ends_at=ensure_utc(draft.ends_at),
                  place=place, target_group=group, status=DriveStatus.SCHEDULED,
                  created_by_id=actor.id, created_at=now, updated_at=now)
    session.add(drive)
    await session.flush()
    assert drive.id is not None
    for region in regions:
        session.add(DriveTarget(drive_id=drive.id, region_code=region.code,
                                target_count=check_count(draft.targets[region.code])))
    await session.flush()
    targets, lurah = await _replan(session, clock, drive, rules)
    return drive, targets, lurah


async def get_managed_drive(session: AsyncSession, *, actor: Official, drive_id: int) -> Drive:
    """A drive in the admin's scope."""
    require_admin(actor)
    drive = await session.get(Drive, drive_id)
    if drive is None:
        raise DriveNotFound()
    if not is_within(drive.region_code, scope_of(actor)):
        raise DriveNotAllowed()
    return drive


async def my_target(session: AsyncSession, *, drive_id: int,
                    lurah: Official) -> tuple[Drive, DriveTarget]:
    """The drive and the target row of the lurah's own kelurahan."""
    if lurah.status != OfficialStatus.ACTIVE or lurah.role != Role.LURAH:
        raise DriveNotAllowed()
    drive = await session.get(Drive, drive_id)
    target = (await session.exec(select(DriveTarget).where(
        DriveTarget.drive_id == drive_id,
        DriveTarget.region_code == lurah.region_code))).first()
    if drive is None or target is None:
        raise DriveNotFound()
    return drive, target


async def ensure_can_report(session: AsyncSession, clock: Clock, *, actor: Official,
                            drive_id: int) -> tuple[Drive, DriveTarget]:
    """The lurah's own target of a drive that has started and is not cancelled."""
    drive, target = await my_target(session, drive_id=drive_id, lurah=actor)
    if drive.status == DriveStatus.CANCELLED:
        raise DriveCancelled()
    if clock.now() < drive.starts_at:
        raise InvalidInput("drives.errors.too_early")
    return drive, target


async def report_realisation(session: AsyncSession, clock: Clock, *, actor: Official,
                             drive_id: int, count: int,
                             rules: ReminderSettings) -> tuple[Drive, DriveTarget]:
    """The lurah reports how many residents were recorded (a later report corrects it)."""
    drive, target = await ensure_can_report(session, clock, actor=actor, drive_id=drive_id)
    now = clock.now()
    target.realised_count = check_count(count)
    target.reported_at, target.reported_by_id = now, actor.id
    session.add(target)
    await session.flush()
    await _replan(session, clock, drive, rules)
    return drive, target


async def reschedule_drive(session: AsyncSession, clock: Clock, *, actor: Official,
                           drive_id: int, starts_at: datetime, ends_at: datetime,
                           rules: ReminderSettings,
                           ) -> tuple[Drive, list[DriveTarget], LurahByRegion]:
    """Move the drive; reminders follow."""
    drive = await open_drive(session, actor=actor, drive_id=drive_id)
    now = clock.now()
    check_window(now, starts_at, ends_at)
    drive.starts_at, drive.ends_at = ensure_utc(starts_at), ensure_utc(ends_at)
    drive.updated_at = now
    session.add(drive)
    await session.flush()
    targets, lurah = await _replan(session, clock, drive, rules)
    return drive, targets, lurah


async def cancel_drive(session: AsyncSession, clock: Clock, *, actor: Official,
                       drive_id: int, rules: ReminderSettings,
                       ) -> tuple[Drive, list[DriveTarget], LurahByRegion]:
    """Cancel the drive and its pending reminders."""
    drive = await open_drive(session, actor=actor, drive_id=drive_id)
    drive.status = DriveStatus.CANCELLED
    drive.updated_at = clock.now()
    session.add(drive)
    await session.flush()
    targets, lurah = await _replan(session, clock, drive, rules)
    return drive, targets, lurah


async def open_drive(session: AsyncSession, *, actor: Official, drive_id: int) -> Drive:
    """A drive in the admin's scope that is not cancelled (so it can still change)."""
    drive = await get_managed_drive(session, actor=actor, drive_id=drive_id)
    if drive.status == DriveStatus.CANCELLED:
        raise DriveCancelled()
    return drive
