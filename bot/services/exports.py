"""/ekspor: incidents, complaints, rakor attendance and e-KTP results as XLSX or CSV.

`prepare_export` checks the admin's rights and area and writes the audit entry for a
full-NIK export; `run_export` builds the file in a worker thread with its own event loop and
its own database engine, so a 100,000-row export never holds up the bot's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.errors import NotAllowed, NotFound
from bot.i18n import Translator
from bot.policy import Action, allowed
from bot.services.exports_data import DATASETS, ExportScope, region_names
from bot.services.exports_write import CsvZipWriter, XlsxWriter
from bot.services.officials import audit
from bot.services.recap_period import Period
from bot.services.regions import is_within, scope_of
from models.officials import Official
from models.regions import Region

log = logging.getLogger(__name__)

AUDIT_FULL_NIK = "export.full_nik"
EXPORTS_FOLDER = "exports"
# exports are for downloading once; old files only take space and hold personal data
KEEP_EXPORTS = timedelta(days=1)


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@dataclass(frozen=True)
class ExportRequest:
    actor_id: int
    area_code: str | None
    period: Period
    format: ExportFormat
    full_identity: bool
    language: str
    requested_at: datetime


@dataclass(frozen=True)
class ExportResult:
    path: Path
    file_name: str
    rows: dict[str, int] = field(default_factory=dict)


def exports_dir(data_dir: Path) -> Path:
    return data_dir / EXPORTS_FOLDER


async def prepare_export(session: AsyncSession, clock: Clock, *, actor: Official,
                         area_code: str | None, period: Period, format: ExportFormat,
                         full_identity: bool = False) -> ExportRequest:
    """Check the admin may export this area; a full-NIK export is written to the audit log."""
    if not allowed(actor, Action.EXPORT):
        raise NotAllowed("reports.errors.not_allowed")
    own = scope_of(actor)
    area = area_code or own
    if (area is None and own is not None) or not is_within(area, own):
        raise NotAllowed("reports.errors.region_out_of_scope")
    if area is not None and await session.get(Region, area) is None:
        raise NotFound("reports.errors.region_out_of_scope")
    if full_identity:
        await audit(session, clock, actor_id=actor.id, action=AUDIT_FULL_NIK,
                    subject=f"export:{area or 'all'}",
                    detail=f"{period.first_day.isoformat()}..{period.last_day.isoformat()} "
                           f"{format}")
    assert actor.id is not None
    return ExportRequest(actor.id, area, period, format, full_identity, actor.language,
                         clock.now())


def file_name(request: ExportRequest, tr: Translator) -> str:
    """'ekspor-32.77-20241029-20241104-090000.xlsx'"""
    base = tr("reports.export.files.archive")
    stamp = request.requested_at.strftime("%Y%m%dT%H%M%S")
    period = f"{request.period.first_day:%Y%m%d}-{request.period.last_day:%Y%m%d}"
    extension = "xlsx" if request.format == ExportFormat.XLSX else "zip"
    area = request.area_code or tr("reports.export.files.everywhere")
    return f"{base}-{area}-{period}-{stamp}.{extension}"


async def run_export(request: ExportRequest, *, database_url: str,
                     data_dir: Path) -> ExportResult:
    """Build the file off the event loop; returns where it is and how many rows it has."""
    return await asyncio.to_thread(_in_worker_thread, request, database_url, data_dir)


def _in_worker_thread(request: ExportRequest, database_url: str, data_dir: Path,
                      ) -> ExportResult:
    return asyncio.run(_build(request, database_url, data_dir))


async def _build(request: ExportRequest, database_url: str, data_dir: Path) -> ExportResult:
    folder = exports_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    purge_old_exports(folder)
    tr = Translator(request.language)
    name = file_name(request, tr)
    path = folder / name
    writer = (XlsxWriter(path, len(DATASETS)) if request.format == ExportFormat.XLSX
              else CsvZipWriter(path))
    database = Database(database_url)
    rows: dict[str, int] = {}
    started = time.monotonic()
    try:
        async with database.session() as session:
            scope = ExportScope(request.area_code, request.period, request.requested_at,
                                request.full_identity, tr,
                                await region_names(session, request.area_code))
            for dataset in DATASETS:
                key = "sheets" if request.format == ExportFormat.XLSX else "files"
                headers = [tr(f"reports.columns.{c.key}") for c in dataset.columns]
                rows[dataset.name] = await writer.add_sheet(
                    tr(f"reports.export.{key}.{dataset.name}"), headers, dataset.columns,
                    dataset.rows(session, scope))
        writer.close()
    except BaseException:
        writer.discard()
        path.unlink(missing_ok=True)
        raise
    finally:
        await database.dispose()
    log.info("export written", extra={"rows": sum(rows.values()), "file": name,
                                      "seconds": round(time.monotonic() - started, 2)})
    return ExportResult(path, name, rows)


def purge_old_exports(folder: Path, *, keep: timedelta = KEEP_EXPORTS) -> int:
    """Delete export files older than `keep` (by file time: this is housekeeping)."""
    limit = time.time() - keep.total_seconds()
    removed = 0
    for path in folder.glob("*"):
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
