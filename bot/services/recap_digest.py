"""The weekly digest (ringkasan mingguan): Monday 07:00 local, last week's recap, as reminders.

Each camat/admin gets one reminder row per Monday (target_type "digest", target_id = their
official id). Planning is idempotent and can run as often as wanted: it plans the coming
Monday, cancels digests of people who switched it off or left, and — once the week is over
(from Monday 00:00 local) — puts last week's figures into the row's payload, so the
scheduler's renderer, which cannot query the database, has everything it needs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, ensure_utc
from bot.errors import NotAllowed
from bot.i18n import Translator
from bot.services.recap import Recap, RecapScope, compute_recap, scope_for
from bot.services.recap_format import recap_text
from bot.services.recap_period import Period, previous_week
from bot.services.reminders import PlannedReminder, cancel_reminders, replace_reminders
from bot.settings import Settings
from models.officials import Official, OfficialStatus, Role
from models.reminders import Reminder, ReminderStatus
from models.reporting import DigestPreference

log = logging.getLogger(__name__)

DIGEST_KIND = "digest.weekly"
DIGEST_TARGET = "digest"
DIGEST_AT = time(7, 0)
DIGEST_ROLES = (Role.CAMAT, Role.ADMIN, Role.SUPERADMIN)
# a digest not sent by 13:00 is stale; until then a pending one is kept, not replanned
DIGEST_EXPIRES_AFTER = timedelta(hours=6)
_MONDAY = 0


@dataclass(frozen=True)
class DigestPlan:
    planned: int = 0
    cancelled: int = 0
    filled: int = 0


# ---- preference ---------------------------------------------------------------------------


async def digest_enabled(session: AsyncSession, official_id: int) -> bool:
    """Whether the official wants the weekly digest (yes unless they switched it off)."""
    preference = await session.get(DigestPreference, official_id)
    return preference is None or preference.weekly_enabled


async def set_digest_enabled(session: AsyncSession, clock: Clock, settings: Settings, *,
                             official: Official, enabled: bool) -> bool:
    """Switch the digest on or off for this official, and plan or cancel it right away."""
    scope_for(official, settings)  # only those who may see a recap get a digest
    assert official.id is not None
    preference = await session.get(DigestPreference, official.id)
    if preference is None:
        preference = DigestPreference(official_id=official.id, updated_at=clock.now())
    preference.weekly_enabled = enabled
    preference.updated_at = clock.now()
    session.add(preference)
    await session.flush()
    if enabled:
        await _plan_one(session, clock, settings, official)
    else:
        await cancel_reminders(session, target_type=DIGEST_TARGET, target_id=official.id,
                               kinds=[DIGEST_KIND])
    return enabled


# ---- planning -----------------------------------------------------------------------------


def this_weeks_digest_at(now: datetime, timezone: str) -> datetime:
    """Monday 07:00 (local) of the current local week, in UTC."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday() - _MONDAY)
    return datetime.combine(monday, DIGEST_AT, tzinfo=zone).astimezone(UTC)


def digest_period(due_at: datetime, timezone: str) -> Period:
    """Last week, Monday to Sunday, as seen from the digest's Monday."""
    return previous_week(due_at.astimezone(ZoneInfo(timezone)).date(), timezone=timezone)


async def _plan_one(session: AsyncSession, clock: Clock, settings: Settings,
                    official: Official) -> None:
    """The coming Monday's digest; this Monday's stays while it is pending and still fresh."""
    assert official.id is not None
    zone = scope_for(official, settings).timezone
    now = clock.now()
    due = this_weeks_digest_at(now, zone)
    if due <= now and not (now < due + DIGEST_EXPIRES_AFTER
                           and await _pending_at(session, official.id, due)):
        due += timedelta(days=7)
    payload: dict[str, object] = {"timezone": zone,
                                  "period": digest_period(due, zone).to_dict()}
    await replace_reminders(
        session, clock, target_type=DIGEST_TARGET, target_id=official.id,
        planned=[PlannedReminder(DIGEST_KIND, official.id, due,
                                 expires_at=due + DIGEST_EXPIRES_AFTER, payload=payload)],
        kinds=[DIGEST_KIND])


