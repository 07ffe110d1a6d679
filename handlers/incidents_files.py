"""Evidence through Telegram: download what reporters send, show it again to the chain."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from telegram import InputMediaDocument, InputMediaPhoto, Message
from telegram.error import TelegramError

from bot.context import WilayahContext
from bot.services import incidents as service
from bot.services.incidents import DraftMedia, IncidentDraft
from bot.services.incidents_media import discard_media, media_file, store_media
from handlers.incidents_ask import DRAFT
from models.incidents import IncidentMedia, MediaKind

log = logging.getLogger(__name__)


def media_identity(message: Message) -> tuple[MediaKind, str, str, int | None, str | None]:
    """(kind, file_id, file_unique_id, size, file name) of the photo or document in a message."""
    if message.photo:
        size = message.photo[-1]  # the largest rendition
        return MediaKind.PHOTO, size.file_id, size.file_unique_id, size.file_size, None
    document = message.document
    assert document is not None
    return (MediaKind.DOCUMENT, document.file_id, document.file_unique_id, document.file_size,
            document.file_name)


async def receive_media(context: WilayahContext, message: Message,
                        draft: IncidentDraft) -> DraftMedia:
    """Check a photo or document against the limits and keep a local copy of it."""
    kind, file_id, unique, file_size, name = media_identity(message)
    draft.check_media_room()
    settings = context.settings.bot
    service.check_media_size(file_size, max_bytes=settings.max_media_bytes)
    local_path = None
    try:
        telegram_file = await context.bot.get_file(file_id)
        content = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as error:
        # the file_id still works inside Telegram; the copy is a safeguard, not a condition
        log.warning("media not downloaded", extra={"error": type(error).__name__})
    else:
        local_path = await store_media(settings.data_dir, context.clock, content=content,
                                       file_unique_id=unique, kind=kind,
                                       max_bytes=settings.max_media_bytes, file_name=name)
    return DraftMedia(kind=kind, file_id=file_id, file_unique_id=unique, local_path=local_path,
                      size=file_size, file_name=name)


def _draft_files(stored: Any) -> Iterator[str]:
    """The local copies of a draft as kept in the user's storage ({"report": {...}})."""
    report = stored.get("report") if isinstance(stored, dict) else None
    for item in (report or {}).get("media") or []:
        if item.get("local_path"):
            yield item["local_path"]


async def discard_draft_media(context: WilayahContext, dropped: Any) -> None:
    """Delete the files downloaded for a draft that was cancelled, replaced or emptied; a file
    that an open draft (of anyone) still holds stays. Never fails the step that called it."""
    paths = list(_draft_files(dropped))
    if not paths:
        return
    open_drafts = {path for data in context.application.user_data.values()
                   for path in _draft_files(data.get(DRAFT))}
    try:
        async with context.db.session() as session:
            await discard_media(session, context.settings.bot.data_dir, local_paths=paths,
                                keep=open_drafts)
    except OSError as error:
        log.warning("draft media not deleted", extra={"error": type(error).__name__})


async def _send_one(context: WilayahContext, chat_id: int, item: IncidentMedia) -> None:
    """By file_id; from the local copy when Telegram no longer knows the file."""
    send = context.bot.send_photo if item.kind == MediaKind.PHOTO else context.bot.send_document
    try:
        await send(chat_id, item.file_id)
        return
    except TelegramError:
        stored = media_file(context.settings.bot.data_dir, item.local_path or "")
        if stored is None:
            log.warning("evidence unavailable", extra={"media_id": item.id})
            return
    with stored.open("rb") as handle:
        await send(chat_id, handle)


async def send_incident_media(context: WilayahContext, chat_id: int,
                              media: Sequence[IncidentMedia]) -> None:
    """Photos as one album, documents as another (Telegram does not mix them)."""
    for kind, wrap in ((MediaKind.PHOTO, InputMediaPhoto),
                       (MediaKind.DOCUMENT, InputMediaDocument)):
        group = [m for m in media if m.kind == kind]
        if len(group) == 1:
            await _send_one(context, chat_id, group[0])
        elif group:
            try:
                await context.bot.send_media_group(chat_id, [wrap(m.file_id) for m in group])
            except TelegramError:
                for item in group:
                    await _send_one(context, chat_id, item)
