"""Officials: registration, approval, invites, roles, language and deactivation."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.regions import is_within, kabkota_of, kecamatan_of, scope_of, within_clause
from models.officials import AuditEntry, Invite, Official, OfficialStatus, Role
from models.regions import Region, RegionLevel

NAME_MAX = 120
_NAME_RE = re.compile(r"^[^\d<>@/\\]{3,120}$")

# the region level each role is attached to
ROLE_LEVELS: dict[Role, tuple[RegionLevel, ...]] = {
    Role.LURAH: (RegionLevel.KELURAHAN, RegionLevel.DESA),
    Role.CAMAT: (RegionLevel.KECAMATAN,),
    Role.ADMIN: (RegionLevel.KABKOTA,),
}


@dataclass(frozen=True)
class Registration:
    telegram_id: int
    role: Role
    region_code: str
    full_name: str
    nip: str | None
    phone: str
    language: str


def clean_full_name(text: str) -> str:
    """A person's name: 3–120 characters, no digits or markup characters."""
    name = " ".join(text.split())
    if not _NAME_RE.match(name):
        raise InvalidInput("registration.errors.bad_name")
    return name


def clean_nip(text: str) -> str:
    """NIP (Nomor Induk Pegawai) is exactly 18 digits; spaces are forgiven."""
    nip = re.sub(r"\s+", "", text)
    if not re.fullmatch(r"\d{18}", nip):
        raise InvalidInput("registration.errors.bad_nip")
    return nip


def clean_phone(text: str) -> str:
    digits = re.sub(r"[\s\-()]", "", text)
    if not re.fullmatch(r"\+?\d{8,15}", digits):
        raise InvalidInput("registration.errors.bad_phone")
    return digits if digits.startswith("+") else "+" + digits.lstrip("+")


def mask(value: str | None, visible: int = 4) -> str:
    """Show only the last digits of a phone, NIP or NIK."""
    if not value:
        return "-"
    return "•" * max(len(value) - visible, 0) + value[-visible:]


async def by_telegram_id(session: AsyncSession, telegram_id: int) -> Official | None:
    return (await session.exec(select(Official).where(Official.telegram_id == telegram_id))
            ).first()


async def get(session: AsyncSession, official_id: int) -> Official:
    official = await session.get(Official, official_id)
    if official is None:
        raise NotFound()
    return official


async def _check_region_for_role(session: AsyncSession, role: Role, region_code: str) -> Region:
    region = await session.get(Region, region_code)
    if region is None or region.level not in ROLE_LEVELS.get(role, ()):
        raise InvalidInput("registration.errors.bad_region")
    return region


async def audit(session: AsyncSession, clock: Clock, *, actor_id: int | None, action: str,
                subject: str, detail: str = "") -> None:
    session.add(AuditEntry(at=clock.now(), actor_id=actor_id, action=action, subject=subject,
                           detail=detail[:500]))


async def register(session: AsyncSession, clock: Clock, data: Registration, *,
                   invite_code: str | None = None) -> Official:
    """Create a pending registration, or an active one when a valid invite is redeemed."""
    existing = await by_telegram_id(session, data.telegram_id)
    if existing is not None and existing.status != OfficialStatus.REJECTED:
        raise Conflict("registration.errors.already_registered")
    invite = None
    if invite_code is not None:
        invite = await _usable_invite(session, clock, invite_code)
        role, region_code = Role(invite.role), invite.region_code
    else:
        role, region_code = data.role, data.region_code
    await _check_region_for_role(session, role, region_code)
    official = existing or Official(telegram_id=data.telegram_id, full_name=data.full_name,
                                    role=role, status=OfficialStatus.PENDING,
                                    created_at=clock.now())
    official.full_name = data.full_name
    official.nip = data.nip
    official.phone = data.phone
    official.role = role
    official.region_code = region_code
    official.language = data.language
    official.status = OfficialStatus.PENDING
    official.decided_at = None
    official.decided_by_id = None
    session.add(official)
    await session.flush()
    if invite is not None:
        invite.used_by_id = official.id
        invite.used_at = clock.now()
        session.add(invite)
        official.status = OfficialStatus.ACTIVE
        official.decided_at = clock.now()
        official.decided_by_id = invite.created_by_id
        session.add(official)
        await audit(session, clock, actor_id=official.id, action="invite.redeem",
                    subject=f"invite:{invite.code[:6]}")
    await session.flush()
    return official


