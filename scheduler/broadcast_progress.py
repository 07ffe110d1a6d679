"""The sender's view of a broadcast being delivered: one progress message, edited as it goes,
and the final report. Both take their turn with the deliveries (the worker's pacer)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.db import Database
from bot.i18n import Translator
from bot.send_meter import broadcast_sends
from bot.services import broadcasts_delivery as delivery
from bot.services.broadcasts import progress, set_progress_message
from models.broadcasts import Broadcast, BroadcastStatus
from models.officials import Official
from scheduler.broadcast_report import final_report_text, progress_markup, progress_text
from scheduler.pacing import Pacer
from scheduler.sending import MessageSender, RetryLater, SendError

log = logging.getLogger(__name__)


@dataclass
class _Shown:
    """What the progress message of a broadcast last said, and when."""

    text: str = ""
    at: float = 0.0
    # Deliveries run side by side: without it two could both edit in the same text, and
    # Telegram refuses the second edit as "not modified".
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ProgressReports:
    """Progress messages and final reports of the broadcasts one worker delivers."""

    def __init__(self, database: Database, sender: MessageSender, pacer: Pacer, *,
                 every: float, failures_listed: int) -> None:
        self.database = database
        self.sender = sender
        self.pacer = pacer
        self.every = every
        self.failures_listed = failures_listed
        self._shown: dict[int, _Shown] = {}

    async def show(self, broadcast_id: int, *, force: bool) -> None:
        """Create or edit the progress message, at most every `every` seconds."""
        shown = self._shown.setdefault(broadcast_id, _Shown())
        if not force and time.monotonic() - shown.at < self.every:
            return
        async with shown.lock:
            await self._show(broadcast_id, shown, force=force)

    async def _show(self, broadcast_id: int, shown: _Shown, *, force: bool) -> None:
        if not force and time.monotonic() - shown.at < self.every:
            return  # another delivery showed it while this one waited
        async with self.database.session() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            sender = await session.get(Official, broadcast.sender_id) if broadcast else None
            if broadcast is None or sender is None:
                return
            if not force and broadcast.status != BroadcastStatus.SENDING:
                return  # finished by another round: its final report showed the last figures
            figures = await progress(session, broadcast_id)
        t = Translator(sender.language)
        text = progress_text(t, broadcast, figures)
        if text == shown.text:
            return
        markup = progress_markup(t, broadcast)
        shown.at = time.monotonic()

        async def put() -> None:
            if broadcast.progress_chat_id and broadcast.progress_message_id:
                await self.sender.edit_text(broadcast.progress_chat_id,
                                            broadcast.progress_message_id, text, markup)
                return
            message_id = await self.sender.send_text(sender.telegram_id, text, markup)
            async with self.database.session() as session:
                await set_progress_message(session, broadcast_id=broadcast_id,
                                           chat_id=sender.telegram_id, message_id=message_id)

        if await self._paced(put, f"progress of {broadcast_id}"):
            shown.text = text

    async def final(self, broadcast_id: int) -> None:
        """The last progress figures, then the report of who was not reached and why."""
        await self.show(broadcast_id, force=True)
        async with self.database.session() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            sender = await session.get(Official, broadcast.sender_id) if broadcast else None
            if broadcast is None or sender is None:
                return
            figures = await progress(session, broadcast_id)
            failed = await delivery.failures(session, broadcast_id=broadcast_id,
                                             limit=self.failures_listed)
        report = final_report_text(Translator(sender.language), broadcast, figures, failed)
        await self._paced(lambda: self.sender.send_text(sender.telegram_id, report, None),
                          f"report to {sender.telegram_id}")
        self._shown.pop(broadcast_id, None)

    async def _paced(self, send: Callable[[], Awaitable[object]], what: str) -> bool:
        """Send at the pacer's turn, as the broadcast's own; False if Telegram refused."""
        await self.pacer.wait()
        try:
            with broadcast_sends():
                await send()
        except SendError as error:
            log.warning("broadcasts: %s not sent: %s", what, error.reason)
            if isinstance(error, RetryLater):
                self.pacer.pause(error.retry_after)
            return False
        return True
