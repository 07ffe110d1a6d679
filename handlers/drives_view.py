"""How a drive looks in chat: the lurah's schedule, the residents' announcement, the recap."""

from __future__ import annotations

import html
from datetime import datetime

from bot.i18n import Html, Translator
from bot.services.drives_query import DriveRecap
from models.drives import Drive
from models.regions import Region, RegionLevel

ZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def window(tr: Translator, drive: Drive) -> str:
    """'Sabtu, 16 November 2024, 08.00–14.00 WIB'."""
    return tr("drives.render.window", date=tr.date(drive.starts_at, drive.timezone),
              start=tr.time(drive.starts_at, drive.timezone),
              end=tr.time(drive.ends_at, drive.timezone), zone=ZONES.get(drive.timezone, ""))


def drive_body(tr: Translator, drive: Drive) -> str:
    """When, where and for whom."""
    return "\n".join([tr("drives.render.when", when=Html(window(tr, drive))),
                      tr("drives.render.place", place=drive.place),
                      tr("drives.render.group", group=drive.target_group)])


def schedule_text(tr: Translator, drive: Drive, village: str, target: int) -> str:
    """What the lurah of a target kelurahan receives."""
    return "\n".join([tr("drives.notice.schedule_header"), drive_body(tr, drive),
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
