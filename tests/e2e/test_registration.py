"""Registration, approval, invites, menus and bad input, through the real bot over HTTP."""

from __future__ import annotations

from sqlmodel import select

from bot.services import officials as official_service
from models.officials import Invite, OfficialStatus, Role
from tests.e2e.harness import Harness

ADMIN, NEWCOMER, STRANGER = 1001, 2001, 3001


async def register_as_lurah(h: Harness, user_id: int, *, nip: str | None = None) -> None:
    """Walk through /start up to the summary: Cimahi → Cimahi Utara → Cibabat."""
    await h.sim.add_user(user_id, "Siti")
    await h.say(user_id, "/start", expect="Apa jabatan Anda?")
    await h.press(user_id, "Lurah", expect="kabupaten/kota")
    await h.press(user_id, "Kota Cimahi", expect="Kota Cimahi")
    await h.press(user_id, "Cimahi Utara", expect="Cimahi Utara")
    await h.press(user_id, "Cibabat", expect="nama lengkap")
    await h.say(user_id, "Siti Rahayu", expect="NIP")
    if nip:
        await h.say(user_id, nip, expect="bagikan nomor")
    else:
        await h.press(user_id, "Lewati", expect="bagikan nomor")
    await h.sim.send_contact(user_id, "+6281234567890")
    await h.sim.wait_for_bot_message(user_id, contains="Periksa data")


async def test_register_approve_and_see_the_role_menu(harness: Harness) -> None:
    h = harness
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
    await register_as_lurah(h, NEWCOMER, nip="198001012005011001")
    summary = h.sim.last_bot_message(NEWCOMER)
    assert summary is not None and "Cibabat, Cimahi Utara, Kota Cimahi" in summary.text
    await h.press(NEWCOMER, "Kirim", expect="menunggu persetujuan")
    request = await h.sim.wait_for_bot_message(ADMIN, contains="Pendaftaran baru")
    assert "Siti Rahayu" in request.text and "81234567890" not in request.text
    await h.press(ADMIN, "Setujui", expect="disetujui")
    approved = await h.sim.wait_for_bot_message(NEWCOMER, contains="Menu Lurah")
    assert "/lapor" in approved.text or "/profil" in approved.text
    assert "/siaran" not in approved.text
    await h.settle()
    menus = h.sim.commands
    assert any(scope_key for scope_key in menus if str(NEWCOMER) in str(scope_key)), menus.keys()
    reply = await h.say(NEWCOMER, "/profil", expect="Profil")
    assert "Siti Rahayu" in reply.text


async def test_registration_survives_a_restart(harness: Harness) -> None:
    h = harness
    await h.sim.add_user(NEWCOMER, "Budi")
    await h.say(NEWCOMER, "/start", expect="Apa jabatan")
    await h.press(NEWCOMER, "Camat", expect="kabupaten/kota")
    await h.press(NEWCOMER, "Kota Kupang", expect="Kota Kupang")
    await h.press(NEWCOMER, "Alak", expect="nama lengkap")
    await h.restart_bot()
    await h.say(NEWCOMER, "Budi Santoso", expect="NIP")
    await h.press(NEWCOMER, "Lewati", expect="bagikan nomor")
    await h.sim.send_contact(NEWCOMER, "081298765432")
    summary = await h.sim.wait_for_bot_message(NEWCOMER, contains="Periksa data")
    assert "Alak, Kota Kupang" in summary.text and "Budi Santoso" in summary.text


async def test_bad_inputs_get_clear_replies_and_keep_the_draft(harness: Harness) -> None:
    h = harness
    await h.sim.add_user(NEWCOMER, "Siti")
    await h.say(NEWCOMER, "/start", expect="Apa jabatan")
    await h.say(NEWCOMER, "saya lurah", expect="Mohon jawab")
    await h.press(NEWCOMER, "Lurah", expect="kabupaten/kota")
    await h.press(NEWCOMER, "Kota Cimahi")
    await h.say(NEWCOMER, "utara", expect="Pilih wilayah")
    await h.press(NEWCOMER, "Cimahi Utara", expect="Cimahi Utara")
    filtered = await h.say(NEWCOMER, "bab")
    assert [text for text, _ in filtered.buttons if "Cibabat" in text]
    await h.press(NEWCOMER, "Cibabat", expect="nama lengkap")
    await h.say(NEWCOMER, "<b>Siti</b> & " + "x" * 4000, expect="Nama belum sesuai")
    await h.say(NEWCOMER, "Siti <Rahayu> & Co", expect="Nama belum sesuai")
    await h.say(NEWCOMER, "Siti Rahayu", expect="NIP")
    await h.say(NEWCOMER, "12345", expect="18 angka")
    await h.sim.send_sticker(NEWCOMER)
    await h.sim.wait_for_bot_message(NEWCOMER, contains="Mohon jawab")
    await h.say(NEWCOMER, "198001012005011001", expect="bagikan nomor")
    await h.sim.send_contact(NEWCOMER, "+628111111111", contact_user_id=STRANGER)
    await h.sim.wait_for_bot_message(NEWCOMER, contains="kontak orang lain")
    await h.say(NEWCOMER, "08123456789", expect="tombol")
    other = await h.say(NEWCOMER, "/lapor", expect="formulir lain")
    assert other is not None
    await h.sim.send_contact(NEWCOMER, "+6281234567890")
    summary = await h.sim.wait_for_bot_message(NEWCOMER, contains="Periksa data")
    assert "Siti Rahayu" in summary.text and "Cibabat" in summary.text


