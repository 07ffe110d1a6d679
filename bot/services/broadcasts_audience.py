"""Who receives a broadcast: a stored description, resolved to active, reachable officials.

The description is kept (not the list) so a scheduled broadcast reaches whoever fits it when
it starts. It never reaches beyond the sender's scope, whatever the description says.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InvalidInput, NotAllowed
from bot.services.regions import is_within, scope_of, within_clause
from models.officials import Official, OfficialStatus, Role
from models.regions import Region

MAX_CHOSEN = 50


class AudienceKind(StrEnum):
    ALL = "all"
    ROLE = "role"
    REGIONS = "regions"
    OFFICIALS = "officials"


@dataclass(frozen=True)
class Audience:
    """Everyone in the area, one role, chosen kecamatan/kelurahan, or chosen officials."""

    kind: AudienceKind = AudienceKind.ALL
    role: Role | None = None
    region_codes: tuple[str, ...] = ()
    official_ids: tuple[int, ...] = ()

    def to_json(self) -> str:
        data: dict[str, Any] = {"kind": self.kind.value}
        if self.role is not None:
            data["role"] = self.role.value
        if self.region_codes:
            data["region_codes"] = list(self.region_codes)
        if self.official_ids:
            data["official_ids"] = list(self.official_ids)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Audience:
        try:
            data = json.loads(text or "{}")
            return cls(
                kind=AudienceKind(data.get("kind", "all")),
                role=Role(data["role"]) if data.get("role") else None,
                region_codes=tuple(str(c) for c in data.get("region_codes", ())),
                official_ids=tuple(int(i) for i in data.get("official_ids", ())),
            )
        except (ValueError, TypeError, AttributeError):
            raise InvalidInput("broadcasts.errors.bad_audience") from None


async def check_audience(session: AsyncSession, sender: Official, audience: Audience) -> None:
    """Refuse descriptions that are malformed or reach outside the sender's area."""
    scope = scope_of(sender)
    if audience.kind == AudienceKind.ROLE:
        if audience.role is None:
            raise InvalidInput("broadcasts.errors.bad_audience")
    elif audience.kind == AudienceKind.REGIONS:
        if not audience.region_codes or len(audience.region_codes) > MAX_CHOSEN:
            raise InvalidInput("broadcasts.errors.bad_audience")
        for code in audience.region_codes:
            if await session.get(Region, code) is None:
                raise InvalidInput("broadcasts.errors.bad_audience")
            if not is_within(code, scope):
                raise NotAllowed("broadcasts.errors.out_of_scope")
    elif audience.kind == AudienceKind.OFFICIALS:
        if not audience.official_ids or len(audience.official_ids) > MAX_CHOSEN:
            raise InvalidInput("broadcasts.errors.bad_audience")
        for official_id in audience.official_ids:
            official = await session.get(Official, official_id)
            if official is None:
                raise InvalidInput("broadcasts.errors.bad_audience")
            if not is_within(official.region_code, scope):
                raise NotAllowed("broadcasts.errors.out_of_scope")


def _audience_query(audience: Audience, *, scope: str | None, exclude_id: int | None) -> Any:
    conditions: list[Any] = [
        Official.status == OfficialStatus.ACTIVE,
        col(Official.reachable).is_(True),
        within_clause(Official.region_code, scope),
    ]
    if exclude_id is not None:
        conditions.append(col(Official.id) != exclude_id)
    if audience.kind == AudienceKind.ROLE:
        conditions.append(Official.role == audience.role)
    elif audience.kind == AudienceKind.REGIONS:
        conditions.append(or_(*[within_clause(Official.region_code, code)  # type: ignore[arg-type]
                                for code in audience.region_codes]))
    elif audience.kind == AudienceKind.OFFICIALS:
        conditions.append(col(Official.id).in_(audience.official_ids))
    return conditions


async def resolve_audience(session: AsyncSession, audience: Audience, *, scope: str | None,
                           exclude_id: int | None = None) -> Sequence[Official]:
    """The officials a broadcast goes to now, by id (active, reachable, within `scope`)."""
    conditions = _audience_query(audience, scope=scope, exclude_id=exclude_id)
    return (await session.exec(select(Official).where(*conditions)
                               .order_by(col(Official.id)))).all()


async def count_audience(session: AsyncSession, audience: Audience, *, scope: str | None,
                         exclude_id: int | None = None) -> int:
    """How many officials the description reaches now (for the preview)."""
    conditions = _audience_query(audience, scope=scope, exclude_id=exclude_id)
    return int((await session.exec(
        select(func.count()).select_from(Official).where(*conditions))).one())


async def find_officials(session: AsyncSession, *, sender: Official, name_part: str,
                         limit: int = 8) -> Sequence[Official]:
    """Active, reachable officials in the sender's area whose name contains `name_part`."""
    conditions = _audience_query(Audience(), scope=scope_of(sender), exclude_id=sender.id)
    needle = name_part.strip().lower()
    query = select(Official).where(*conditions, func.lower(Official.full_name).contains(needle))
    return (await session.exec(query.order_by(col(Official.full_name)).limit(limit))).all()


async def officials_named(session: AsyncSession, official_ids: Sequence[int]
                          ) -> Sequence[Official]:
    """The chosen officials, by name (for the summary)."""
    if not official_ids:
        return []
    return (await session.exec(select(Official).where(col(Official.id).in_(list(official_ids)))
                               .order_by(col(Official.full_name)))).all()