async def _pending_at(session: AsyncSession, official_id: int, due: datetime) -> bool:
    found = (await session.exec(select(Reminder.id).where(
        Reminder.kind == DIGEST_KIND, Reminder.target_type == DIGEST_TARGET,
        Reminder.target_id == official_id, Reminder.due_at == due,
        Reminder.status == ReminderStatus.PENDING))).first()
    return found is not None


async def digest_recipients(session: AsyncSession) -> list[Official]:
    """Active camat and admins who have not switched the digest off."""
    query = (
        select(Official)
        .join(DigestPreference, col(DigestPreference.official_id) == col(Official.id),
              isouter=True)
        .where(Official.status == OfficialStatus.ACTIVE,
               col(Official.role).in_([str(role) for role in DIGEST_ROLES]),
               col(DigestPreference.weekly_enabled).is_not(False))
        .order_by(col(Official.id))
    )
    return list((await session.exec(query)).all())


async def plan_weekly_digests(session: AsyncSession, clock: Clock, settings: Settings,
                              ) -> DigestPlan:
    """Plan next Monday's digest for everyone who wants one; idempotent."""
    recipients = await digest_recipients(session)
    for official in recipients:
        if official.role == Role.SUPERADMIN or official.region_code:
            await _plan_one(session, clock, settings, official)
    wanted = {official.id for official in recipients}
    stale = (await session.exec(select(Reminder).where(
        Reminder.kind == DIGEST_KIND, Reminder.target_type == DIGEST_TARGET,
        Reminder.status == ReminderStatus.PENDING,
        col(Reminder.recipient_id).not_in(sorted(wanted) or [0])))).all()
    for reminder in stale:
        reminder.status = ReminderStatus.CANCELLED
        session.add(reminder)
    await session.flush()
    filled = await fill_digest_figures(session, clock, settings,
                                       {o.id: o for o in recipients if o.id is not None})
    return DigestPlan(planned=len(recipients), cancelled=len(stale), filled=filled)


async def fill_digest_figures(session: AsyncSession, clock: Clock, settings: Settings,
                              recipients: dict[int, Official]) -> int:
    """Put last week's figures into pending digests whose week is over."""
    now = clock.now()
    rows = (await session.exec(select(Reminder).where(
        Reminder.kind == DIGEST_KIND, Reminder.target_type == DIGEST_TARGET,
        Reminder.status == ReminderStatus.PENDING))).all()
    cache: dict[tuple[RecapScope, Period], Recap] = {}
    filled = 0
    for reminder in rows:
        official = recipients.get(reminder.recipient_id)
        payload = _payload(reminder)
        if official is None or "recap" in payload:
            continue
        try:
            scope = scope_for(official, settings)
        except NotAllowed:  # their role or area changed since planning
            continue
        period = digest_period(ensure_utc(reminder.due_at), scope.timezone)
        if now < period.end:
            continue  # the week is not over yet
        if (scope, period) not in cache:
            cache[(scope, period)] = await compute_recap(session, clock, scope=scope,
                                                         period=period)
        payload["recap"] = cache[(scope, period)].to_dict()
        result = await session.exec(update(Reminder).where(
            col(Reminder.id) == reminder.id, col(Reminder.status) == ReminderStatus.PENDING,
        ).values(payload=json.dumps(payload, default=str)))
        filled += result.rowcount or 0
    return filled


def _payload(reminder: Reminder) -> dict[str, Any]:
    try:
        payload = json.loads(reminder.payload or "{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


# ---- rendering (called by the scheduler's renderer registry) ------------------------------


class DigestFacts(Protocol):
    """What the scheduler hands a renderer (scheduler.render.Facts)."""

    values: dict[str, Any]


def digest_text(tr: Translator, recap: Recap) -> str:
    return recap_text(tr, recap, title_key="reports.digest.title",
                      footer=tr("reports.digest.footer"))


def render_digest(facts: DigestFacts, tr: Translator) -> tuple[str, None]:
    """The digest from the figures stored in the payload; a pointer to /rekap without them."""
    data = facts.values.get("recap")
    if isinstance(data, dict):
        try:
            return digest_text(tr, Recap.from_dict(data)), None
        except (KeyError, TypeError, ValueError):
            log.warning("weekly digest payload unreadable; sending the short version")
    return tr("reports.digest.pending"), None
