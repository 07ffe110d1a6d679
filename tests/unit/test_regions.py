"""Region codes, time zones, scope and the CSV import."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from bot.db import Database
from bot.services import regions
from models.regions import Region, RegionLevel


def test_levels_and_zones_follow_the_code() -> None:
    assert regions.level_for("64.08.04.1001") == RegionLevel.KELURAHAN
    assert regions.level_for("64.08.04.2001") == RegionLevel.DESA
    assert regions.level_for("32.77") == RegionLevel.KABKOTA
    assert regions.timezone_for("32.77.03") == "Asia/Jakarta"
    assert regions.timezone_for("53.71.01") == "Asia/Makassar"
    assert regions.timezone_for("94.71") == "Asia/Jayapura"


def test_scope_is_a_code_prefix_not_a_string_prefix() -> None:
    assert regions.is_within("32.77.03.1002", "32.77.03")
    assert not regions.is_within("32.77.031", "32.77.03")
    assert regions.is_within("32.77", None)


async def test_within_clause_agrees_with_is_within_on_the_database(db: Database) -> None:
    """The range form of the SQL condition holds under the database's own collation."""
    async with db.session() as session:
        codes = list((await session.exec(select(Region.code))).all())
        scopes = [*codes, "32.7", "32.77.0", "64.08.04.100"]
        for scope in scopes:
            query = select(Region.code).where(regions.within_clause(Region.code, scope))
            found = set((await session.exec(query)).all())
            assert found == {c for c in codes if regions.is_within(c, scope)}, scope


async def test_pilot_regions_are_loaded(db: Database) -> None:
    async with db.session() as session:
        kecamatan = await regions.children(session, "32.77")
        assert [r.name for r in kecamatan] == ["Cimahi Selatan", "Cimahi Tengah", "Cimahi Utara"]
        assert len(await regions.children(session, "53.71")) == 6
        assert len(await regions.children(session, "64.08")) == 18
        filtered = await regions.children(session, "32.77.03", name_filter="bab")
        assert [r.name for r in filtered] == ["Cibabat"]
        assert await regions.describe(session, "32.77.03.1002") == "Cibabat, Cimahi Utara, Kota Cimahi"


async def test_import_is_idempotent_and_all_or_nothing(db: Database) -> None:
    good = "kode,nama\n32.77.03.1002,Cibabat\n"
    async with db.session() as session:
        before = (await session.exec(select(func.count()).select_from(Region))).one()
        assert await regions.import_regions(session, regions.parse_regions_csv(good)) == (0, 0)
    bad = "kode,nama\n32.73,Kota Bandung\n32.73.01,Sukasari,extra\n"
    with pytest.raises(regions.RegionFileError) as error:
        regions.parse_regions_csv(bad)
    assert error.value.line == 3
    async with db.session() as session:
        after = (await session.exec(select(func.count()).select_from(Region))).one()
    assert before == after
