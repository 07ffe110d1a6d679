"""Demo seed: the persona officials, registered and approved through the real services."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.services import officials as official_service
from demo.personas import Persona
from models.officials import Official, Role

ADMIN_ROLES = (Role.ADMIN, Role.SUPERADMIN)


async def seed_officials(database: Database, clock: Clock, personas: Iterable[Persona]) -> int:
    """Create the persona officials that are missing; returns how many were created.

    Admins come first (as `wilayah-bot admin add` would make them); lurah and camat then
    register like anyone else and their area's admin approves them.
    """
    officials = [p for p in personas if p.is_official]
    officials.sort(key=lambda p: p.role not in ADMIN_ROLES)
    created = 0
    for persona in officials:
        async with database.session() as session:
            if await official_service.by_telegram_id(session, persona.telegram_id) is not None:
                continue
            if persona.role in ADMIN_ROLES:
                admin = await official_service.add_admin(
                    session, clock, telegram_id=persona.telegram_id,
                    full_name=persona.full_name or persona.label, role=persona.role or Role.ADMIN,
                    region_code=persona.region)
                # `admin add` takes no phone; a real admin would have shared it by now
                admin.phone = official_service.clean_phone(persona.phone)
                session.add(admin)
            else:
                await _register_and_approve(session, clock, persona)
        created += 1
    return created


async def _register_and_approve(session: AsyncSession, clock: Clock, persona: Persona) -> Official:
    """Register like the /start conversation does, then approve as the area's admin."""
    assert persona.role is not None and persona.region is not None
    registration = official_service.Registration(
        telegram_id=persona.telegram_id, role=persona.role, region_code=persona.region,
        full_name=official_service.clean_full_name(persona.full_name or ""),
        nip=official_service.clean_nip(persona.nip) if persona.nip else None,
        phone=official_service.clean_phone(persona.phone), language="id")
    applicant = await official_service.register(session, clock, registration)
    approvers = await official_service.approvers_for(session, persona.region)
    if not approvers:
        raise LookupError(f"no admin in seed data can approve {persona.label}")
    return await official_service.decide(session, clock, actor=approvers[0],
                                         official_id=applicant.id or 0, approve=True)
