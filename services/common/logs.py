"""Structured (JSON) logs, one object per line, tagged with the request id."""
from __future__ import annotations

import logging
import sys

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


def configure_logging(component: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
        static_fields={"component": component}))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ExpectedErrorFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level, library_level = config.log_levels()
    root.setLevel(level)
    # nameko and kombu log each worker at DEBUG/INFO; keep them at WARNING unless asked.
    for noisy in ("nameko", "kombu", "amqp", "pika"):
        logging.getLogger(noisy).setLevel(library_level)