async def test_strangers_forgers_and_deactivated_users_are_refused(harness: Harness) -> None:
    h = harness
    admin = await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
    lurah = await h.official(4001, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
    await h.sim.add_user(STRANGER, "Anon")
    await h.say(STRANGER, "/pejabat", expect="belum terdaftar")
    await h.say(STRANGER, "halo", expect="belum terdaftar")
    await register_as_lurah(h, NEWCOMER)
    await h.press(NEWCOMER, "Kirim", expect="menunggu persetujuan")
    await h.sim.wait_for_bot_message(ADMIN, contains="Pendaftaran baru")
    _, approve_data = h.find_button(ADMIN, "Setujui")
    # a lurah replays the admin's approval button: refused, nothing changes
    await h.say(lurah.telegram_id, "/bantuan", expect="Menu Lurah")
    popup = await h.forge(lurah.telegram_id, approve_data)
    assert "tidak tersedia" in popup or "tidak berwenang" in popup
    popup = await h.forge(lurah.telegram_id, "w1:appr:99999:y:" + "x" * 70)
    assert "tidak tersedia" in popup
    popup = await h.forge(lurah.telegram_id, "w1:<script>")
    assert "tidak berlaku" in popup
    popup = await h.forge(ADMIN, "w1:appr:not-a-number:y")
    assert "tidak berlaku" in popup
    async with h.db.session() as session:
        pending = await official_service.by_telegram_id(session, NEWCOMER)
        assert pending is not None and pending.status == OfficialStatus.PENDING
    await h.say(NEWCOMER, "/profil", expect="menunggu persetujuan")
    async with h.db.session() as session:
        await official_service.set_status(session, h.clock, actor=admin,
                                          official_id=lurah.id or 0, active=False)
    await h.say(lurah.telegram_id, "/profil", expect="dinonaktifkan")
    await h.say(lurah.telegram_id, "/start", expect="dinonaktifkan")


async def test_invite_link_registers_and_activates(harness: Harness) -> None:
    h = harness
    await h.official(ADMIN, Role.ADMIN, "53.71", name="Admin Kupang")
    await h.say(ADMIN, "/undang", expect="Undangan untuk")
    await h.press(ADMIN, "Camat", expect="Pilih wilayah")
    link_message = await h.press(ADMIN, "Kelapa Lima", expect="Tautan undangan")
    async with h.db.session() as session:
        invite = (await session.exec(select(Invite))).one()
    assert f"start={invite.code}" in link_message.text
    await h.sim.add_user(NEWCOMER, "Yohanes", language_code="en")
    await h.say(NEWCOMER, f"/start {invite.code}", expect="invited as")
    await h.say(NEWCOMER, "Yohanes Ndun", expect="NIP")
    await h.press(NEWCOMER, "Skip", expect="share your phone")
    await h.sim.send_contact(NEWCOMER, "+6281333333333")
    await h.sim.wait_for_bot_message(NEWCOMER, contains="Check your registration")
    await h.press(NEWCOMER, "Send", expect="Welcome aboard")
    async with h.db.session() as session:
        official = await official_service.by_telegram_id(session, NEWCOMER)
    assert official is not None and official.status == OfficialStatus.ACTIVE
    assert official.role == Role.CAMAT and official.region_code == "53.71.03"
    await h.sim.add_user(STRANGER, "Late")
    await h.say(STRANGER, f"/start {invite.code}", expect="sudah dipakai")


async def test_admin_deactivates_and_moves_an_official(harness: Harness) -> None:
    h = harness
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
    lurah = await h.official(4001, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
    await h.say(ADMIN, "/pejabat", expect="Pejabat di wilayah Anda")
    await h.press(ADMIN, "Lurah Cibabat", expect="Status")
    await h.press(ADMIN, "Nonaktifkan", expect="nonaktif")
    await h.sim.wait_for_bot_message(lurah.telegram_id, contains="dinonaktifkan")
    await h.press(ADMIN, "Aktifkan kembali", expect="aktif")
    await h.press(ADMIN, "Ubah wilayah", expect="Pindahkan")
    await h.press(ADMIN, "Cimahi Selatan")
    await h.press(ADMIN, "Cibeber", expect="Cibeber")
    assert (await h.reload(lurah)).region_code == "32.77.01.1005"


async def test_help_tells_applicants_where_their_registration_stands(harness: Harness) -> None:
    h = harness
    await h.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
    await register_as_lurah(h, NEWCOMER)
    await h.press(NEWCOMER, "Kirim", expect="menunggu persetujuan")
    waiting = await h.say(NEWCOMER, "/bantuan", expect="menunggu persetujuan admin")
    assert "/start" not in waiting.text and "mendaftar" not in waiting.text
    await h.sim.wait_for_bot_message(ADMIN, contains="Pendaftaran baru")
    await h.press(ADMIN, "Tolak", expect="ditolak")
    await h.sim.wait_for_bot_message(NEWCOMER, contains="ditolak")
    declined = await h.say(NEWCOMER, "/help", expect="tidak disetujui")
    assert "Tapem" in declined.text and "/start" not in declined.text
    await h.settle()  # one answer only: the usual help does not follow
    last = h.sim.last_bot_message(NEWCOMER)
    assert last is not None and last.message_id == declined.message_id
    english = await h.official(STRANGER, Role.CAMAT, "53.71.01", name="Yohanes Ndun",
                               language="en", status=OfficialStatus.PENDING)
    reply = await h.say(english.telegram_id, "/bantuan", expect="awaiting approval")
    assert "Send /start" not in reply.text
    await h.say(ADMIN, "/bantuan", expect="Menu Staf Admin")
