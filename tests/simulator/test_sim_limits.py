"""Keyboard validation and flood control."""

from __future__ import annotations

import pytest

from simulator import ApiError, FloodLimits
from simulator.limits import FloodControl, check_callback_answer_text, check_reply_markup


def inline(*buttons: dict) -> dict:
    return {"inline_keyboard": [list(buttons)]}


def markup_error(markup: dict, **kwargs) -> str:
    with pytest.raises(ApiError) as info:
        check_reply_markup(markup, **kwargs)
    assert info.value.code == 400
    return info.value.description


def test_callback_data_limit_is_64_utf8_bytes() -> None:
    assert check_reply_markup(inline({"text": "ok", "callback_data": "x" * 64})) == "inline"
    assert check_reply_markup(inline({"text": "ok", "callback_data": "é" * 32})) == "inline"
    for data in ("x" * 65, "é" * 33, ""):
        assert markup_error(inline({"text": "t", "callback_data": data})) == (
            "Bad Request: BUTTON_DATA_INVALID"
        )


def test_inline_button_needs_exactly_one_action_and_text() -> None:
    assert "text buttons are unallowed" in markup_error(inline({"text": "t"}))
    assert "exactly one of the optional fields" in markup_error(
        inline({"text": "t", "callback_data": "a", "url": "https://x.id"})
    )
    assert markup_error(inline({"text": " ", "callback_data": "a"})) == (
        "Bad Request: BUTTON_TEXT_INVALID"
    )
    bad_url = inline({"text": "t", "url": "ftp://x"})
    assert markup_error(bad_url) == "Bad Request: BUTTON_URL_INVALID"
    assert check_reply_markup(inline({"text": "t", "url": "https://wilayah.go.id"})) == "inline"


def test_too_many_inline_buttons() -> None:
    rows = [[{"text": str(i), "callback_data": str(i)}] for i in range(101)]
    assert markup_error({"inline_keyboard": rows}) == "Bad Request: BUTTONS_TOO_MUCH"


def test_reply_keyboards() -> None:
    keyboard = {"keyboard": [[{"text": "Kirim nomor", "request_contact": True}],
                             [{"text": "Lokasi", "request_location": True}, "Batal"]],
                "one_time_keyboard": True, "resize_keyboard": True}
    assert check_reply_markup(keyboard) == "keyboard"
    assert check_reply_markup({"remove_keyboard": True}) == "remove"
    assert check_reply_markup({"force_reply": True}) == "force_reply"
    assert "only one request field" in markup_error(
        {"keyboard": [[{"text": "x", "request_contact": True, "request_location": True}]]}
    )
    assert "non-empty" in markup_error({"keyboard": [[{"text": ""}]]})
    assert markup_error(keyboard, inline_only=True) == "Bad Request: inline keyboard expected"
    assert "can't parse" in markup_error({"foo": 1})


def test_callback_answer_text_limit() -> None:
    check_callback_answer_text("x" * 200)
    with pytest.raises(ApiError, match="MESSAGE_TOO_LONG"):
        check_callback_answer_text("x" * 201)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def retry_after(control: FloodControl, chat_id: int, private: bool = True) -> int | None:
    try:
        control.check(chat_id, private)
    except ApiError as err:
        assert err.code == 429
        assert err.description == f"Too Many Requests: retry after {err.retry_after}"
        assert err.to_json()["parameters"] == {"retry_after": err.retry_after}
        return err.retry_after
    control.commit(chat_id, private)
    return None


def test_private_chat_burst_then_one_per_second() -> None:
    clock = FakeClock()
    control = FloodControl(FloodLimits(), clock=clock)
    assert [retry_after(control, 1) for _ in range(3)] == [None, None, None]
    assert retry_after(control, 1) == 1
    assert retry_after(control, 2) is None  # other chats have their own bucket
    clock.now += 1.0
    assert retry_after(control, 1) is None
    assert retry_after(control, 1) == 1


def test_group_limit_is_20_per_minute() -> None:
    clock = FakeClock()
    control = FloodControl(FloodLimits(), clock=clock)
    assert all(retry_after(control, -5, private=False) is None for _ in range(20))
    assert retry_after(control, -5, private=False) == 3
    clock.now += 3.0
    assert retry_after(control, -5, private=False) is None


def test_global_limit_and_rejections_do_not_consume() -> None:
    clock = FakeClock()
    control = FloodControl(FloodLimits(global_per_second=2, global_burst=2), clock=clock)
    assert retry_after(control, 1) is None
    assert retry_after(control, 2) is None
    for _ in range(5):  # rejected attempts must not push the deadline further out
        assert retry_after(control, 3) == 1
    clock.now += 0.5
    assert retry_after(control, 3) is None


def test_disabled_flood_control() -> None:
    control = FloodControl(None)
    for _ in range(1000):
        control.check(1, True)
        control.commit(1, True)


def test_flood_limits_from_dict() -> None:
    assert FloodLimits.from_dict({"private_burst": 10}).private_burst == 10
    with pytest.raises(ValueError):
        FloodLimits.from_dict({"nope": 1})
