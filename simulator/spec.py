"""Bot API method/parameter spec loading and strict call validation."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("data") / "botapi_methods.json"

_INT_RE = re.compile(r"-?\d+")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_SCALARS = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})


class ApiError(Exception):
    """A Bot API error, rendered as ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        """Return the Telegram-shaped error body."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.description!r})"


def bad_request(detail: str) -> ApiError:
    """Build a 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part received in a multipart request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.name!r}, {self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of a method: accepted types and whether it is required."""

    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """One Bot API method with its parameters."""

    name: str
    params: dict[str, ParamSpec]


@dataclass(frozen=True, slots=True)
class BotApiSpec:
    """The full method table, indexed case-insensitively."""

    version: str
    methods: dict[str, MethodSpec]  # keyed by lower-cased name

    def lookup(self, method: str) -> MethodSpec:
        """Resolve a method name case-insensitively or raise 404 like Telegram."""
        spec = self.methods.get(method.lower())
        if spec is None:
            raise ApiError(404, "Not Found")
        return spec


@lru_cache(maxsize=1)
def load_spec(path: Path = SPEC_PATH) -> BotApiSpec:
    """Load and index the bundled method list."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    methods = {}
    for name, params in raw["methods"].items():
        pspecs = {
            pname: ParamSpec(pname, tuple(p["types"]), bool(p["required"]))
            for pname, p in params.items()
        }
        methods[name.lower()] = MethodSpec(name, pspecs)
    return BotApiSpec(raw.get("version", "?"), methods)


class _Mismatch(Exception):
    """Internal: value does not fit one candidate type."""


def _json_value(value: Any, expect: type) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _Mismatch from None
    if not isinstance(value, expect):
        raise _Mismatch
    return value


def _convert_scalar(kind: str, value: Any) -> Any:
    if kind == "Integer":
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value)
        raise _Mismatch
    if kind == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _Mismatch
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            low = value.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
        raise _Mismatch
    if kind == "Float":
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, (int, float)):
            result = float(value)
        elif isinstance(value, str):
            try:
                result = float(value)
            except ValueError:
                raise _Mismatch from None
        else:
            raise _Mismatch
        if not math.isfinite(result):
            raise _Mismatch
        return result
    if kind == "InputFile":
        if isinstance(value, UploadedFile):
            return value
        raise _Mismatch
    raise AssertionError(kind)


def _convert(kind: str, value: Any) -> Any:
    if kind in _SCALARS:
        return _convert_scalar(kind, value)
    if kind.startswith("Array of "):
        inner = kind[len("Array of "):]
        items = _json_value(value, list)
        if inner in _SCALARS:
            return [_convert_scalar(inner, item) for item in items]
        if inner.startswith("Array of "):
            return [_convert(inner, item) for item in items]
        if not all(isinstance(item, dict) for item in items):
            raise _Mismatch
        return items
    return _json_value(value, dict)


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def convert_param(pspec: ParamSpec, value: Any) -> Any:
    """Coerce one raw value (JSON-typed or form string) to its declared type."""
    for kind in pspec.types:
        try:
            return _convert(kind, value)
        except _Mismatch:
            continue
    structured = any(t not in _SCALARS for t in pspec.types)
    if isinstance(value, str) and structured and not _is_json(value):
        if pspec.name == "reply_markup":
            raise bad_request("can't parse reply keyboard markup JSON object")
        raise bad_request(f"can't parse {pspec.name} JSON object")
    expected = " or ".join(pspec.types)
    raise bad_request(f'parameter "{pspec.name}" must be of type {expected}')


def normalize_call(method: str, params: dict[str, Any]) -> tuple[MethodSpec, dict[str, Any]]:
    """Validate a call and return its method spec and type-coerced parameters."""
    mspec = load_spec().lookup(method)
    known = mspec.params
    for name in params:
        if name not in known:
            raise bad_request(f'unknown parameter "{name}"')
    for pspec in known.values():
        if pspec.required and params.get(pspec.name) is None:
            raise bad_request(f'parameter "{pspec.name}" is required')
    typed = {}
    for name, value in params.items():
        if value is None:
            continue
        typed[name] = convert_param(known[name], value)
    return mspec, typed


def validate_call(method: str, params: dict[str, Any]) -> None:
    """Raise ApiError if the call would be rejected by Telegram's parameter checks."""
    normalize_call(method, params)