def can_manage(actor: Official, target: Official) -> bool:
    """Admins manage officials in their area; superadmins everyone; nobody manages themselves."""
    if actor.status != OfficialStatus.ACTIVE or actor.id == target.id:
        return False
    if actor.role == Role.SUPERADMIN:
        return True
    return (actor.role == Role.ADMIN and target.role in (Role.LURAH, Role.CAMAT)
            and is_within(target.region_code, actor.region_code))


async def decide(session: AsyncSession, clock: Clock, *, actor: Official, official_id: int,
                 approve: bool) -> Official:
    """Approve or reject a pending registration; only the area's admins may."""
    target = await get(session, official_id)
    if not _may_decide(actor, target):
        raise NotAllowed()
    if target.status != OfficialStatus.PENDING:
        raise Conflict("registration.errors.already_decided")
    target.status = OfficialStatus.ACTIVE if approve else OfficialStatus.REJECTED
    target.decided_at = clock.now()
    target.decided_by_id = actor.id
    session.add(target)
    await audit(session, clock, actor_id=actor.id,
                action="official.approve" if approve else "official.reject",
                subject=f"official:{target.id}")
    await session.flush()
    return target


def _may_decide(actor: Official, target: Official) -> bool:
    if actor.status != OfficialStatus.ACTIVE:
        return False
    if actor.role == Role.SUPERADMIN:
        return True
    if actor.role != Role.ADMIN:
        return False
    # an admin of a kab/kota approves lurah, camat and fellow admins of that kab/kota
    return is_within(target.region_code, actor.region_code)


async def approvers_for(session: AsyncSession, region_code: str) -> Sequence[Official]:
    """Active admins whose area contains the region, and every superadmin."""
    area = kabkota_of(region_code)
    query = select(Official).where(
        Official.status == OfficialStatus.ACTIVE,
        or_(Official.role == Role.SUPERADMIN,
            (Official.role == Role.ADMIN) & (Official.region_code == area)),
    )
    return (await session.exec(query.order_by(Official.id))).all()


async def chain_of(session: AsyncSession, region_code: str) -> Sequence[Official]:
    """The camat of the region's kecamatan and the admins above it (active, for notices)."""
    kecamatan = kecamatan_of(region_code)
    query = select(Official).where(
        Official.status == OfficialStatus.ACTIVE,
        or_(
            (Official.role == Role.CAMAT) & (Official.region_code == kecamatan),
            (Official.role == Role.ADMIN) & (Official.region_code == kabkota_of(region_code)),
            Official.role == Role.SUPERADMIN,
        ),
    )
    return (await session.exec(query.order_by(Official.id))).all()


async def create_invite(session: AsyncSession, clock: Clock, *, actor: Official, role: Role,
                        region_code: str, ttl: timedelta) -> Invite:
    """A one-time invite that pre-assigns role and region and approves on use."""
    if actor.role not in (Role.ADMIN, Role.SUPERADMIN) or not is_within(region_code,
                                                                        scope_of(actor)):
        raise NotAllowed()
    if role == Role.SUPERADMIN:
        raise NotAllowed()
    await _check_region_for_role(session, role, region_code)
    invite = Invite(code=secrets.token_urlsafe(12), role=role, region_code=region_code,
                    created_by_id=actor.id, created_at=clock.now(),
                    expires_at=clock.now() + ttl)
    session.add(invite)
    await audit(session, clock, actor_id=actor.id, action="invite.create",
                subject=f"region:{region_code}", detail=str(role))
    await session.flush()
    return invite


async def _usable_invite(session: AsyncSession, clock: Clock, code: str) -> Invite:
    invite = await session.get(Invite, code) if len(code) <= 32 else None
    if invite is None:
        raise InvalidInput("registration.errors.invite_unknown")
    if invite.used_at is not None:
        raise Conflict("registration.errors.invite_used")
    if invite.expires_at <= clock.now():
        raise Conflict("registration.errors.invite_expired")
    return invite


async def peek_invite(session: AsyncSession, clock: Clock, code: str) -> Invite:
    """Check an invite before the registration starts (it is redeemed on submit)."""
    return await _usable_invite(session, clock, code)


async def set_language(session: AsyncSession, official: Official, language: str) -> Official:
    official.language = language
    session.add(official)
    await session.flush()
    return official


async def set_status(session: AsyncSession, clock: Clock, *, actor: Official, official_id: int,
                     active: bool) -> Official:
    """Deactivate or reactivate an official of the actor's area."""
    target = await get(session, official_id)
    if not can_manage(actor, target):
        raise NotAllowed()
    if target.status not in (OfficialStatus.ACTIVE, OfficialStatus.DEACTIVATED):
        raise Conflict("officials.errors.not_active_or_deactivated")
    target.status = OfficialStatus.ACTIVE if active else OfficialStatus.DEACTIVATED
    session.add(target)
    await audit(session, clock, actor_id=actor.id,
                action="official.reactivate" if active else "official.deactivate",
                subject=f"official:{target.id}")
    await session.flush()
    return target


