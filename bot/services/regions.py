"""Region hierarchy, time zones and scope: who may see what, by Kemendagri code prefix."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.officials import Official, Role
from models.regions import Region, RegionLevel

PILOT_REGIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "regions-pilot.csv"

_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}
_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}


def timezone_for(code: str) -> str:
    """Time zone by province code (provinces do not straddle zones)."""
    province = code[:2]
    if province in _WIT_PROVINCES:
        return "Asia/Jayapura"
    if province in _WITA_PROVINCES:
        return "Asia/Makassar"
    return "Asia/Jakarta"


def level_for(code: str) -> RegionLevel:
    """The level a code denotes by its shape: NN, NN.NN, NN.NN.NN, NN.NN.NN.1NNN/2NNN."""
    parts = code.split(".")
    if len(parts) == 1:
        return RegionLevel.PROVINSI
    if len(parts) == 2:
        return RegionLevel.KABKOTA
    if len(parts) == 3:
        return RegionLevel.KECAMATAN
    return RegionLevel.KELURAHAN if parts[3].startswith("1") else RegionLevel.DESA


def parent_of(code: str) -> str | None:
    head, dot, _ = code.rpartition(".")
    return head if dot else None


def is_within(code: str | None, scope: str | None) -> bool:
    """True when region `code` lies in `scope` (None scope means everywhere)."""
    if scope is None:
        return True
    if code is None:
        return False
    return code == scope or code.startswith(scope + ".")


def scope_of(official: Official) -> str | None:
    """The region an official oversees: none (all) for a superadmin, else their own region."""
    return None if official.role == Role.SUPERADMIN else official.region_code


def kecamatan_of(code: str) -> str | None:
    parts = code.split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else None


def kabkota_of(code: str) -> str | None:
    parts = code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


def within_clause(column: object, scope: str | None) -> object:
    """SQL condition equivalent to is_within for a region-code column.

    Written as one range, scope <= code < scope + "/", rather than `= scope OR LIKE
    'scope.%'`, so both databases read it from an index on the column. Codes hold only digits
    and dots, and '/' sorts right after '.' and before the digits: the range holds `scope`
    and the codes below it, and nothing else, under byte order (SQLite's BINARY, PostgreSQL's
    C and C.UTF-8) and the ICU collations alike.
    """
    if scope is None:
        return True
    return (column >= scope) & (column < scope + "/")  # type: ignore[operator]


async def get_region(session: AsyncSession, code: str) -> Region | None:
    return await session.get(Region, code)


async def children(
    session: AsyncSession, parent_code: str, *, name_filter: str | None = None
) -> Sequence[Region]:
    """Regions directly below `parent_code`, by name; optionally filtered by part of a name."""
    query = select(Region).where(Region.parent_code == parent_code)
    if name_filter:
        query = query.where(func.lower(Region.name).contains(name_filter.strip().lower()))
    return (await session.exec(query.order_by(Region.name))).all()


async def regions_at_level(session: AsyncSession, level: RegionLevel) -> Sequence[Region]:
    return (await session.exec(select(Region).where(Region.level == level)
                               .order_by(Region.name))).all()


async def describe(session: AsyncSession, code: str | None) -> str:
    """'Cibabat, Cimahi Utara, Kota Cimahi' — the region and its ancestors up to kab/kota.
    A code names its ancestors (32.77.03.1002 lies in 32.77.03, in 32.77), so one query
    reads them all."""
    chain: list[str] = []
    while code:
        chain.append(code)
        code = parent_of(code)
    if not chain:
        return ""
    found = {region.code: region for region in
             (await session.exec(select(Region).where(col(Region.code).in_(chain)))).all()}
    names: list[str] = []
    for link in chain:
        region = found.get(link)
        if region is None or region.level == RegionLevel.PROVINSI:
            break
        names.append(region.name)
    return ", ".join(names)


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str


class RegionFileError(ValueError):
    """A malformed regions CSV; names the line so the file can be fixed."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def _valid_code(code: str) -> bool:
    parts = code.split(".")
    if not 1 <= len(parts) <= 4 or any(not p.isdigit() for p in parts):
        return False
    widths = [2, 2, 2, 4][: len(parts)]
    return all(len(p) == w for p, w in zip(parts, widths, strict=True)) and (
        len(parts) < 4 or parts[3][0] in "12"
    )


def parse_regions_csv(text: str) -> list[RegionRow]:
    """Parse `kode,nama` rows ('#' comment lines allowed); the whole file or nothing."""
    rows: list[RegionRow] = []
    seen: set[str] = set()
    header_seen = False
    for line_no, line in enumerate(io.StringIO(text), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = next(csv.reader([line]))
        if not header_seen:
            header_seen = True
            if [f.strip().lower() for f in fields] == ["kode", "nama"]:
                continue
            raise RegionFileError(line_no, "the first row must be the header: kode,nama")
        if len(fields) != 2:
            raise RegionFileError(line_no, f"expected 2 columns (kode,nama), found {len(fields)}")
        code, name = fields[0].strip(), fields[1].strip()
        if not _valid_code(code):
            raise RegionFileError(line_no, f"invalid region code {code!r}")
        if not name or len(name) > 120:
            raise RegionFileError(line_no, "the name is empty or longer than 120 characters")
        if code in seen:
            raise RegionFileError(line_no, f"code {code} appears twice")
        seen.add(code)
        rows.append(RegionRow(code, name))
    if not header_seen:
        raise RegionFileError(1, "the file is empty")
    return rows


async def import_regions(session: AsyncSession, rows: Iterable[RegionRow]) -> tuple[int, int]:
    """Insert new regions and rename changed ones; returns (added, updated). Idempotent."""
    rows = sorted(rows, key=lambda r: (r.code.count("."), r.code))
    known = {r.code: r for r in (await session.exec(select(Region))).all()}
    added = updated = 0
    for row in rows:
        parent = parent_of(row.code)
        if parent is not None and parent not in known:
            raise RegionFileError(0, f"{row.code}: its parent {parent} is neither in the file "
                                     "nor in the database")
        existing = known.get(row.code)
        if existing is None:
            region = Region(code=row.code, name=row.name, level=level_for(row.code),
                            parent_code=parent, timezone=timezone_for(row.code))
            session.add(region)
            known[row.code] = region
            added += 1
        elif existing.name != row.name:
            existing.name = row.name
            session.add(existing)
            updated += 1
    await session.flush()
    return added, updated


async def ensure_pilot_regions(session: AsyncSession) -> int:
    """Load the shipped pilot regions if the table is empty; returns how many were added."""
    if (await session.exec(select(func.count()).select_from(Region))).one():
        return 0
    added, _ = await import_regions(session, parse_regions_csv(PILOT_REGIONS_FILE.read_text()))
    return added
