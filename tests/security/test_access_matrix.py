"""Every command and every callback kind, for every kind of user, against bot.policy.POLICY.

One bot serves the whole walk. Commands must be served or refused exactly as the policy says
(a refusal is the catalog's text for that user); forged presses of every callback kind must be
answered, refused briefly and logged when the presser may not act, and must store nothing.
Then the pointed forgeries: another region's ticket, a cancelled rakor, malformed and
oversized data, and an approval button replayed after the admin lost the role.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

import handlers
from bot.callbacks import pack
from bot.clock import Clock
from bot.policy import POLICY
from bot.services import complaints as complaint_service
from bot.services import meetings as meeting_service
from bot.services import officials as official_service
from bot.settings import ComplaintSettings, ReminderSettings
from models.complaints import Complaint, ComplaintCategory, ComplaintChannel
from models.meetings import MeetingInvite, RsvpStatus
from models.officials import Official, OfficialStatus, Role
from tests.botdriver import Driver, LogCapture, Outcome
from tests.security.access import (
    ACCESS_TEXTS,
    BY_LABEL,
    PEOPLE,
    STALE_TEXT,
    TR,
    CallbackKind,
    Person,
    callback_kinds,
    expected_command_refusal,
    plain,
    status_key,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
BOGUS_ID = "999999"


async def enrol(d: Driver) -> None:
    for person in PEOPLE:
        if person.role is None:
            await d.sim.add_user(person.telegram_id, "Tamu", started=True)
            continue
        await d.official(person.telegram_id, person.role, person.region,
                         name=f"Pejabat {person.label}", status=person.status)


async def leave_any_conversation(d: Driver, person: Person) -> None:
    """Close a form the last input opened, so the next command is not "finish it first"."""
    if d.conversation_of(person.telegram_id) is not None:
        d.restore(person.telegram_id, None, {})


def refused_by_catalog(outcome: Outcome, key: str) -> bool:
    return bool(outcome.messages) and outcome.messages[0].text == plain(
        TR(f"common.access.{key}"))


def logged_refusal(capture: LogCapture, since: int, person: Person) -> bool:
    return any(getattr(r, "user_id", None) == person.telegram_id
               and r.getMessage().startswith("refused") for r in capture.records[since:])


# --- the walk ----------------------------------------------------------------------------

async def walk_commands(d: Driver, person: Person) -> list[str]:
    problems = []
    for spec in handlers.all_commands():
        for name in spec.names:
            outcome = await d.text(person.telegram_id, f"/{name}")
            expected = expected_command_refusal(person, spec, name)
            seen = outcome.texts[:2]
            if not outcome.messages:
                problems.append(f"{person.label} /{name}: no answer")
            elif expected is not None and not refused_by_catalog(outcome, expected):
                problems.append(f"{person.label} /{name}: expected refusal '{expected}', "
                                f"got {seen}")
            elif expected is None and any(t in ACCESS_TEXTS for t in outcome.texts):
                problems.append(f"{person.label} /{name}: refused but allowed by POLICY: "
                                f"{seen}")
            await leave_any_conversation(d, person)
    return problems


def expected_press(person: Person, kind: CallbackKind) -> set[str] | None:
    """The popup texts a forged press may get; None: anything but an access refusal."""
    if not person.active:
        return {plain(TR(f"common.access.{status_key(person)}")), STALE_TEXT}
    assert person.role is not None
    if kind.top_level and kind.action is not None:
        if person.role not in POLICY[kind.action]:
            return {plain(TR("common.access.not_allowed"))}
    return None


async def walk_callbacks(d: Driver, capture: LogCapture, person: Person,
                         kinds: dict[str, CallbackKind]) -> tuple[list[str], int]:
    problems, presses = [], 0
    for kind in kinds.values():
        data = pack(kind.kind, BOGUS_ID, "x")  # an id nobody has: nothing real is touched
        assert kind.pattern.match(data), (kind, data)
        since = len(capture.records)
        outcome = await d.press(person.telegram_id, data)
        presses += 1
        popup = (outcome.answer.text or "") if outcome.answer else ""
        allowed = expected_press(person, kind)
        where = f"{person.label} {data}"
        if outcome.answer is None or not outcome.answer.answered:
            problems.append(f"{where}: the press was never answered")
        elif len(popup) > 200:
            problems.append(f"{where}: popup longer than 200 characters")
        elif allowed is not None and popup not in allowed:
            problems.append(f"{where}: expected one of {sorted(allowed)}, got "
                            f"{popup!r} / {outcome.texts[:1]}")
        elif allowed is None and popup in ACCESS_TEXTS:
            problems.append(f"{where}: refused by role but POLICY allows it: {popup!r}")
        elif not outcome.answered:
            problems.append(f"{where}: nothing shown to the user")
        if popup and (allowed is not None or popup == STALE_TEXT) \
                and not logged_refusal(capture, since, person):
            problems.append(f"{where}: refusal {popup!r} was not logged")
        await leave_any_conversation(d, person)
    return problems, presses


async def test_every_command_and_button_for_every_kind_of_user(
        module_bot: tuple[Driver, LogCapture]) -> None:
    d, capture = module_bot
    await enrol(d)
    errors_before = len(capture.errors())
    command_problems = await asyncio.gather(*(walk_commands(d, p) for p in PEOPLE))
    kinds = callback_kinds(d.app)
    assert len(kinds) >= 20, sorted(kinds)
    before = await d.fingerprint()
    results = await asyncio.gather(*(walk_callbacks(d, capture, p, kinds) for p in PEOPLE))
    after = await d.fingerprint()
    problems = [p for chunk in command_problems for p in chunk]
    problems += [p for chunk, _ in results for p in chunk]
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f"forged presses with unknown ids stored something: {changed}"
    assert not problems, f"{len(problems)} access problems:\n" + "\n".join(problems)
    errors = capture.errors()[errors_before:]
    assert not errors, [capture.format(r) for r in errors[:5]]
    rejected = [(c.method, c.description) for c in d.sim.rejected_calls]
    assert not rejected, rejected[:10]
    presses = sum(n for _, n in results)
    commands = sum(len(s.names) for s in handlers.all_commands())
    print(f"access walk: {commands} commands x {len(PEOPLE)} users, {len(kinds)} callback "
          f"kinds, {presses} forged presses")


# --- pointed forgeries -------------------------------------------------------------------

async def official_of(d: Driver, person: Person) -> Official:
    async with d.db.session() as session:
        found = await official_service.by_telegram_id(session, person.telegram_id)
    assert found is not None
    return found


async def complaint_in_area_a(d: Driver) -> Complaint:
    recorder = await official_of(d, BY_LABEL["lurah A"])
    draft = complaint_service.ComplaintDraft(
        citizen_name="Ibu Warga Rahasia", channel=ComplaintChannel.DATANG,
        category=ComplaintCategory.INFRASTRUKTUR, description="Jalan berlubang di RW 05",
        citizen_phone="081234567890", citizen_nik="3277034105900001")
    async with d.db.session() as session:
        return await complaint_service.record_complaint(
            session, d.clock, recorder=recorder, draft=draft, rules=ComplaintSettings())


async def cancelled_meeting(d: Driver, clock: Clock) -> int:
    admin = await official_of(d, BY_LABEL["admin A"])
    now = clock.now()
    draft = meeting_service.MeetingDraft(
        title="Rakor Batal", starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2), venue="Aula",
        rsvp_deadline=now + timedelta(days=2))
    async with d.db.session() as session:
        meeting, _ = await meeting_service.create_meeting(
            session, clock, actor=admin, draft=draft,
            selection=meeting_service.InviteeSelection(all_lurah=True, all_camat=True),
            rules=ReminderSettings())
        assert meeting.id is not None
    async with d.db.session() as session:
        await meeting_service.cancel_meeting(session, clock, actor=admin, meeting_id=meeting.id)
    return meeting.id


async def set_official(d: Driver, person: Person, **values: Any) -> None:
    async with d.db.session() as session:
        official = await official_service.by_telegram_id(session, person.telegram_id)
        assert official is not None
        for name, value in values.items():
            setattr(official, name, value)
        session.add(official)


async def test_pointed_forgeries_are_refused_briefly_logged_and_change_nothing(
        module_bot: tuple[Driver, LogCapture]) -> None:
    d, capture = module_bot
    if not await _enrolled(d):  # when run on its own
        await enrol(d)
    complaint = await complaint_in_area_a(d)
    meeting_id = await cancelled_meeting(d, d.clock)
    async with d.db.session() as session:
        applicant = await official_service.register(session, d.clock, official_service
                                                    .Registration(
            telegram_id=9999, role=Role.LURAH, region_code="32.77.03.1003",
            full_name="Calon Lurah", nip=None, phone="+6281200009999", language="id"))
    cid, ticket = complaint.id, complaint.ticket
    lurah_b, camat_b = BY_LABEL["lurah B"], BY_LABEL["camat B"]
    lurah_a, admin = BY_LABEL["lurah A"], BY_LABEL["admin A"]
    forgeries: list[tuple[Person, str]] = [
        # another region's ticket
        *[(who, data) for who in (lurah_b, camat_b) for data in (
            pack("adu.op", cid), pack("adu.st", cid, "diproses", "baru"),
            pack("adu.st", cid, "selesai", "baru"), pack("adu.fw", cid),
            pack("adu.rc", cid), pack("adu.ph", cid), pack("adu.nt", cid),
            pack("adu.au", 0))],
        # a cancelled rakor
        *[(lurah_a, pack("mtg.r", meeting_id, code)) for code in ("h", "t", "w", "y", "n")],
        (lurah_a, pack("mtg.ci", meeting_id)),
        (BY_LABEL["camat A"], pack("mtg.r", meeting_id, "h")),
        # malformed and oversized
        *[(who, data) for who in (lurah_a, admin) for data in (
            "w1:<script>alert(1)</script>", "w1:adu.op:' OR 1=1 --", "w2:adu.op:1", "adu.op:1",
            "w1:adu.op:" + "9" * 30, "w1:adu.op:1:" + "x" * 100, "w1:appr:1:y:" + "é" * 40,
            "w1:", ":::", "w1:adu.op:١٢٣", "w1:mtg.r:-1:h", "w1:appr:0:y")],
    ]
    since = len(capture.records)
    before = await d.fingerprint()
    problems = []
    for who, data in forgeries:
        mark = len(capture.records)
        outcome = await d.press(who.telegram_id, data)
        popup = outcome.answer.text if outcome.answer and outcome.answer.answered else None
        leaked = [t for t in outcome.texts if ticket in t or "Rahasia" in t]
        if not popup or len(popup) > 200:
            problems.append(f"{who.label} {data[:40]}: popup {popup!r}")
        if leaked:
            problems.append(f"{who.label} {data[:40]}: shown {leaked}")
        if not logged_refusal(capture, mark, who):
            problems.append(f"{who.label} {data[:40]}: not logged")
        await leave_any_conversation(d, who)

    # an approval button replayed after the admin lost the role, then the account
    approve = pack("appr", applicant.id, "y")
    for change, key in (({"role": Role.CAMAT, "region_code": "32.77.03"}, "not_allowed"),
                        ({"role": Role.ADMIN, "region_code": "32.77",
                          "status": OfficialStatus.DEACTIVATED}, "deactivated")):
        await set_official(d, admin, **change)
        outcome = await d.press(admin.telegram_id, approve)
        popup = outcome.answer.text if outcome.answer else None
        if popup != plain(TR(f"common.access.{key}")):
            problems.append(f"replayed approval after {change}: {popup!r}")
    await set_official(d, admin, role=Role.ADMIN, region_code="32.77",
                       status=OfficialStatus.ACTIVE)
    after = await d.fingerprint()
    async with d.db.session() as session:
        still = await official_service.by_telegram_id(session, 9999)
        answers = (await session.exec(select(MeetingInvite).where(
            MeetingInvite.meeting_id == meeting_id))).all()
        fresh = await session.get(Complaint, cid)
    assert still is not None and still.status == OfficialStatus.PENDING
    assert answers and all(a.rsvp == RsvpStatus.PENDING for a in answers)
    assert fresh is not None and fresh.status == complaint.status
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]
               and t != "official"}  # the admin's own role changes above
    assert not changed, changed
    assert not problems, "\n".join(problems)
    assert not capture.errors(since)
    assert not [c for c in d.sim.rejected_calls]
    # the forged data is in the log, but never a NIK or phone number
    logged = capture.text()
    assert "3277034105900001" not in logged and "081234567890" not in logged


async def _enrolled(d: Driver) -> bool:
    async with d.db.session() as session:
        return await official_service.by_telegram_id(session, BY_LABEL["admin A"]
                                                     .telegram_id) is not None
