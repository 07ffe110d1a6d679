"""How a drive looks in chat: the lurah's schedule (and sending it), the residents'
announcement, the recap."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime

from telegram.error import TelegramError

from bot import callbacks
from bot.context import WilayahContext
from bot.i18n import Html, Translator
from bot.services.drives import LurahByRegion
from bot.services.drives_query import DriveRecap
from handlers.common import buttons
from handlers.meetings_view import deliver
from models.drives import Drive, DriveTarget
from models.officials import Official
from models.regions import Region, RegionLevel

ZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def window(tr: Translator, drive: Drive) -> str:
    """'Sabtu, 16 November 2024, 08.00–14.00 WIB'."""
    return window_of(tr, drive.starts_at, drive.ends_at, drive.timezone)


def window_of(tr: Translator, starts_at: datetime, ends_at: datetime, zone: str) -> str:
    """A time window as `window` shows it, before it is stored on a drive."""
    return tr("drives.render.window", date=tr.date(starts_at, zone), start=tr.time(starts_at, zone),
              end=tr.time(ends_at, zone), zone=ZONES.get(zone, ""))


def drive_body(tr: Translator, drive: Drive) -> str:
    """When, where and for whom."""
    return "\n".join([tr("drives.render.when", when=Html(window(tr, drive))),
                      tr("drives.render.place", place=drive.place),
                      tr("drives.render.group", group=drive.target_group)])


def schedule_text(tr: Translator, drive: Drive, village: str, target: int, *,
                  header: str = "drives.notice.schedule_header") -> str:
    """What the lurah of a target kelurahan receives."""
    return "\n".join([tr(header), drive_body(tr, drive),
                      tr("drives.render.target", village=village, target=tr.number(target)),
                      "", tr("drives.notice.schedule_footer")])


def village_name(region: Region) -> str:
    """'Kelurahan Cibabat' or 'Desa Sangatta Utara', in Indonesian for residents."""
    word = "Desa" if region.level == RegionLevel.DESA else "Kelurahan"
    return f"{word} {region.name}"


def announcement(drive: Drive, region: Region) -> str:
    """A ready-to-forward announcement for residents: plain text, always Indonesian."""
    tr = Translator("id")
    text = tr("drives.announcement.text", village=village_name(region),
              date=tr.date(drive.starts_at, drive.timezone),
              start=tr.time(drive.starts_at, drive.timezone),
              end=tr.time(drive.ends_at, drive.timezone),
              zone=ZONES.get(drive.timezone, ""), place=drive.place,
              group=drive.target_group)
    # the catalog escapes values for HTML; this text is sent as plain text, so undo that
    return html.unescape(text)


def percent(done: int, target: int) -> int:
    """Whole percent of the target reached (0 for a zero target)."""
    return round(100 * done / target) if target else 0


def recap_text(tr: Translator, recap: DriveRecap, now: datetime) -> str:
    """Target versus realisasi per kelurahan, the total, and who has not reported."""
    drive = recap.drive
    lines = [tr("drives.recap.header"), drive_body(tr, drive), ""]
    for row in recap.rows:
        if row.realised is None:
            lines.append(tr("drives.recap.row_pending", village=row.region_name,
                            kecamatan=row.kecamatan_name, target=tr.number(row.target)))
        else:
            lines.append(tr("drives.recap.row_done", village=row.region_name,
                            kecamatan=row.kecamatan_name, realised=tr.number(row.realised),
                            target=tr.number(row.target),
                            percent=percent(row.realised, row.target)))
    lines += ["", tr("drives.recap.total", realised=tr.number(recap.total_realised),
                     target=tr.number(recap.total_target),
                     percent=percent(recap.total_realised, recap.total_target))]
    if now >= drive.starts_at and recap.not_reported:
        lines.append(tr("drives.recap.not_reported_header"))
        for row in recap.not_reported:
            lurah = ", ".join(row.lurah_names) or tr("drives.recap.no_lurah")
            lines.append(tr("drives.recap.not_reported", village=row.region_name, lurah=lurah))
    elif now < drive.starts_at:
        lines.append(tr("drives.recap.not_started"))
    return "\n".join(lines)


async def send_schedules(context: WilayahContext, drive: Drive, targets: Sequence[DriveTarget],
                         lurah: LurahByRegion, regions: Mapping[str, Region | None], *,
                         header: str = "drives.notice.schedule_header") -> tuple[int, list[str]]:
    """Every target lurah gets the schedule; how many were reached, and the villages that
    have no registered lurah yet."""
    reached, missing = 0, []
    for target in targets:
        region = regions[target.region_code]
        assert region is not None
        if not lurah.get(target.region_code):
            missing.append(region.name)
        for official in lurah.get(target.region_code, []):
            reached += await send_schedule(context, drive, region, target.target_count, official,
                                           header=header)
    return reached, missing


async def send_schedule(context: WilayahContext, drive: Drive, region: Region, target: int,
                        official: Official, *, header: str) -> bool:
    """The schedule with a realisasi button, then the announcement to forward to residents."""
    tr = Translator(official.language)
    assert drive.id is not None
    text = schedule_text(tr, drive, village_name(region), target, header=header)
    sent = await deliver(context, official, text, reply_markup=buttons(
        [[(tr("drives.buttons.report"), callbacks.pack("drv.rl", drive.id))]]))
    if sent is None:
        return False
    try:
        await context.bot.send_message(official.telegram_id, announcement(drive, region))
    except TelegramError:
        # the schedule arrived; the announcement can be copied from it if this one is lost
        return True
    return True
