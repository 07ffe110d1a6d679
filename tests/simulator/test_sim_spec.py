"""Bot API spec loading and parameter validation."""

from __future__ import annotations

import pytest

from simulator import ApiError, validate_call
from simulator.spec import UploadedFile, load_spec, normalize_call


def error_of(method: str, params: dict) -> ApiError:
    with pytest.raises(ApiError) as info:
        validate_call(method, params)
    return info.value


def test_spec_is_loaded() -> None:
    spec = load_spec()
    assert spec.version.startswith("Bot API")
    assert spec.lookup("sendMessage").params["text"].required


def test_unknown_method_is_404() -> None:
    err = error_of("sendTelepathy", {})
    assert (err.code, err.description) == (404, "Not Found")
    assert err.to_json() == {"ok": False, "error_code": 404, "description": "Not Found"}


def test_method_lookup_is_case_insensitive() -> None:
    spec, params = normalize_call("SENDmessage", {"chat_id": 1, "text": "x"})
    assert spec.name == "sendMessage"
    assert params == {"chat_id": 1, "text": "x"}


def test_missing_required_parameter() -> None:
    err = error_of("sendMessage", {"text": "hi"})
    assert err.code == 400
    assert err.description == 'Bad Request: parameter "chat_id" is required'


def test_unknown_parameter() -> None:
    err = error_of("sendMessage", {"chat_id": 1, "text": "hi", "reply_to_msg": 3})
    assert err.description == 'Bad Request: unknown parameter "reply_to_msg"'


def test_form_strings_are_coerced() -> None:
    _, params = normalize_call("sendMessage", {
        "chat_id": "-100123", "text": "5", "disable_notification": "true",
        "reply_markup": '{"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}',
        "entities": '[{"type": "bold", "offset": 0, "length": 1}]',
    })
    assert params["chat_id"] == -100123
    assert params["text"] == "5"
    assert params["disable_notification"] is True
    assert params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    assert params["entities"][0]["type"] == "bold"


def test_chat_id_may_be_username() -> None:
    _, params = normalize_call("sendMessage", {"chat_id": "@channel", "text": "x"})
    assert params["chat_id"] == "@channel"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"chat_id": {"id": 1}, "text": "x"},
         'parameter "chat_id" must be of type Integer or String'),
        ({"chat_id": 1, "text": "x", "disable_notification": "maybe"}, '"disable_notification"'),
        ({"chat_id": 1, "text": "x", "reply_markup": "{oops"}, "can't parse reply keyboard markup"),
        ({"chat_id": 1, "text": "x", "reply_markup": [1, 2]}, '"reply_markup" must be of type'),
        ({"chat_id": True, "text": "x"}, '"chat_id"'),
    ],
)
def test_type_errors(params: dict, fragment: str) -> None:
    err = error_of("sendMessage", params)
    assert err.code == 400
    assert fragment in err.description


def test_input_file_or_file_id() -> None:
    upload = UploadedFile("photo", "a.png", "image/png", b"\x89PNG")
    _, params = normalize_call("sendPhoto", {"chat_id": 1, "photo": upload})
    assert params["photo"] is upload
    _, params = normalize_call("sendPhoto", {"chat_id": 1, "photo": "AgACfileid"})
    assert params["photo"] == "AgACfileid"
    err = error_of("setWebhook", {"url": "https://x", "certificate": "not-a-file"})
    assert '"certificate"' in err.description


def test_float_and_integer_arrays() -> None:
    _, params = normalize_call("sendLocation", {"chat_id": 1, "latitude": "-6.2", "longitude": 106})
    assert params["latitude"] == -6.2 and params["longitude"] == 106.0
    _, params = normalize_call("deleteMessages", {"chat_id": 1, "message_ids": "[1, 2]"})
    assert params["message_ids"] == [1, 2]
    err = error_of("deleteMessages", {"chat_id": 1, "message_ids": '["a"]'})
    assert '"message_ids"' in err.description
