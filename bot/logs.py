"""Structured logs that never contain bot tokens, NIK or phone numbers."""

from __future__ import annotations

import json
import logging
import re
import sys

# People type numbers with spaces, dashes or dots between the digits ("0812-3456 7890",
# "3277 0341 0590 0001"), and PTB's DEBUG logs show their messages as typed
# (dots only in phone numbers: in a long number they are far more often a decimal point).
_SEP, _PHONE_SEP = r"[ \-]?", r"[ .\-]?"
_NOT_AFTER_DIGIT = r"(?<!\d)(?<!\d[ .\-])"
_REDACTIONS = [
    (re.compile(r"\d{6,12}:[A-Za-z0-9_-]{20,}"), "<token>"),
    (re.compile(rf"{_NOT_AFTER_DIGIT}\d(?:{_SEP}\d){{17}}(?!{_SEP}\d)"), "<nip>"),
    (re.compile(rf"{_NOT_AFTER_DIGIT}\d(?:{_SEP}\d){{15}}(?!{_SEP}\d)"), "<nik>"),
    (re.compile(rf"(?<![\w])(?:\+62|62|0){_PHONE_SEP}8(?:{_PHONE_SEP}\d){{7,12}}"
                rf"(?!{_PHONE_SEP}\d)"), "<phone>"),
]
_STANDARD = set(vars(logging.makeLogRecord({})))


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """key=value lines (or JSON), with secrets and personal numbers masked."""

    def __init__(self, json_format: bool = False) -> None:
        super().__init__()
        self.json_format = json_format

    def format(self, record: logging.LogRecord) -> str:
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD
                 and not k.startswith("_")}
        fields = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                  "logger": record.name, "msg": record.getMessage(), **extra}
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        if self.json_format:
            return redact(json.dumps(fields, default=str, ensure_ascii=False))
        head = f"{fields.pop('time')} {fields.pop('level'):7} {fields.pop('logger')}: " \
               f"{fields.pop('msg')}"
        exc = fields.pop("exc", None)
        tail = " ".join(f"{k}={v}" for k, v in fields.items())
        return redact(head + (" " + tail if tail else "") + ("\n" + exc if exc else ""))


def configure_logging(level: str = "INFO", *, json_format: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(json_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs contain the token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
