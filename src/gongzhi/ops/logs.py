"""Log formats: plain text for a terminal, JSON lines (``GONGZHI_LOG_FORMAT=json``) for a collector."""

from __future__ import annotations

import datetime as dt
import json
import logging

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, traceback, extras."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            out["method"] = getattr(request, "method", None)
            out["path"] = request.path
        if getattr(record, "status_code", None):
            out["status"] = record.status_code
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in ("request", "status_code") and not key.startswith("_"):
                out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def config(level: str = "INFO", fmt: str = "text") -> dict:
    """The ``LOGGING`` dict: everything to standard error, with the request id on each line."""
    formatter = (
        {"()": "gongzhi.ops.logs.JsonFormatter"}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "gongzhi.ops.requestid.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            # Unhandled exceptions in views (with their traceback) and 4xx warnings.
            "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
            "gongzhi": {"handlers": ["console"], "level": level, "propagate": False},
        },
    }
