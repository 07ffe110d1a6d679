"""Telegram misbehaving: 5xx, 429 with retry_after, timeouts, a slow network, blocked users.

Through the simulator's fault injection. Every update is handled exactly once (the driver
counts them), no reply arrives twice, failures are logged with the update and user, and when
errors persist the admin alert chats hear about it once per window (ErrorAlarm).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest

from bot.services import officials as official_service
from handlers import fallbacks
from models.officials import OfficialStatus, Role
from tests.botdriver import Driver, LogCapture, wait_until

LURAHS = [5101, 5102, 5103, 5104, 5105]
ADMIN, APPLICANT = 5201, 5301
PROFILE, ALERT, SORRY = "Profil Anda", "galat berulang", "terjadi gangguan"
FAULTS: Counter[str] = Counter()


async def cast(d: Driver) -> None:
    await d.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
    for number, user in enumerate(LURAHS, start=1):
        await d.official(user, Role.LURAH, f"32.77.03.100{number % 4 + 1}", name=f"Lurah {user}")


def replies(d: Driver, user: int, text: str) -> int:
    return sum(1 for m in d.sim.bot_messages(user) if text in (m.text or ""))


async def everyone_asks_for_the_profile(d: Driver) -> None:
    await asyncio.gather(*(d.text(user, "/profil", timeout=20) for user in LURAHS))


def assert_each_update_handled_once(d: Driver) -> None:
    twice = {key: n for key, n in d.handled_keys.items() if n != 1}
    assert not twice, f"updates handled more than once: {twice}"


async def test_polling_survives_5xx_429_timeouts_and_a_slow_network(
        faulty: tuple[Driver, LogCapture]) -> None:
    d, capture = faulty
    d.use_telegram(read_timeout=1.0, poll_timeout=1)
    await d.start_bot()
    await cast(d)
    rounds = 0

    async def round_of_questions() -> None:
        nonlocal rounds
        rounds += 1
        await everyone_asks_for_the_profile(d)
        assert all(replies(d, user, PROFILE) == rounds for user in LURAHS), \
            {user: replies(d, user, PROFILE) for user in LURAHS}

    d.sim.fail_next("getUpdates", status=502, count=2)  # Telegram's frontends hiccup
    FAULTS["getUpdates 502"] += 2
    await asyncio.sleep(1.2)  # the poll in flight returns; the next ones fail
    await round_of_questions()
    d.sim.rate_limit_next("getUpdates", retry_after=1)
    FAULTS["getUpdates 429"] += 1
    await asyncio.sleep(1.2)
    await round_of_questions()
    d.sim.delay_next("getUpdates", 3.5)  # longer than the client waits: a timeout
    FAULTS["getUpdates timeout"] += 1
    await asyncio.sleep(1.2)
    await round_of_questions()
    d.sim.delay_next("*", 0.3, count=20)  # a slow network, every call
    FAULTS["slow calls"] += 20
    await round_of_questions()
    d.sim.rate_limit_next("sendMessage", retry_after=1, count=3)  # flood control on replies
    FAULTS["sendMessage 429"] += 3
    await round_of_questions()

    statuses = Counter(c.status for c in d.sim.calls_to("getUpdates"))
    assert statuses[502] == 2 and statuses[429] == 1 and statuses[499] >= 1, statuses
    assert_each_update_handled_once(d)
    assert all(replies(d, user, SORRY) == 0 for user in LURAHS)
    # the polling failures were logged by PTB's updater, nothing reached the error handler
    assert not [r for r in capture.errors() if r.name.startswith(("handlers", "bot"))]
    assert not d.sim.rejected_calls


async def test_failed_replies_are_logged_with_context_and_persistent_errors_alert_admins(
        faulty: tuple[Driver, LogCapture], monkeypatch: pytest.MonkeyPatch) -> None:
    d, capture = faulty
    d.use_telegram(read_timeout=1.0, poll_timeout=1)
    d.settings = d.settings.model_copy(update={"bot": d.settings.bot.model_copy(
        update={"admin_alert_chat_ids": [ADMIN]})})
    monkeypatch.setattr(fallbacks, "_alarm", fallbacks.ErrorAlarm(threshold=5, window_seconds=300))
    await d.start_bot()
    await cast(d)
    lurah = LURAHS[0]

    # one 5xx on the reply: logged with the update and the user, the user gets an apology
    d.sim.fail_next("sendMessage", status=500)
    FAULTS["sendMessage 500"] += 1
    await d.text(lurah, "/profil")
    assert replies(d, lurah, SORRY) == 1 and replies(d, lurah, PROFILE) == 0
    failure = [r for r in capture.errors() if r.name == "handlers.fallbacks"][-1]
    assert getattr(failure, "user_id", None) == lurah and getattr(failure, "update_id", None)
    assert failure.exc_info is not None
    # a timeout on the reply: the same, and the reply is not sent a second time later
    d.sim.delay_next("sendMessage", 2.5)
    FAULTS["sendMessage timeout"] += 1
    await d.text(lurah, "/profil")
    await asyncio.sleep(1.0)
    assert replies(d, lurah, SORRY) == 2 and replies(d, lurah, PROFILE) == 0
    await d.text(lurah, "/profil")
    assert replies(d, lurah, PROFILE) == 1
    assert not [m for m in d.sim.bot_messages(ADMIN) if ALERT in (m.text or "")]

    # Telegram keeps failing: reply and apology both fail for five updates in a row
    monkeypatch.setattr(fallbacks, "_alarm", fallbacks.ErrorAlarm(threshold=5, window_seconds=300))
    d.sim.fail_next("sendMessage", status=502, count=10)
    FAULTS["sendMessage 502"] += 10
    for user in LURAHS:
        await d.text(user, "/profil")
    assert await wait_until(lambda: replies(d, ADMIN, ALERT) == 1)
    d.sim.fail_next("sendMessage", status=500, count=6)  # more errors in the same window
    FAULTS["sendMessage 500"] += 6
    for user in LURAHS[:3]:
        await d.text(user, "/profil")
    await asyncio.sleep(0.3)
    assert replies(d, ADMIN, ALERT) == 1, "admins are alerted once per window, not per error"
    errors = [r for r in capture.errors() if r.name == "handlers.fallbacks"]
    assert len(errors) == 2 + 5 + 3
    assert all(getattr(r, "update_id", None) and getattr(r, "user_id", None) for r in errors)
    assert_each_update_handled_once(d)
    assert not d.sim.rejected_calls


async def test_a_blocked_official_does_not_break_the_admins_flow(
        faulty: tuple[Driver, LogCapture]) -> None:
    d, capture = faulty
    await d.start_bot()
    await cast(d)
    await d.sim.add_user(APPLICANT, "Calon", started=True)
    async with d.db.session() as session:
        applicant = await official_service.register(session, d.clock, official_service
                                                    .Registration(
            telegram_id=APPLICANT, role=Role.LURAH, region_code="32.77.03.1003",
            full_name="Calon Lurah", nip=None, phone="+6281200005301", language="id"))
    d.sim.block_user(APPLICANT)  # they blocked the bot after registering
    FAULTS["blocked user"] += 1
    await d.text(ADMIN, "/bantuan")
    outcome = await d.press(ADMIN, f"w1:appr:{applicant.id}:y")
    assert outcome.answer is not None and outcome.answer.answered
    assert any("disetujui" in t for t in outcome.texts)
    async with d.db.session() as session:
        approved = await official_service.by_telegram_id(session, APPLICANT)
    assert approved is not None and approved.status == OfficialStatus.ACTIVE
    warnings = [r for r in capture.records if r.levelno == logging.WARNING
                and r.name == "handlers.common"]
    assert warnings and all(getattr(r, "official_id", None) == approved.id for r in warnings)
    assert not capture.errors()
    assert_each_update_handled_once(d)
    # exactly the 403s of the blocked chat were refused, nothing else
    assert {c.method for c in d.sim.rejected_calls} <= {"sendMessage", "setMyCommands"}
    assert all(c.status == 403 for c in d.sim.rejected_calls)


def test_report_faults_injected() -> None:
    """Print the figures for docs/RELIABILITY.md."""
    print(f"telegram faults injected and survived: {dict(FAULTS)}")
