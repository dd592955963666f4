"""Structured (JSON) logs, one object per line, tagged with the request id, timestamped in UTC with its zone
(`2026-12-07T19:32:15.787+00:00`); gunicorn's own lines join the same stream (`gunicorn_logconfig`)."""
from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

from pythonjsonlogger.json import JsonFormatter

from . import config
from .context import request_id_var


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class ExpectedErrorFilter(logging.Filter):
    """nameko logs a domain error (404, 409, 422 …) with a traceback; it is an answer, not a fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("(expected) error"):
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


class UtcJsonFormatter(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's
        return datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")


def json_formatter(component: str) -> logging.Formatter:
    return UtcJsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
                            static_fields={"component": component})


def gunicorn_logconfig(component: str) -> dict:
    """gunicorn's `logconfig_dict`: its master's and workers' lines ("Listening at", "Booting worker", a worker's
    timeout) as JSON objects of the component's stream instead of its own text format; no access lines (the
    gateway writes its own, with the request id)."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
                    "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False}},
        "filters": {"request_id": {"()": RequestIdFilter}},
        "handlers": {"json": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json",
                              "filters": ["request_id"]}},
        "formatters": {"json": {"()": json_formatter, "component": component}},
    }


def configure_logging(component: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(json_formatter(component))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ExpectedErrorFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level, library_level = config.log_levels()
    root.setLevel(level)
    # nameko and kombu log each worker at DEBUG/INFO; keep them at WARNING unless asked.
    for noisy in ("nameko", "kombu", "amqp", "pika"):
        logging.getLogger(noisy).setLevel(library_level)