async def move(session: AsyncSession, clock: Clock, *, actor: Official, official_id: int,
               region_code: str) -> Official:
    """Change an official's region (within the actor's area, at the level of their role)."""
    target = await get(session, official_id)
    if not can_manage(actor, target) or not is_within(region_code, scope_of(actor)):
        raise NotAllowed()
    await _check_region_for_role(session, Role(target.role), region_code)
    target.region_code = region_code
    session.add(target)
    await audit(session, clock, actor_id=actor.id, action="official.move",
                subject=f"official:{target.id}", detail=region_code)
    await session.flush()
    return target


async def list_in_scope(session: AsyncSession, *, actor: Official, page: int = 0,
                        page_size: int = 10,
                        status: OfficialStatus | None = None) -> tuple[Sequence[Official], int]:
    """Officials the actor manages, pending first, then by name; returns (page, total)."""
    query = select(Official).where(Official.id != actor.id)
    if actor.role != Role.SUPERADMIN:
        query = query.where(within_clause(Official.region_code, actor.region_code),
                            col(Official.role).in_([Role.LURAH, Role.CAMAT]))
    if status is not None:
        query = query.where(Official.status == status)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    pending_first = (Official.status != OfficialStatus.PENDING)
    rows = (await session.exec(query.order_by(pending_first, Official.full_name)
                               .offset(page * page_size).limit(page_size))).all()
    return rows, total


async def active_in_scope(session: AsyncSession, scope: str | None,
                          roles: Sequence[Role] | None = None) -> Sequence[Official]:
    """Active, reachable officials within a region scope, optionally of some roles."""
    query = select(Official).where(Official.status == OfficialStatus.ACTIVE,
                                   within_clause(Official.region_code, scope))
    if roles:
        query = query.where(col(Official.role).in_(list(roles)))
    return (await session.exec(query.order_by(Official.id))).all()


async def add_admin(session: AsyncSession, clock: Clock, *, telegram_id: int, full_name: str,
                    role: Role, region_code: str | None) -> Official:
    """Create or promote an active admin/superadmin from the command line."""
    if role not in (Role.ADMIN, Role.SUPERADMIN):
        raise InvalidInput("registration.errors.bad_role")
    if role == Role.ADMIN:
        if region_code is None:
            raise InvalidInput("registration.errors.bad_region")
        await _check_region_for_role(session, role, region_code)
    official = await by_telegram_id(session, telegram_id)
    if official is None:
        official = Official(telegram_id=telegram_id, full_name=clean_full_name(full_name),
                            role=role, status=OfficialStatus.ACTIVE, created_at=clock.now())
    official.full_name = clean_full_name(full_name)
    official.role = role
    official.region_code = region_code if role == Role.ADMIN else None
    official.status = OfficialStatus.ACTIVE
    official.decided_at = clock.now()
    session.add(official)
    await session.flush()
    await audit(session, clock, actor_id=None, action="official.add_admin",
                subject=f"official:{official.id}", detail=str(role))
    return official


async def ensure_superadmin(session: AsyncSession, clock: Clock, *, telegram_id: int,
                            full_name: str, language: str) -> Official:
    """Superadmins named in settings become active officials on their first /start."""
    official = await by_telegram_id(session, telegram_id)
    if official is not None and official.role == Role.SUPERADMIN:
        if official.status != OfficialStatus.ACTIVE:
            official.status = OfficialStatus.ACTIVE
            session.add(official)
        return official
    name = " ".join(full_name.split())[:NAME_MAX] or str(telegram_id)
    official = official or Official(telegram_id=telegram_id, full_name=name, role=Role.SUPERADMIN,
                                    status=OfficialStatus.ACTIVE, created_at=clock.now(),
                                    language=language)
    official.role = Role.SUPERADMIN
    official.region_code = None
    official.status = OfficialStatus.ACTIVE
    session.add(official)
    await session.flush()
    return official


async def by_ids(session: AsyncSession, official_ids: Sequence[int]) -> Sequence[Official]:
    """Officials by id, by name (unknown ids are simply absent)."""
    if not official_ids:
        return []
    query = select(Official).where(col(Official.id).in_(list(official_ids)))
    return (await session.exec(query.order_by(col(Official.full_name)))).all()
