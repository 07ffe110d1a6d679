"""What the bot knows about the demo personas: their status, role and region."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.db import Database
from bot.services import officials as official_service
from bot.services.regions import describe
from models.officials import Official, OfficialStatus
from models.regions import Region


async def active_officials(database: Database, telegram_ids: Iterable[int]) -> list[Official]:
    """Active officials among the given Telegram users (to restore their command menus)."""
    wanted = set(telegram_ids)
    found = []
    async with database.session() as session:
        for telegram_id in sorted(wanted):
            official = await official_service.by_telegram_id(session, telegram_id)
            if official is not None and official.status == OfficialStatus.ACTIVE:
                found.append(official)
    return found


async def describe_personas(database: Database,
                            telegram_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Role, region and status of each persona that is known to the bot (for the page)."""
    result: dict[int, dict[str, Any]] = {}
    async with database.session() as session:
        for telegram_id in telegram_ids:
            official = await official_service.by_telegram_id(session, telegram_id)
            if official is None:
                continue
            region = await describe(session, official.region_code) if official.region_code else ""
            zone = None
            if official.region_code:
                row = await session.get(Region, official.region_code)
                zone = row.timezone if row is not None else None
            result[telegram_id] = {"name": official.full_name, "role": str(official.role),
                                   "region": region, "status": str(official.status),
                                   "timezone": zone}
    return result
