"""Tokens, NIK, NIP and phone numbers never reach the logs, even at DEBUG.

The real process (`python -m bot.cli run`, logging configured by bot.logs exactly as in
production, level DEBUG) runs the flows that handle them: a registration with NIP and a shared
phone contact, its approval, a citizen complaint with the citizen's phone and NIK typed with
separators, the complaint opened by the lurah, camat and admin, and /profil. Then every line
of its output is searched for each secret, also with spaces, dashes and dots between digits.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.clock import ShiftableClock
from bot.db import Database
from bot.logs import redact
from models.officials import Role
from simulator import BotApiSimulator
from tests.e2e.conftest import CONVERSATION_FLOOD
from tests.e2e.harness import Harness
from tests.reliability.process import BotProcess

# shaped like a real token (the redaction recognises real ones, not the tests' short one)
REAL_LOOKING_TOKEN = "7512345678:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
ADMIN, CAMAT, LURAH, NEWCOMER = 8301, 8302, 8303, 8304
NIP = "198001012005011001"
OWN_PHONE = "+6281234567890"
CITIZEN_PHONE_TYPED, CITIZEN_PHONE = "0812-3456 7891", "81234567891"
CITIZEN_NIK_TYPED, CITIZEN_NIK = "3277 0341 0590 0001", "3277034105900001"
SECRETS = {"token": REAL_LOOKING_TOKEN.split(":")[1], "NIP": NIP, "own phone": "81234567890",
           "citizen phone": CITIZEN_PHONE, "NIK": CITIZEN_NIK}
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s\-.()]+(?=\d)")


def leaks(log: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in log.splitlines():
        squeezed = _BETWEEN_DIGITS.sub("", line)
        for name, secret in SECRETS.items():
            if secret in line or secret in squeezed:
                found.setdefault(name, []).append(line[:300])
    return found


async def test_debug_logs_hold_no_token_nik_nip_or_phone(sqlite_url: str, tmp_path: Path
                                                        ) -> None:
    db = Database(sqlite_url)
    async with BotApiSimulator(token=REAL_LOOKING_TOKEN, flood=CONVERSATION_FLOOD) as sim:
        h = Harness(sim, db, ShiftableClock(), tmp_path / "data")
        bot = BotProcess(sim, sqlite_url, tmp_path, TELEGRAM__TOKEN=REAL_LOOKING_TOKEN,
                         LOGGING__LEVEL="DEBUG")
        try:
            await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
            await h.official(CAMAT, Role.CAMAT, "32.77.03", name="Camat Cimahi Utara")
            await h.official(LURAH, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
            await bot.start()
            # a registration with NIP and the phone from the contact card, then its approval
            await sim.add_user(NEWCOMER, "Siti")
            await h.say(NEWCOMER, "/start", expect="Apa jabatan")
            await h.press(NEWCOMER, "Lurah", expect="kabupaten/kota")
            await h.press(NEWCOMER, "Kota Cimahi", expect="Kota Cimahi")
            await h.press(NEWCOMER, "Cimahi Utara", expect="Cimahi Utara")
            await h.press(NEWCOMER, "Cipageran", expect="nama lengkap")
            await h.say(NEWCOMER, "Siti Rahayu", expect="NIP")
            await h.say(NEWCOMER, NIP, expect="bagikan nomor")
            await sim.send_contact(NEWCOMER, OWN_PHONE)
            await sim.wait_for_bot_message(NEWCOMER, contains="Periksa data")
            await h.press(NEWCOMER, "Kirim", expect="menunggu persetujuan")
            await sim.wait_for_bot_message(ADMIN, contains="Pendaftaran baru")
            await h.press(ADMIN, "Setujui", expect="disetujui")
            await h.say(NEWCOMER, "/profil", expect="Profil")
            # a complaint with the citizen's phone and NIK, seen by the chain
            await h.say(LURAH, "/aduan", expect="Pengaduan Masyarakat")
            await h.press(LURAH, "Catat pengaduan baru", expect="nama warga")
            await h.say(LURAH, "Ibu Warga", expect="Nomor telepon")
            await h.say(LURAH, CITIZEN_PHONE_TYPED, expect="NIK")
            await h.say(LURAH, CITIZEN_NIK_TYPED, expect="lewat mana")
            await h.press(LURAH, "Datang langsung", expect="Pilih kategori")
            await h.press(LURAH, "Administrasi kependudukan", expect="Uraikan")
            await h.say(LURAH, f"KTP hilang, hubungi {CITIZEN_PHONE_TYPED}", expect="lokasinya")
            await h.press(LURAH, "Lewati", expect="foto pendukung")
            await h.press(LURAH, "Lewati", expect="Periksa pengaduan")
            await h.press(LURAH, "Kirim", expect="tercatat")
            await h.press(LURAH, "Buka pengaduan", expect="ADU-")
            for viewer in (CAMAT, ADMIN):
                await h.say(viewer, "/aduan_saya", expect="Pengaduan")
                await h.press(viewer, "Ibu Warga", expect="ADU-")
            assert await bot.stop() == 0
        finally:
            if bot.running:
                bot.kill()
            await db.dispose()
    log = bot.log_text()
    assert " DEBUG " in log and "sendMessage" in log, "DEBUG logging did not run"
    found = leaks(log)
    assert not found, "secrets in the log:\n" + "\n".join(
        f"{name}: {lines[0]}" for name, lines in found.items())


@pytest.mark.parametrize(("typed", "mask"), [
    ("3277 0341 0590 0001", "<nik>"), ("3277-0341-0590-0001", "<nik>"),
    ("19800101 200501 1 001", "<nip>"), ("0812-3456 7891", "<phone>"),
    ("+62 812 3456 7890", "<phone>"), ("0812.3456.7890", "<phone>"),
    ("6281234567890", "<phone>")])
def test_numbers_typed_with_separators_are_masked(typed: str, mask: str) -> None:
    assert redact(f"teks: {typed}.") == f"teks: {mask}."


def test_ordinary_numbers_stay_readable() -> None:
    line = ("update_id=15 chat_id=-1001234567890 time=1795451073.108199 "
            "ticket=ADU-2024-000001 due=2024-11-04T02:00:00 official_id=123456")
    assert redact(line) == line
