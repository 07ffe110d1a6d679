"""Admins approve or reject registrations."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot.context import WilayahContext
from bot.i18n import Translator
from bot.policy import Action
from bot.services import officials as official_service
from bot.services import regions as region_service
from handlers.common import (
    buttons,
    edit_or_send,
    guard,
    help_text,
    notify,
    refuse,
    sync_menu,
)
from models.officials import Official, Role


async def ask_approval(context: WilayahContext, approver: Official, applicant: Official,
                       region: str) -> None:
    """Send an approver the applicant's data with Setujui / Tolak."""
    tr = Translator(approver.language)
    await notify(context, approver, tr(
        "registration.approval_request", name=applicant.full_name,
        role=tr(f"common.roles.{applicant.role}"), region=region,
        nip=applicant.nip or "-", phone=official_service.mask(applicant.phone)),
        reply_markup=buttons([[
            (tr("registration.buttons.approve"), callbacks.pack("appr", applicant.id, "y")),
            (tr("registration.buttons.reject"), callbacks.pack("appr", applicant.id, "n"))]]))


@guard(Action.APPROVE_REGISTRATION)
async def on_decision(update: Update, context: WilayahContext) -> None:
    """Setujui / Tolak on a registration, pressed by an admin of that area."""
    query = update.callback_query
    assert query is not None and context.official is not None
    data = callbacks.parse(query.data)
    official_id = data.int_arg(0) if data else None
    if data is None or official_id is None or data.arg(1) not in {"y", "n"}:
        await refuse(update, context, "common.errors.stale_button")
        return
    approve = data.arg(1) == "y"
    async with context.db.session() as session:
        applicant = await official_service.decide(session, context.clock, actor=context.official,
                                                  official_id=official_id, approve=approve)
        region = await region_service.describe(session, applicant.region_code)
    await query.answer()
    tr = context.tr
    outcome = "registration.decided_approved" if approve else "registration.decided_rejected"
    await edit_or_send(update, context, tr(outcome, name=applicant.full_name, region=region))
    applicant_tr = Translator(applicant.language)
    if approve:
        await notify(context, applicant, applicant_tr("registration.you_are_approved"))
        await notify(context, applicant, help_text(applicant_tr, Role(applicant.role)))
        await sync_menu(context.bot, applicant)
    else:
        await notify(context, applicant, applicant_tr("registration.you_are_rejected"))


def register(app: Any) -> None:
    """The Setujui / Tolak buttons."""
    app.add_handler(CallbackQueryHandler(on_decision, pattern=callbacks.pattern("appr")))
