"""Evidence files of drafts that never became reports: deleted, unless something still uses them."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FrozenClock
from bot.db import Database
from bot.services import incidents as svc
from bot.services import incidents_media as media
from models.incidents import MediaKind
from models.officials import Role
from tests.unit.test_incidents import CIBABAT, add_official, complete_draft


async def test_discarded_draft_files_go_unless_a_report_or_a_draft_still_holds_them(
        db: Database, clock: FrozenClock, tmp_path: Path) -> None:
    async def saved(unique_id: str) -> str:
        return await media.store_media(tmp_path, clock, content=b"\xff\xd8", max_bytes=1024,
                                       file_unique_id=unique_id, kind=MediaKind.PHOTO)

    gone, in_report, in_draft = [await saved(u) for u in ("gone", "in_report", "in_draft")]
    draft = complete_draft(clock)
    draft.add_media(svc.DraftMedia(MediaKind.PHOTO, "f1", "in_report", local_path=in_report))
    lurah = await add_official(db, clock, Role.LURAH, CIBABAT)
    async with db.session() as session:
        await svc.submit_incident(session, clock, reporter=lurah, draft=draft)
    outside = tmp_path / "config.toml"
    outside.write_text("token = 1")

    async with db.session() as session:
        removed = await media.discard_media(
            session, tmp_path, local_paths=[gone, in_report, in_draft, "", "../config.toml"],
            keep=[in_draft])
    assert removed == 1
    assert not (tmp_path / gone).exists()
    assert (tmp_path / in_report).is_file() and (tmp_path / in_draft).is_file()
    assert outside.is_file()  # never anything outside media/
    async with db.session() as session:
        assert await media.discard_media(session, tmp_path, local_paths=[gone]) == 0
