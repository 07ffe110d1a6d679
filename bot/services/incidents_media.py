"""Evidence files: a local copy of every photo and document, so reports outlive Telegram."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.services.incidents import check_media_size
from models.incidents import IncidentMedia, MediaKind

MEDIA_DIR_NAME = "media"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")
_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


def media_root(data_dir: Path) -> Path:
    return Path(data_dir) / MEDIA_DIR_NAME


def _suffix(kind: MediaKind, file_name: str | None) -> str:
    if kind == MediaKind.PHOTO:
        return ".jpg"  # Telegram re-encodes every photo as JPEG
    suffix = PurePosixPath(file_name or "").suffix.lower()
    return suffix if _SAFE_SUFFIX.match(suffix) else ".bin"


def media_relative_path(clock: Clock, *, file_unique_id: str, kind: MediaKind,
                        file_name: str | None = None) -> PurePosixPath:
    """'media/2024/11/<unique id>.jpg' — relative to the data directory, by upload month."""
    now = clock.now()
    stem = _SAFE_NAME.sub("_", file_unique_id)[:64] or uuid.uuid4().hex
    return PurePosixPath(MEDIA_DIR_NAME, f"{now.year:04d}", f"{now.month:02d}",
                         stem + _suffix(kind, file_name))


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


async def store_media(data_dir: Path, clock: Clock, *, content: bytes, file_unique_id: str,
                      kind: MediaKind, max_bytes: int, file_name: str | None = None) -> str:
    """Save downloaded bytes under the data directory; returns the path to keep in the row."""
    check_media_size(len(content), max_bytes=max_bytes)
    relative = media_relative_path(clock, file_unique_id=file_unique_id, kind=kind,
                                   file_name=file_name)
    await asyncio.to_thread(_write_atomically, Path(data_dir) / relative, content)
    return relative.as_posix()


def media_file(data_dir: Path, local_path: str) -> Path | None:
    """The stored file for a row's path, or None if it is missing or points outside media/."""
    root = media_root(data_dir).resolve()
    candidate = (Path(data_dir) / local_path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


async def discard_media(session: AsyncSession, data_dir: Path, *, local_paths: Iterable[str],
                        keep: Iterable[str] = ()) -> int:
    """Delete the local copies of files a draft no longer needs (cancelled, replaced, cleared).

    A file is named after Telegram's id of its content, so the same photo in a stored report
    (or in `keep`: other drafts still open) is the same file: that one stays. Returns how many
    files were deleted.
    """
    candidates = {path for path in local_paths if path} - set(keep)
    if not candidates:
        return 0
    stored = set((await session.exec(
        select(IncidentMedia.local_path).where(col(IncidentMedia.local_path).in_(candidates))
    )).all())
    removed = 0
    for path in sorted(candidates - stored):
        target = media_file(data_dir, path)
        if target is not None:
            await asyncio.to_thread(target.unlink, missing_ok=True)
            removed += 1
    return removed
