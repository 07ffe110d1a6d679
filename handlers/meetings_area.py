"""Choosing the organising kab/kota, for a superadmin who oversees every area (rakor, drives)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot import callbacks
from bot.context import WilayahContext
from bot.errors import DomainError, NotAllowed
from bot.i18n import Translator
from bot.services import regions as region_service
from handlers.common import edit_or_send
from handlers.region_picker import region_keyboard
from models.officials import Official
from models.regions import RegionLevel


async def area_keyboard(session: AsyncSession, *, kind: str, page: int,
                        tr: Translator) -> InlineKeyboardMarkup:
    """Every kab/kota, a page at a time."""
    regions = await region_service.regions_at_level(session, RegionLevel.KABKOTA)
    return region_keyboard(list(regions), kind=kind, parent=None, page=page, tr=tr)


async def on_area_page(update: Update, context: WilayahContext, *, kind: str,
                       page: int) -> None:
    """Turn a page of the kab/kota list."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    async with context.db.session() as session:
        markup = await area_keyboard(session, kind=kind, page=page, tr=context.tr)
    await edit_or_send(update, context, context.tr("meetings.create.ask_area"),
                       reply_markup=markup)


async def pick_area(update: Update, context: WilayahContext, actor: Official,
                    data: callbacks.Callback) -> str:
    """The kab/kota a pressed button names, re-checked against the database and scope."""
    if data.arg(0) != "pick":
        raise DomainError("common.errors.stale_button")
    async with context.db.session() as session:
        region = await region_service.get_region(session, data.arg(1))
        described = await region_service.describe(session, data.arg(1)) if region else ""
    if region is None or region.level != RegionLevel.KABKOTA:
        raise DomainError("common.errors.stale_button")
    if not region_service.is_within(region.code, region_service.scope_of(actor)):
        raise NotAllowed()
    assert update.callback_query is not None
    await update.callback_query.answer()
    await edit_or_send(update, context, context.tr("meetings.create.area_chosen",
                                                   area=described))
    return region.code
