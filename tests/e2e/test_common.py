"""Help, profile, language, cancel and catch-alls through the real bot."""

from __future__ import annotations

from models.officials import Role
from tests.e2e.harness import Harness

LURAH, STRANGER = 4001, 3001


async def test_language_switch_help_and_fallbacks(harness: Harness) -> None:
    h = harness
    await h.official(LURAH, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
    await h.say(LURAH, "/bahasa", expect="Pilih bahasa")
    await h.press(LURAH, "English", expect="I will use English")
    help_text = await h.say(LURAH, "/help", expect="village head menu")
    assert "/lapor" in help_text.text and "/siaran" not in help_text.text
    await h.say(LURAH, "/nonsense", expect="Unknown command")
    await h.say(LURAH, "/cancel", expect="nothing to cancel")
    await h.say(LURAH, "<b>hello</b> & *bye*", expect="did not understand")
    await h.say(LURAH, "/bahasa", expect="Choose a language")
    await h.press(LURAH, "Bahasa Indonesia", expect="Bahasa Indonesia")
    await h.say(LURAH, "/profil", expect="Profil Anda")


async def test_stranger_language_choice_is_kept_for_registration(harness: Harness) -> None:
    h = harness
    await h.sim.add_user(STRANGER, "Maria", language_code="id")
    await h.say(STRANGER, "/help", expect="Kirim /start")
    await h.say(STRANGER, "/language", expect="Pilih bahasa")
    await h.press(STRANGER, "English", expect="I will use English")
    await h.say(STRANGER, "/start", expect="What is your position")
