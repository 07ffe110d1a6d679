"""Hostile input at every step of every conversation: nothing crashes, nothing is lost.

Each test walks one conversation once with valid answers and remembers, at every step, where
the user is (conversation state and draft). Hypothesis then puts the user back at a step and
sends arbitrary text (RTL, zero-width, emoji, combining marks, HTML/Markdown, up to 4096
characters), other features' commands, stickers, photos, documents, locations, contacts and
stale or forged button presses. After every input:
  * no error reached the error handler (no ERROR log) and Telegram would have accepted every
    API call the bot made (the simulator rejects what Telegram rejects);
  * the user got an answer (a message, an edit or a popup);
  * the draft is intact: an input the step cannot use changes neither the step nor the draft;
    an input the step can use may only add its own answer; the database holds the same draft.
Examples per test: WILAYAH_FUZZ_EXAMPLES (default 80; each example tries one to three inputs).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handlers
from bot.clock import ShiftableClock
from bot.db import Database
from models.officials import Role
from simulator import BotApiSimulator, tiny_png
from tests.botdriver import Driver, LogCapture, Outcome
from tests.e2e.harness import TOKEN
from tests.security.access import callback_kinds
from tests.security.hostile import Hostile, forged_presses, hostile_inputs, send

EXAMPLES = int(os.environ.get("WILAYAH_FUZZ_EXAMPLES", "80"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.filter_too_much])
WIB = ZoneInfo("Asia/Jakarta")
# bookkeeping, not answers: where a picker is (its view, page or search text — an old button
# may turn the page back), when a near-limit text was refused (incidents use it to
# recognise the rest of a split paste), and which answers the question message on screen
# shows above the question (incidents: a typed answer moves on to a new message)
BOOKKEEPING = {"split_text_at", "view", "page", "search", "answers"}
TRIED: dict[str, int] = {}


@dataclass(frozen=True)
class Move:
    """A valid answer: `how` is text, press (by label), location, contact or photo."""

    how: str
    value: Any
    expect: str | None = None


@dataclass
class Stop:
    """A step where hostile input is tried, and the valid moves that go on from it."""

    name: str
    moves: list[Move] = field(default_factory=list)
    accepts: frozenset[str] = frozenset()  # input kinds that may be a valid answer here
    fields: tuple[str, ...] = ()  # existing draft paths such an answer may overwrite
    live: tuple[str, ...] = ()  # callback data (prefixes) of earlier messages still valid here


@dataclass
class Snapshot:
    stop: Stop
    conversation: tuple[str, object]
    user_data: dict[str, Any]
    stale: list[tuple[int, str]]
    message_id: int


def stop(name: str, *moves: Move, accepts: str = "", fields: tuple[str, ...] = (),
         live: tuple[str, ...] = ()) -> Stop:
    return Stop(name, list(moves), frozenset(accepts.split()), fields, live)


# --- walking a conversation once ----------------------------------------------------------

def offered(outcome: Outcome) -> list[tuple[int, str]]:
    return [(m.message_id, data) for m in outcome.messages for _, data in m.buttons if data]


async def perform(d: Driver, user_id: int, move: Move) -> Outcome:
    if move.how == "text":
        outcome = await d.text(user_id, move.value)
    elif move.how == "press":
        data, message_id = find_button(d, user_id, move.value)
        outcome = await d.press(user_id, data, message_id=message_id)
    elif move.how == "location":
        outcome = await d.act(user_id, "send_location", *move.value)
    elif move.how == "contact":
        outcome = await d.act(user_id, "send_contact", move.value)
    elif move.how == "photo":
        outcome = await d.act(user_id, "send_photo", tiny_png())
    else:
        raise AssertionError(move.how)
    if move.expect and not any(move.expect in t for t in outcome.texts):
        raise AssertionError(f"{move}: expected {move.expect!r}, got {outcome.texts}")
    return outcome


def find_button(d: Driver, user_id: int, label: str) -> tuple[str, int]:
    for message in reversed(d.sim.bot_messages(user_id)):
        for text, data in message.buttons:
            if label in text and data is not None:
                return data, message.message_id
    raise AssertionError(f"no button {label!r} for {user_id}")


async def walk(d: Driver, user_id: int, opening: list[Move], stops: list[Stop]
               ) -> list[Snapshot]:
    """Answer every step validly once; remember each step as the user stood at it."""
    outcome = Outcome()
    for move in opening:
        outcome = await perform(d, user_id, move)
    seen: list[tuple[int, str]] = []
    snapshots = []
    for step in stops:
        conversation = d.conversation_of(user_id)
        assert conversation is not None, f"not in a conversation at {step.name}"
        current = offered(outcome)
        shown = {data for _, data in current}
        last = d.sim.last_bot_message(user_id)
        snapshots.append(Snapshot(step, conversation, d.user_data(user_id),
                                  [(m, data) for m, data in seen if data not in shown
                                   and not data.startswith(step.live or ("\0",))],
                                  last.message_id if last else 1))
        seen += current
        for move in step.moves:
            outcome = await perform(d, user_id, move)
    return snapshots


# --- judging one input ----------------------------------------------------------------------

def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            if str(key) in BOOKKEEPING:
                continue
            flat.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat or {prefix: {}}
    return {prefix: json.loads(json.dumps(value, default=str))}


async def judge(d: Driver, capture: LogCapture, user_id: int, snapshot: Snapshot,
                item: Hostile) -> bool:
    """Send one input from where the user stands; True when it moved the conversation on."""
    before_conversation = d.conversation_of(user_id)
    before = flatten(d.user_data(user_id))
    errors_at, rejected_at = len(capture.records), len(d.sim.rejected_calls)
    outcome = await send(d, user_id, item)
    TRIED[snapshot.stop.name] = TRIED.get(snapshot.stop.name, 0) + 1
    where = f"step {snapshot.stop.name!r}, input {item!r}"
    errors = capture.errors(errors_at)
    assert not errors, f"{where}: {[capture.format(r)[:2000] for r in errors]}"
    rejected = [(c.method, c.description) for c in d.sim.rejected_calls[rejected_at:]]
    assert not rejected, f"{where}: calls Telegram would reject: {rejected}"
    assert outcome.answered, f"{where}: no answer at all"
    after_conversation = d.conversation_of(user_id)
    assert after_conversation is not None, f"{where}: the conversation ended, draft dropped"
    after_data = d.user_data(user_id)
    stored = await d.stored_user_data(user_id)
    assert stored == json.loads(json.dumps(after_data, default=str)), \
        f"{where}: the database holds another draft than the bot"
    after = flatten(after_data)
    if item.kind in snapshot.stop.accepts and after_conversation != before_conversation:
        lost = {path: (value, after.get(path)) for path, value in before.items()
                if after.get(path) != value and value not in (None, "", [], {})
                and not any(path.startswith(f) for f in snapshot.stop.fields)}
        assert not lost, f"{where}: accepted, but earlier answers changed: {lost}"
        return True
    if item.kind in snapshot.stop.accepts:
        changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
        stray = {p for p in changed if not any(p.startswith(f) for f in snapshot.stop.fields)
                 and before.get(p) not in (None, "", [], {})}
        assert not stray, f"{where}: earlier answers changed: {stray}"
        return False
    assert after_conversation == before_conversation, \
        f"{where}: moved from {before_conversation} to {after_conversation}"
    assert after == before, f"{where}: the draft changed: " + str(
        {p: (before.get(p), after.get(p)) for p in set(before) | set(after)
         if before.get(p) != after.get(p)})
    return False


async def fuzz_one(d: Driver, capture: LogCapture, user_id: int, snapshots: list[Snapshot],
                   data: st.DataObject) -> None:
    """Put the user back at a drawn step and try one to three hostile inputs there."""
    snapshot = data.draw(st.sampled_from(snapshots), label="step")
    d.restore(user_id, snapshot.conversation, snapshot.user_data)
    own = {name for handler in d.conversations() if handler.name == snapshot.conversation[0]
           for entry in handler.entry_points for name in getattr(entry, "commands", ())}
    foreign = sorted(f"/{name}" for spec in handlers.all_commands() for name in spec.names
                     if name not in own | {"batal", "cancel"})
    kinds = sorted(callback_kinds(d.app))
    presses = st.one_of(
        *([st.sampled_from(snapshot.stale)] if snapshot.stale else []),
        forged_presses(kinds).map(lambda forged: (snapshot.message_id, forged)))
    inputs = hostile_inputs(commands=foreign, presses=presses)
    for item in data.draw(st.lists(inputs, min_size=1, max_size=3), label="inputs"):
        if await judge(d, capture, user_id, snapshot, item):
            break  # a valid answer moved on; the rest would be judged at another step


# --- the bot and the people -------------------------------------------------------------------

STRANGER, LURAH, ADMIN, CAMAT = 7001, 7002, 7004, 7011


@pytest.fixture
async def fuzz_bot(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[Driver, LogCapture]]:
    """One bot for all examples of a test; SQLite only (the drafts live in the same table)."""
    database = Database(sqlite_url)
    async with BotApiSimulator(token=TOKEN, flood=None) as sim:
        d = Driver(sim, database, ShiftableClock(), tmp_path / "data")
        with LogCapture() as capture:
            await d.start_bot()
            await d.sim.add_user(STRANGER, "Tamu")
            await d.official(LURAH, Role.LURAH, "32.77.03.1002", name="Lurah Cibabat")
            await d.official(CAMAT, Role.CAMAT, "32.77.03", name="Camat Cimahi Utara")
            await d.official(ADMIN, Role.ADMIN, "32.77", name="Admin Tapem")
            try:
                yield d, capture
            finally:
                await d.stop_bot()
                await database.dispose()


async def walked(d: Driver, user_id: int, opening: list[Move], stops: list[Stop]
                 ) -> list[Snapshot]:
    """The snapshots of this test's conversation, walked at the first example."""
    snapshots: list[Snapshot] | None = getattr(d, "fuzz_snapshots", None)
    if snapshots is None:
        snapshots = await walk(d, user_id, opening, stops)
        d.fuzz_snapshots = snapshots  # type: ignore[attr-defined]
    return snapshots


