"""Structured logs: every record carries its logger, level and message, plus whatever the code attached
with ``extra`` (cause, case id, follower, attempt, ...); ``json`` writes one JSON object per line for log
collectors, ``text`` a readable line with the same fields."""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class JSONLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class Text(logging.Formatter):
    """``time level logger: message key=value ...``, then the traceback if there is one."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        return f"{super().formatMessage(record)} {extra}".rstrip()


def configure_logging(form: str = "text", level: str = "INFO") -> None:
    """Route every logger (ours, uvicorn's, the library's) to stderr in the chosen form."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONLines() if form == "json" else Text("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # httpx logs every request at INFO: the console's in-process calls to the API, already logged by the API's
    # own request log (esledger.request), would appear twice.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
