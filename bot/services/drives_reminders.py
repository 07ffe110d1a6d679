"""What to remind the lurah about a perekaman e-KTP drive, and when."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import datetime, time

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.services.meetings_reminders import (
    Identity,
    local_day_at,
    pending_identities,
    still_wanted,
)
from bot.services.reminders import PlannedReminder, cancel_reminders, replace_reminders
from bot.settings import ReminderSettings
from models.drives import Drive, DriveStatus, DriveTarget

TARGET_TYPE = "drive"
BEFORE = "drive.before"
REALISASI = "drive.realisasi"
# the morning message: the schedule days before, the request for realisasi the day after
MORNING = time(8, 0)


def plan_drive_reminders(drive: Drive, targets: Iterable[DriveTarget],
                         lurah_ids: Mapping[str, Sequence[int]], *, now: datetime,
                         days_before: Sequence[int],
                         pending: Set[Identity] = frozenset()) -> list[PlannedReminder]:
    """Each target lurah: N days before at 08:00, and the day after for the realisasi."""
    if drive.status == DriveStatus.CANCELLED:
        return []
    assert drive.id is not None
    realisasi_due = local_day_at(drive.ends_at, drive.timezone, 1, MORNING)
    planned: list[PlannedReminder] = []
    for target in targets:
        payload: dict[str, object] = {"drive_id": drive.id, "region_code": target.region_code}
        for official_id in lurah_ids.get(target.region_code, ()):
            for days in sorted(set(days_before), reverse=True):
                due = local_day_at(drive.starts_at, drive.timezone, -days, MORNING)
                if due < drive.starts_at:
                    planned.append(PlannedReminder(
                        BEFORE, official_id, due, expires_at=drive.starts_at,
                        payload={**payload, "days_before": days}))
            if target.reported_at is None:
                planned.append(PlannedReminder(REALISASI, official_id, realisasi_due,
                                               payload=payload))
    return still_wanted(planned, now=now, pending=pending)


async def replan_drive_reminders(session: AsyncSession, clock: Clock, drive: Drive,
                                 targets: Sequence[DriveTarget],
                                 lurah_ids: Mapping[str, Sequence[int]],
                                 rules: ReminderSettings) -> None:
    """Make the stored reminders of the drive match its targets and reports."""
    assert drive.id is not None
    if drive.status == DriveStatus.CANCELLED:
        await cancel_reminders(session, target_type=TARGET_TYPE, target_id=drive.id)
        return
    pending = await pending_identities(session, target_type=TARGET_TYPE, target_id=drive.id)
    planned = plan_drive_reminders(drive, targets, lurah_ids, now=clock.now(),
                                   days_before=rules.drive_days_before, pending=pending)
    await replace_reminders(session, clock, target_type=TARGET_TYPE, target_id=drive.id,
                            planned=planned)