def day(d: Driver, ahead: int) -> str:
    return (d.clock.now().astimezone(WIB) + timedelta(days=ahead)).strftime("%d/%m/%Y")


def press(label: str, expect: str | None = None) -> Move:
    return Move("press", label, expect)


def say(text: str, expect: str | None = None) -> Move:
    return Move("text", text, expect)


# --- one test per conversation ----------------------------------------------------------------

@FUZZ
@given(data=st.data())
async def test_registration(fuzz_bot: tuple[Driver, LogCapture], data: st.DataObject) -> None:
    d, capture = fuzz_bot
    draft = "draft_registration."
    snapshots = await walked(d, STRANGER, [say("/start", "Apa jabatan")], [
        stop("role", press("Lurah", "kabupaten/kota")),
        stop("kabupaten/kota", press("Kota Cimahi", "Kota Cimahi")),
        stop("kecamatan", press("Cimahi Utara", "Cimahi Utara")),
        stop("kelurahan", press("Cibabat", "nama lengkap")),
        stop("name", say("Siti Rahayu", "NIP"), accepts="text"),
        stop("nip", press("Lewati", "bagikan nomor"), accepts="text"),
        stop("phone", Move("contact", "+6281234567890", "Periksa data"), accepts="contact",
             fields=(draft + "phone",)),
        stop("summary"),
    ])
    await fuzz_one(d, capture, STRANGER, snapshots, data)


