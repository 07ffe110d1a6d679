"""Incident lists: open emergencies first, paged across both parts of the list."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FrozenClock
from bot.db import Database
from bot.services import incidents_query as query
from models.incidents import Incident, IncidentCategory, IncidentStatus, IncidentUrgency
from models.officials import Official, OfficialStatus, Role

CIBABAT = "32.77.03.1002"
MELONG = "32.77.01.1001"  # another kecamatan: outside the camat's list
# (urgency, status, village) of each report, oldest first
REPORTS = [
    (IncidentUrgency.DARURAT, IncidentStatus.BARU, CIBABAT),
    (IncidentUrgency.BIASA, IncidentStatus.BARU, CIBABAT),
    (IncidentUrgency.DARURAT, IncidentStatus.SELESAI, CIBABAT),
    (IncidentUrgency.PENTING, IncidentStatus.DITERIMA, CIBABAT),
    (IncidentUrgency.DARURAT, IncidentStatus.DITINDAKLANJUTI, CIBABAT),
    (IncidentUrgency.DARURAT, IncidentStatus.BARU, MELONG),
    (IncidentUrgency.BIASA, IncidentStatus.DITOLAK, CIBABAT),
    (IncidentUrgency.DARURAT, IncidentStatus.DITERIMA, CIBABAT),
    (IncidentUrgency.BIASA, IncidentStatus.BARU, CIBABAT),
]


async def _seed(db: Database, clock: FrozenClock) -> tuple[Official, list[Incident]]:
    async with db.session() as session:
        lurah = Official(telegram_id=7001, full_name="Lurah", role=Role.LURAH,
                         region_code=CIBABAT, status=OfficialStatus.ACTIVE,
                         created_at=clock.now())
        camat = Official(telegram_id=7002, full_name="Camat", role=Role.CAMAT,
                         region_code="32.77.03", status=OfficialStatus.ACTIVE,
                         created_at=clock.now())
        session.add_all([lurah, camat])
        await session.flush()
        assert lurah.id is not None
        reports = []
        for number, (urgency, status, village) in enumerate(REPORTS, start=1):
            moment = clock.now() - timedelta(hours=len(REPORTS) - number)
            reports.append(Incident(
                ticket=f"LK-2024-{number:06d}", category=IncidentCategory.BENCANA,
                urgency=urgency, description="-", occurred_at=moment, region_code=village,
                reporter_id=lurah.id, status=status, created_at=moment, updated_at=moment))
        session.add_all(reports)
    return camat, reports


async def test_pages_run_through_open_emergencies_then_the_rest(
        db: Database, clock: FrozenClock) -> None:
    camat, reports = await _seed(db, clock)
    mine = [r for r in reversed(reports) if r.region_code == CIBABAT]
    urgent = [r for r in mine if r.urgency == IncidentUrgency.DARURAT
              and r.status in query.OPEN_STATUSES]
    expected = [r.ticket for r in urgent + [r for r in mine if r not in urgent]]
    seen: list[str] = []
    async with db.session() as session:
        for page_number in range(1, 5):
            page = await query.list_incidents(session, viewer=camat, page=page_number,
                                              page_size=2, urgent_first=True)
            assert page.total == len(expected) and page.pages == 4
            seen += [i.ticket for i in page.items]
        # a stale page number past the end shows the last page again
        last = await query.list_incidents(session, viewer=camat, page=9, page_size=2,
                                          urgent_first=True)
    assert seen == expected
    assert [i.ticket for i in last.items] == expected[-2:]


async def test_filters_apply_to_both_parts(db: Database, clock: FrozenClock) -> None:
    camat, reports = await _seed(db, clock)
    filters = query.IncidentFilter(status=IncidentStatus.BARU)
    async with db.session() as session:
        page = await query.list_incidents(session, viewer=camat, filters=filters,
                                          page_size=5, urgent_first=True)
        plain = await query.list_incidents(session, viewer=camat, filters=filters, page_size=5)
    assert [i.ticket for i in page.items] == [reports[0].ticket, reports[8].ticket,
                                              reports[1].ticket]
    assert [i.ticket for i in plain.items] == [reports[8].ticket, reports[1].ticket,
                                               reports[0].ticket]
