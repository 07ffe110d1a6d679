"""Listing meetings: an invitee's own upcoming rakor, and the ones an admin manages."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.services.meetings import require_admin
from bot.services.regions import scope_of, within_clause
from models.meetings import Meeting, MeetingInvite, MeetingStatus
from models.officials import Official

# admins still see a meeting for a week after it ends: attendance and notulen come later
MANAGED_AFTER_END = timedelta(days=7)
LIST_LIMIT = 20


async def upcoming_for_invitee(session: AsyncSession, clock: Clock, *,
                               official: Official) -> list[tuple[Meeting, MeetingInvite]]:
    """The official's meetings that have not ended, soonest first, with their answer."""
    query = (select(Meeting, MeetingInvite)
             .join(MeetingInvite, col(MeetingInvite.meeting_id) == col(Meeting.id))
             .where(MeetingInvite.official_id == official.id,
                    Meeting.status == MeetingStatus.SCHEDULED,
                    col(Meeting.ends_at) > clock.now())
             .order_by(col(Meeting.starts_at)).limit(LIST_LIMIT))
    return list((await session.exec(query)).all())


async def managed_meetings(session: AsyncSession, clock: Clock, *,
                           actor: Official) -> list[Meeting]:
    """Meetings in the admin's scope that are upcoming or ended within the last week."""
    require_admin(actor)
    query = (select(Meeting)
             .where(within_clause(Meeting.region_code, scope_of(actor)),
                    Meeting.status == MeetingStatus.SCHEDULED,
                    col(Meeting.ends_at) > clock.now() - MANAGED_AFTER_END)
             .order_by(col(Meeting.starts_at)).limit(LIST_LIMIT))
    return list((await session.exec(query)).all())