@FUZZ
@given(data=st.data())
async def test_incident_report(fuzz_bot: tuple[Driver, LogCapture], data: st.DataObject
                               ) -> None:
    d, capture = fuzz_bot
    report = "draft_incident.report."
    yesterday = (d.clock.now().astimezone(WIB) - timedelta(days=1)).strftime("%d/%m/%Y")
    snapshots = await walked(d, LURAH, [say("/lapor", "jenis kejadian")], [
        stop("category", press("Bencana alam", "mendesak")),
        stop("urgency", press("Darurat", "Ceritakan")),
        stop("description", say("Banjir setinggi 1 meter di RW 05", "Kapan"), accepts="text"),
        stop("time", press("Waktu lain", "Tulis tanggal")),
        stop("time text", say(f"{yesterday} 08.00", "Di mana"), accepts="text"),
        stop("location", Move("location", (-6.8725, 107.542), "Kirim foto"),
             accepts="location text"),
        stop("media", Move("photo", None, "(1/10)"), accepts="photo document",
             fields=(report + "media",)),
        stop("more media", press("Selesai", "Periksa laporan"), accepts="photo document",
             fields=(report + "media",)),
        stop("summary"),
    ])
    await fuzz_one(d, capture, LURAH, snapshots, data)


@FUZZ
@given(data=st.data())
async def test_complaint(fuzz_bot: tuple[Driver, LogCapture], data: st.DataObject) -> None:
    d, capture = fuzz_bot
    step = ("draft_complaint.step", "draft_complaint.photos")
    snapshots = await walked(d, LURAH, [say("/aduan", "Pengaduan Masyarakat"),
                                        press("Catat pengaduan baru", "nama warga")], [
        stop("name", say("Budi Santoso", "Nomor telepon"), accepts="text", fields=step),
        stop("phone", press("Lewati", "NIK"), accepts="text", fields=step),
        stop("nik", press("Lewati", "lewat mana"), accepts="text", fields=step),
        stop("channel", press("Datang langsung", "Pilih kategori")),
        stop("category", press("Infrastruktur", "Uraikan")),
        stop("description", say("Jalan berlubang di RT 03", "lokasinya"), accepts="text",
             fields=step),
        stop("location", press("Lewati", "foto pendukung"), accepts="text location",
             fields=step),
        stop("photos", press("Lewati", "Periksa pengaduan"), accepts="photo", fields=step),
        stop("summary"),
    ])
    await fuzz_one(d, capture, LURAH, snapshots, data)


