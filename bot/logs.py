"""Logging: one line per record, as text or JSON (`LOG_FORMAT=json`), never secrets or user text.

Each request runs inside `request_context(...)`, whose fields (request id, platform, user,
command word) are added to every record logged while it is handled, background work it
spawns included (context variables travel into asyncio tasks). Only the fields below are
written; user text never goes into a log call in the first place, tokens that slip into a
message are masked, and SQL parameters are hidden by the database engine.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
CONTEXT_FIELDS = ("request_id", "platform", "kind", "user_id", "command")
RESULT_FIELDS = ("outcome", "duration_ms")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_fields: ContextVar[dict[str, str]] = ContextVar("log_fields", default={})  # noqa: B039
_TOKEN = re.compile(r"\b(xox[abpers]|xapp)-[A-Za-z0-9-]+")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


@contextmanager
def request_context(**fields: str) -> Iterator[None]:
    """Fields for every record logged inside the block (a new request id unless given)."""
    merged = {"request_id": new_request_id(), **_fields.get(), **fields}
    token = _fields.set(merged)
    try:
        yield
    finally:
        _fields.reset(token)


def add_log_fields(**fields: str | None) -> None:
    """Add fields (the user, the command word) to the current request's records."""
    _fields.set({**_fields.get(), **{k: v for k, v in fields.items() if v is not None}})


def mask_tokens(text: str) -> str:
    return _TOKEN.sub(lambda m: f"{m.group(1)}-***", text)


_installed = False


def install_request_fields() -> None:
    """Give every log record the current request's fields, for every handler (idempotent)."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def with_request_fields(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        for key, value in _fields.get().items():
            setattr(record, key, value)
        return record

    logging.setLogRecordFactory(with_request_fields)
    _installed = True


def _known_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: getattr(record, key)
        for key in (*CONTEXT_FIELDS, *RESULT_FIELDS)
        if getattr(record, key, None) is not None
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's fields, error."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_tokens(record.getMessage()),
            **_known_fields(record),
        }
        if record.exc_info:
            entry["error"] = mask_tokens(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with the request's fields appended as `key=value`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in _known_fields(record).items())
        return mask_tokens(f"{line} [{extras}]" if extras else line)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (not when it was built)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(level: str = "INFO", fmt: LogFormat = "text") -> None:
    """Route every logger (ours, Bolt's, botbuilder's, SQLAlchemy's) through one handler."""
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    install_request_fields()
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