@FUZZ
@given(data=st.data())
async def test_new_meeting(fuzz_bot: tuple[Driver, LogCapture], data: st.DataObject) -> None:
    d, capture = fuzz_bot
    invitees = ("draft_meeting.invitees",)
    snapshots = await walked(d, ADMIN, [say("/rapat_baru", "judul rapat")], [
        stop("title", say("Rakor Pilkada & Logistik", "agendanya"), accepts="text"),
        stop("agenda", press("Lewati", "Kapan rapat dimulai"), accepts="text"),
        stop("start", say(f"{day(d, 3)} 09.00", "Jam berapa selesai"), accepts="text"),
        stop("end", say("12.00", "Di mana tempatnya"), accepts="text"),
        stop("venue", say("Aula Pemkot Cimahi", "titik lokasinya"), accepts="text"),
        stop("pin", Move("location", (-6.872, 107.542), "Siapa yang diundang"),
             accepts="location"),
        stop("invitees", press("Semua camat", "peserta"), press("Lanjut", "Sampai kapan"),
             accepts="text", fields=invitees),
        stop("deadline", press("Pakai:", "Periksa undangan"), accepts="text"),
        stop("preview"),
    ])
    await fuzz_one(d, capture, ADMIN, snapshots, data)


@FUZZ
@given(data=st.data())
async def test_new_drive(fuzz_bot: tuple[Driver, LogCapture], data: st.DataObject) -> None:
    d, capture = fuzz_bot
    snapshots = await walked(d, ADMIN, [say("/perekaman_baru", "kelurahan/desa sasaran")], [
        stop("kecamatan", press("Cimahi Utara", "Kecamatan Cimahi Utara")),
        stop("villages", press("Cibabat", "Kecamatan Cimahi Utara"),
             press("Kembali", "Terpilih: 1"),
             press("Lanjut", "Kapan perekaman dimulai")),
        stop("start", say(f"{day(d, 3)} 08.00", "Jam berapa selesai"), accepts="text"),
        stop("end", say("14.00", "tempat perekamannya"), accepts="text"),
        stop("place", say("Aula Kelurahan <RW 05>", "Siapa sasarannya"), accepts="text"),
        stop("group", say("Warga yang genap 17 tahun", "target perekaman"), accepts="text"),
        stop("counts", say("120", "Periksa jadwal"), accepts="text"),
        stop("preview"),
    ])
    await fuzz_one(d, capture, ADMIN, snapshots, data)


@FUZZ
@given(data=st.data())
async def test_broadcast(fuzz_bot: tuple[Driver, LogCapture], data: st.DataObject) -> None:
    d, capture = fuzz_bot
    snapshots = await walked(d, ADMIN, [say("/siaran", "Siapa penerimanya")], [
        stop("audience", press("Semua Lurah", "Tulis isi siaran")),
        stop("message", say("Apel pagi pukul 07.00 <b>wajib</b>", "Siap dikirim?"),
             accepts="text photo document"),
        stop("confirm", press("Atur waktu kirim")),
        # the summary's buttons stay usable while the time is asked ("Kirim" sends now)
        stop("send time", accepts="text", live=("w1:bc.cf:",)),
    ])
    await fuzz_one(d, capture, ADMIN, snapshots, data)


def test_report_inputs_tried() -> None:
    """Print the figures for docs/RELIABILITY.md (runs after the fuzz tests in this file)."""
    print(f"hostile inputs tried: {sum(TRIED.values())} at {len(TRIED)} steps")
